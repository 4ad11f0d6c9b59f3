package reports

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lesim/lesim/reports/analysis"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
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

// WriteExplain states the causal chain of every episode of the run
// (overlaps, failovers, spurious transitions) in one sentence each, then
// prints the event log around the worst one — the longest overlap, else
// the longest failover, else the first episode: every event in the window
// with its true time and each involved node's own clock reading at that
// instant (columns in node order), marked where the episode begins and
// ends. The clock columns show why nodes disagree: each decides on its own
// reading.
func WriteExplain(w io.Writer, r *check.Result, a *analysis.Analysis, opts ExplainOptions) error {
	if !a.HasTrace() {
		return ErrNoTrace
	}
	opts = explainDefaults(opts)
	var b strings.Builder
	eps := analysis.Episodes(r, a)
	if len(eps) == 0 {
		b.WriteString("nothing to explain: no overlap, failover or spurious transition in this run\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for i, ep := range eps {
		fmt.Fprintf(&b, "%d. %s from %s to %s: %s\n", i+1, ep.Kind, FormatAt(ep.Start), FormatAt(ep.End), ep.Sentence)
	}
	ep := worstEpisode(eps)
	fmt.Fprintf(&b, "\nevents around the %s from %s to %s (%s):\n", ep.Kind, FormatAt(ep.Start), FormatAt(ep.End), FormatDuration(ep.End-ep.Start))
	lo, hi := max(0, ep.Start-opts.Window), ep.End+opts.Window
	for _, iv := range r.Leadership {
		if iv.Start <= ep.End && iv.End >= ep.Start {
			fmt.Fprintf(&b, "  %s (%s) leads %s to %s, ended by %s\n", iv.Node, iv.Identity, FormatAt(iv.Start), FormatAt(iv.End), iv.EndReason)
		}
	}
	nodes := clockColumns(r, a.Window(lo, hi), ep, opts.MaxClocks)
	fmt.Fprintf(&b, "events from %s to %s; clock columns are each node's local (monotonic) reading at that true instant\n\n", FormatAt(lo), FormatAt(hi))
	writeEventTable(&b, a, nodes, ep, lo, hi, opts.MaxEvents)
	_, err := io.WriteString(w, b.String())
	return err
}

func explainDefaults(opts ExplainOptions) ExplainOptions {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 400
	}
	if opts.MaxClocks <= 0 {
		opts.MaxClocks = 6
	}
	return opts
}

// worstEpisode is the longest overlap, else the longest failover, else
// the first episode.
func worstEpisode(eps []analysis.Episode) analysis.Episode {
	for _, kind := range []string{analysis.KindOverlap, analysis.KindFailover} {
		best, found := analysis.Episode{}, false
		for _, ep := range eps {
			if ep.Kind == kind && (!found || ep.End-ep.Start > best.End-best.Start) {
				best, found = ep, true
			}
		}
		if found {
			return best
		}
	}
	return eps[0]
}

// clockColumns are the nodes that get a clock column: the episode's
// leaders and the nodes acting in the window, in the run's node order.
func clockColumns(r *check.Result, window []check.TraceEvent, ep analysis.Episode, most int) []string {
	involved := map[string]bool{ep.Old.Node: true}
	if ep.HasNew {
		involved[ep.New.Node] = true
	}
	for _, ev := range window {
		involved[ev.Node] = true
	}
	var nodes []string
	for _, n := range r.Nodes {
		if involved[n.Name] {
			nodes = append(nodes, n.Name)
		}
	}
	for _, n := range []string{ep.Old.Node, ep.New.Node} {
		if n != "" && !slices.Contains(nodes, n) {
			nodes = append(nodes, n) // a result built without its node list
		}
	}
	if len(nodes) > most {
		nodes = nodes[:most]
	}
	return nodes
}

// writeEventTable prints the events in [lo, hi] with the clock columns and
// the marks where the episode begins and ends.
func writeEventTable(b *strings.Builder, a *analysis.Analysis, nodes []string, ep analysis.Episode, lo, hi time.Duration, most int) {
	clocks := a.NewClockReader()
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	header := []string{"true"}
	for _, n := range nodes {
		header = append(header, n+" local")
	}
	fmt.Fprintln(tw, strings.Join(append(header, "node", "identity", "event", "detail"), "\t"))
	row := func(t time.Duration, cells ...string) {
		line := []string{secsCell(t)}
		for _, n := range nodes {
			if l, ok := clocks.Local(n, t); ok {
				line = append(line, secsCell(l))
			} else {
				line = append(line, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(append(line, cells...), "\t"))
	}
	shown, skipped := 0, 0
	markedStart, markedEnd := false, false
	for _, ev := range a.Events {
		clocks.See(ev)
		if ev.At < lo || ev.At > hi {
			continue
		}
		if !markedStart && ev.At >= ep.Start {
			row(ep.Start, "", "", ">>> "+ep.Kind+" begins", "")
			markedStart = true
		}
		if !markedEnd && ev.At > ep.End {
			row(ep.End, "", "", "<<< "+ep.Kind+" ends", "")
			markedEnd = true
		}
		if shown >= most {
			skipped++
			continue
		}
		row(ev.At, orDash(ev.Node), orDash(ev.Identity), ev.Kind+annotation(ev.Kind), ev.Detail)
		shown++
	}
	if !markedStart {
		row(ep.Start, "", "", ">>> "+ep.Kind+" begins", "")
	}
	if !markedEnd {
		row(ep.End, "", "", "<<< "+ep.Kind+" ends", "")
	}
	tw.Flush()
	if skipped > 0 {
		fmt.Fprintf(b, "... %d more events in the window not shown\n", skipped)
	}
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
	case runner.FaultStartedKind:
		return "  <- fault begins"
	case runner.FaultEndedKind:
		return "  <- fault ends"
	case runner.FaultKind:
		return "  <- fault"
	}
	return ""
}

func secsCell(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
