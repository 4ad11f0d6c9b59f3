package runner

import (
	"slices"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// Every fault of the worked example — a partition, a crash and restart, a
// pause, a stop, a clock-rate change, a clock jump, an API outage, a
// latency window and stale reads — is in the trace, at its instant, on
// its node; the streamed trace equals the kept one; and neither changes
// the trace hash.
func TestTraceHasEveryFault(t *testing.T) {
	sc, err := scenarios.Load("../testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var streamed []check.TraceEvent
	kept, err := RunWith(sc, RunOptions{KeepTrace: true, OnEvent: func(ev check.TraceEvent) { streamed = append(streamed, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := RunWith(sc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if kept.TraceHash != plain.TraceHash {
		t.Fatalf("trace events changed the hash: %s vs %s", kept.TraceHash, plain.TraceHash)
	}
	if !slices.Equal(streamed, kept.Trace) {
		t.Fatalf("streamed trace (%d events) differs from the kept one (%d)", len(streamed), len(kept.Trace))
	}
	want := []string{
		"1m0s a fault-started type=partition mode=drop-requests",
		"1m30s a fault-ended type=partition mode=drop-requests",
		"3m20s b fault type=crash restartAfter=20s",
		"3m20s b process-crashed ",
		"3m40s b process-started ",
		"5m0s a fault-started type=pause",
		"5m0s a paused ",
		"5m20s a resumed ",
		"5m20s a fault-ended type=pause",
		"6m40s c fault type=stop",
		"7m30s c fault type=clockRate rate=0.8",
		"7m30s c clock-rate rate=0.8",
		"7m40s c fault type=clockJump jump=-10m0s",
		"7m40s c clock-jump jump=-10m0s",
		"8m20s  fault-started type=apiOutage mode=refuse",
		"8m30s  fault-ended type=apiOutage mode=refuse",
		"8m40s a fault-started type=latency",
		"0s  fault-started type=staleReads maxLag=3s",
	}
	var got []string
	for i, ev := range kept.Trace {
		if ev.Seq != i {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		got = append(got, ev.At.String()+" "+ev.Node+" "+ev.Kind+" "+ev.Detail)
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("trace lacks %q", w)
		}
	}
	// A fault edge precedes what it causes: the pause is told before the
	// node is frozen.
	if i, j := slices.Index(got, "5m0s a fault-started type=pause"), slices.Index(got, "5m0s a paused "); i < 0 || j < i {
		t.Errorf("fault-started at %d, paused at %d", i, j)
	}
}

// The harness's leading-cancelled is the one line for that instant: the
// elector's own copy is not kept.
func TestLeadingCancelledOnce(t *testing.T) {
	sc, err := scenarios.Named("skew-beyond-bound")
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunWith(sc, RunOptions{KeepTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range res.Trace {
		if ev.Kind == "leading-cancelled" {
			n++
			if ev.Detail == "" {
				t.Errorf("leading-cancelled without its reason at %v", ev.At)
			}
		}
	}
	cancelled := 0
	for _, iv := range res.Leadership {
		if iv.EndReason != "run-end" {
			cancelled++
		}
	}
	if n != cancelled {
		t.Errorf("%d leading-cancelled events for %d cancelled terms", n, cancelled)
	}
}
