package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// FormatDuration renders a length of time for people: millisecond precision, Go's
// duration syntax ("13.204s", "2m0s").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if r := d.Round(time.Millisecond); r != 0 {
		return r.String()
	}
	return d.String()
}

// FormatAt renders an instant of true time as seconds since the run began, with
// millisecond precision, so that columns of instants line up.
func FormatAt(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}

// WriteText writes the terminal summary of a run: who led when, overlap,
// leaderless time, failovers, API load and whether spec.expect held.
func WriteText(w io.Writer, r *check.Result) error {
	var b strings.Builder
	if r.Real {
		fmt.Fprintf(&b, "scenario %s  real processes  wall clock %s\n", r.Scenario, FormatDuration(r.Duration))
	} else {
		fmt.Fprintf(&b, "scenario %s  seed %d  simulated %s  trace %s\n", r.Scenario, r.Seed, FormatDuration(r.Duration), shortHash(r.TraceHash))
	}

	b.WriteString("\nleadership (true time):\n")
	if len(r.Leadership) == 0 {
		b.WriteString("  nobody led\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  node\tidentity\tfrom\tto\tfor\tended by")
		for _, iv := range r.Leadership {
			extra := ""
			if n := len(iv.Paused); n > 0 {
				var p time.Duration
				for _, w := range iv.Paused {
					p += w.End - w.Start
				}
				extra = fmt.Sprintf(" (paused %s)", FormatDuration(p))
			}
			if iv.End > iv.Cancelled {
				extra += fmt.Sprintf(" (draining %s)", FormatDuration(iv.End-iv.Cancelled))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s%s\n", iv.Node, iv.Identity, FormatAt(iv.Start), FormatAt(iv.End), FormatDuration(iv.End-iv.Start), iv.EndReason, extra)
		}
		tw.Flush()
	}

	b.WriteString("\n")
	if r.Overlap.Total == 0 {
		b.WriteString("overlap:      none (never two leaders at once)\n")
	} else {
		fmt.Fprintf(&b, "overlap:      %s in %d episode(s), longest %s", FormatDuration(r.Overlap.Total), len(r.Overlap.Episodes), FormatDuration(r.Overlap.Max))
		if ep, ok := longest(r.Overlap.Episodes); ok {
			fmt.Fprintf(&b, " (from %s)", FormatAt(ep.Start))
		}
		b.WriteString("\n")
	}
	writeLiveness(&b, r)
	writeFailovers(&b, r.Failovers)
	fmt.Fprintf(&b, "transitions:  %d (%d spurious); stale leader %s; paused while leading %s\n", r.Transitions, r.SpuriousTransitions, FormatDuration(r.StaleLeader), FormatDuration(r.PausedWhileLeading))
	if r.StoppedLeadingCalls != r.RunsEnded {
		fmt.Fprintf(&b, "callbacks:    OnStoppedLeading called %d times for %d ended runs\n", r.StoppedLeadingCalls, r.RunsEnded)
	}
	fmt.Fprintf(&b, "API:          %d requests, %.2f/s%s\n", r.API.Requests, r.API.PerSecond, byOp(r.API.ByOp.ByVerb()))
	if w := r.Workload; w.Writes > 0 || w.UnsafeWrites > 0 || w.FencedWrites > 0 {
		fmt.Fprintf(&b, "workload:     %d writes, %d unsafe accepted, %d fenced\n", w.Writes, w.UnsafeWrites, w.FencedWrites)
	}
	if len(r.Faults) > 0 {
		b.WriteString("faults:\n")
		for _, f := range r.Faults {
			fmt.Fprintf(&b, "  %s", f.Type)
			if len(f.Nodes) > 0 {
				fmt.Fprintf(&b, " [%s]", strings.Join(f.Nodes, ","))
			}
			if f.End > f.Start {
				fmt.Fprintf(&b, " %s-%s", FormatAt(f.Start), FormatAt(f.End))
			} else {
				fmt.Fprintf(&b, " at %s", FormatAt(f.Start))
			}
			if f.Note != "" {
				fmt.Fprintf(&b, " (%s)", f.Note)
			}
			b.WriteString("\n")
		}
	}
	b.WriteString(expectLine(r))
	for _, v := range r.Expect.Violations {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// TextSummary is WriteText into a string.
func TextSummary(r *check.Result) string {
	var b strings.Builder
	WriteText(&b, r)
	return b.String()
}

func shortHash(h string) string {
	if h == "" {
		return "-"
	}
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func byOp(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	ops := make([]string, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s %d", op, m[op])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// longest returns the longest window, the earliest among equals.
func longest(ws []check.Window) (check.Window, bool) {
	var best check.Window
	found := false
	for _, w := range ws {
		if !found || w.End-w.Start > best.End-best.Start {
			best, found = w, true
		}
	}
	return best, found
}

// WorstOverlap is the longest overlap episode of a run, if any.
func WorstOverlap(r *check.Result) (check.Window, bool) {
	return longest(r.Overlap.Episodes)
}

// writeLiveness writes whether and when the run had a leader.
func writeLiveness(b *strings.Builder, r *check.Result) {
	if r.Liveness.NeverLed {
		fmt.Fprintf(b, "liveness:     NEVER LED: no node led from the first start at %s to the end\n", FormatAt(r.Liveness.Start))
	} else {
		fmt.Fprintf(b, "liveness:     first leader after %s (from the first start at %s)\n", FormatDuration(r.Liveness.TimeToFirstLeader), FormatAt(r.Liveness.Start))
	}
	fmt.Fprintf(b, "leaderless:   %s in total, longest %s (from the first start)\n", FormatDuration(r.Leaderless.Total), FormatDuration(r.Leaderless.Max))
}

// writeFailovers writes every loss of leadership with its recovery
// (from the cause's onset to a node leading alone) and handover gap.
func writeFailovers(b *strings.Builder, fs []check.Failover) {
	if len(fs) == 0 {
		b.WriteString("failovers:    none\n")
		return
	}
	fmt.Fprintf(b, "failovers:    %d (recovery: from the onset to a node leading alone; gap: leaderless between two leaders)\n", len(fs))
	for _, f := range fs {
		fmt.Fprintf(b, "  %s at %s: %s lost leadership at %s; ", f.Cause, FormatAt(f.Onset), f.From, FormatAt(f.Lost))
		switch {
		case !f.Restored:
			fmt.Fprintf(b, "NOT RESTORED (%s to the end)\n", FormatDuration(f.Recovery))
		case f.Overlap > 0 && f.HandoverGap == 0:
			fmt.Fprintf(b, "-> %s, recovery %s, gap 0s, overlap %s\n", f.To, FormatDuration(f.Recovery), FormatDuration(f.Overlap))
		default:
			fmt.Fprintf(b, "-> %s, recovery %s, gap %s\n", f.To, FormatDuration(f.Recovery), FormatDuration(f.HandoverGap))
		}
	}
}

// expectLine is the verdict on spec.expect; a scenario without one is
// judged only on requireLeader's default, and says so.
func expectLine(r *check.Result) string {
	switch {
	case r.ExpectSet && r.Expect.Passed:
		return "expect:       passed\n"
	case r.ExpectSet:
		return "expect:       FAILED\n"
	case r.Expect.Passed:
		return "expect:       no expectations set (a leader came, as required by default)\n"
	}
	return "expect:       FAILED: no expectations set, but a leader is required by default\n"
}
