package reports

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lesim/lesim/scenarios"
)

// ExplainOptions tunes WriteExplain.
type ExplainOptions struct {
	// Window is how much true time before and after the episode to show.
	Window time.Duration
	// MaxEvents caps the events shown; 0 means 400.
	MaxEvents int
	// MaxClocks caps the per-node clock columns; 0 means 6.
	MaxClocks int
}

// ErrNoTrace is returned when a result kept no trace.
var ErrNoTrace = errors.New("the run kept no trace; run it with KeepTrace")

// WriteExplain prints the event log around the run's worst overlap (or,
// without overlap, its longest failover): every event in the window with
// its true time and, for each node involved, that node's own clock reading
// at the same instant, annotated where leadership starts and stops and
// where the overlap begins and ends. The clock columns show why nodes
// disagree: each decides on its own reading.
func WriteExplain(w io.Writer, r *scenarios.Result, opts ExplainOptions) error {
	if len(r.Trace) == 0 {
		return ErrNoTrace
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 400
	}
	if opts.MaxClocks <= 0 {
		opts.MaxClocks = 6
	}
	var b strings.Builder
	var from, to time.Duration
	var what string
	if ep, ok := longest(r.Overlap.Episodes); ok {
		from, to = ep.Start, ep.End
		what = "overlap"
		fmt.Fprintf(&b, "worst overlap: %s, from %s to %s (true time); %d episode(s), %s in total\n",
			FormatDuration(ep.End-ep.Start), FormatAt(ep.Start), FormatAt(ep.End), len(r.Overlap.Episodes), FormatDuration(r.Overlap.Total))
	} else if f, ok := longestFailover(r.Failovers); ok {
		from, to = f.Onset, f.Onset+f.Recovery
		what = "failover"
		fmt.Fprintf(&b, "no overlap in this run; the longest failover instead: %s -> %s, recovery %s, from %s to %s\n",
			orDash(f.From), orDash(f.To), FormatDuration(f.Recovery), FormatAt(from), FormatAt(to))
	} else {
		b.WriteString("nothing to explain: no overlap and no failover in this run\n")
		_, err := io.WriteString(w, b.String())
		return err
	}

	// The leaders around the episode and the nodes that act in the window
	// get a clock column, leaders first.
	lo, hi := from-opts.Window, to+opts.Window
	var nodes []string
	add := func(n string) {
		if n != "" && !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
	}
	for _, iv := range r.Leadership {
		if iv.Start <= to && iv.End >= from {
			fmt.Fprintf(&b, "  %s (%s) leads %s to %s, ended by %s\n", iv.Node, iv.Identity, FormatAt(iv.Start), FormatAt(iv.End), iv.EndReason)
			add(iv.Node)
		}
	}
	for _, ev := range r.Trace {
		if ev.At >= lo && ev.At <= hi {
			add(ev.Node)
		}
	}
	if len(nodes) > opts.MaxClocks {
		nodes = nodes[:opts.MaxClocks]
	}
	clocks := newClockBook(r)
	fmt.Fprintf(&b, "events from %s to %s; clock columns are each node's local (monotonic) reading at that true instant\n\n", FormatAt(max(lo, 0)), FormatAt(hi))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	header := []string{"true"}
	for _, n := range nodes {
		header = append(header, n+" local")
	}
	header = append(header, "node", "identity", "event", "detail")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	row := func(t time.Duration, cells ...string) {
		line := []string{secsCell(t)}
		for _, n := range nodes {
			if l, ok := clocks.local(n, t); ok {
				line = append(line, secsCell(l))
			} else {
				line = append(line, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(append(line, cells...), "\t"))
	}
	shown, skipped := 0, 0
	markedStart, markedEnd := false, false
	for _, ev := range r.Trace {
		clocks.see(ev)
		if ev.At < lo || ev.At > hi {
			continue
		}
		if !markedStart && ev.At >= from {
			row(from, "", "", ">>> "+what+" begins", "")
			markedStart = true
		}
		if !markedEnd && ev.At > to {
			row(to, "", "", "<<< "+what+" ends", "")
			markedEnd = true
		}
		if shown >= opts.MaxEvents {
			skipped++
			continue
		}
		row(ev.At, orDash(ev.Node), orDash(ev.Identity), ev.Kind+annotation(ev.Kind), ev.Detail)
		shown++
	}
	if !markedStart {
		row(from, "", "", ">>> "+what+" begins", "")
	}
	if !markedEnd {
		row(to, "", "", "<<< "+what+" ends", "")
	}
	tw.Flush()
	if skipped > 0 {
		fmt.Fprintf(&b, "... %d more events in the window not shown\n", skipped)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func annotation(kind string) string {
	switch kind {
	case "leading-started":
		return "  <- starts leading"
	case "leading-cancelled":
		return "  <- stops leading"
	case "holder-changed":
		return "  <- stored holder changes"
	case "renew-failed":
		return "  <- gives up renewing"
	case "process-crashed":
		return "  <- crash"
	case "paused":
		return "  <- process frozen"
	case "resumed":
		return "  <- process resumes"
	}
	return ""
}

func secsCell(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func longestFailover(fs []scenarios.Failover) (scenarios.Failover, bool) {
	var best scenarios.Failover
	found := false
	for _, f := range fs {
		if !found || f.Recovery > best.Recovery {
			best, found = f, true
		}
	}
	return best, found
}

// clockBook estimates each node's local reading at any true instant from
// the exact (true, local) pairs its events carry and its clock rate.
type clockBook struct {
	rates  rateBook
	anchor map[string]scenarios.TraceEvent
	next   map[string]scenarios.TraceEvent // first event, for instants before it
}

func newClockBook(r *scenarios.Result) *clockBook {
	cb := &clockBook{rates: newRateBook(r), anchor: map[string]scenarios.TraceEvent{}, next: map[string]scenarios.TraceEvent{}}
	for _, ev := range r.Trace {
		if ev.Node == "" {
			continue
		}
		if _, ok := cb.next[ev.Node]; !ok {
			cb.next[ev.Node] = ev
		}
		if ev.Kind == "clock-rate" {
			if v, ok := detailField(ev.Detail, "rate"); ok {
				var rate float64
				if _, err := fmt.Sscan(v, &rate); err == nil && rate > 0 {
					cb.rates.set(ev.Node, ev.At, rate)
				}
			}
		}
	}
	return cb
}

// see moves a node's anchor to its latest event.
func (cb *clockBook) see(ev scenarios.TraceEvent) {
	if ev.Node != "" {
		cb.anchor[ev.Node] = ev
	}
}

func (cb *clockBook) local(node string, t time.Duration) (time.Duration, bool) {
	a, ok := cb.anchor[node]
	if !ok {
		if a, ok = cb.next[node]; !ok {
			return 0, false
		}
	}
	if t >= a.At {
		return a.Local + cb.rates.localBetween(node, a.At, t), true
	}
	return a.Local - cb.rates.localBetween(node, t, a.At), true
}

// localBetween is how far node's clock advances from true time t0 to t1.
func (b rateBook) localBetween(node string, t0, t1 time.Duration) time.Duration {
	steps := b[node]
	if len(steps) == 0 {
		return t1 - t0
	}
	total := 0.0
	for i, st := range steps {
		end := t1
		if i+1 < len(steps) {
			end = min(end, steps[i+1].at)
		}
		start := max(t0, st.at)
		if i == 0 {
			start = t0
		}
		if end > start {
			total += float64(end-start) * st.rate
		}
	}
	return time.Duration(total)
}
