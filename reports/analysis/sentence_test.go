package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// handOverlap is a run whose numbers can be checked by hand: c's clock runs
// at rate 2, so the 15 s lease it last saw a renew at 118.20 s expires on
// its clock after 7.50 s of true time, at 125.70 s, when it takes the
// lease; a's renew calls fail from 120.00 s and it steps down at 130.31 s:
// 130.31 - 125.70 = 4.61 s of overlap.
func handOverlap(cRate float64) *check.Result {
	res := &check.Result{
		Scenario: "by-hand",
		Duration: 200 * time.Second,
		Nodes:    []check.NodeSummary{{Name: "a", Rate: 1}, {Name: "c", Rate: cRate}},
		Leadership: []check.Interval{
			{Node: "a", Identity: "a", Start: sec(1), Cancelled: sec(130.31), End: sec(130.31), EndReason: "renew-failed"},
			{Node: "c", Identity: "c", Start: sec(125.70), Cancelled: sec(200), End: sec(200), EndReason: "run-end"},
		},
		Overlap: check.Overlap{Total: sec(4.61), Max: sec(4.61), Episodes: []check.Window{{Start: sec(125.70), End: sec(130.31)}}},
	}
	res.Trace = []check.TraceEvent{
		{At: 0, Node: "a", Identity: "a", Kind: "process-started"},
		{At: 0, Node: "c", Identity: "c", Kind: "process-started"},
		{At: sec(118.00), Node: "a", Identity: "a", Kind: "renewed"},
		{At: sec(118.20), Node: "c", Identity: "c", Kind: ObservedKind, Detail: `holder="a" leaseDurationSeconds=15`},
		{At: sec(120.00), Node: "a", Identity: "a", Kind: "call-sent", Detail: "get"},
		{At: sec(125.70), Node: "c", Identity: "c", Kind: "leading-started"},
		{At: sec(127.70), Node: "c", Identity: "c", Kind: "renewed"},
		{At: sec(130.31), Node: "a", Identity: "a", Kind: "leading-cancelled", Detail: "renew-failed"},
	}
	return res
}

const handSentence = "c last saw a's lease change at 118.20 s; at rate 2 its 15.00 s lease expired after 7.50 s true, at 125.70 s; " +
	"c took the lease at 125.70 s; a's renewals had failed since 120.00 s and it stepped down at its renew deadline, 130.31 s: 4.61 s of overlap."

func TestOverlapSentenceByHand(t *testing.T) {
	res := handOverlap(2)
	eps := Episodes(res, FromTrace(res))
	if len(eps) != 1 || eps[0].Kind != KindOverlap {
		t.Fatalf("episodes: %+v", eps)
	}
	if got := eps[0].Sentence; got != handSentence {
		t.Fatalf("sentence:\n got  %s\n want %s", got, handSentence)
	}
	// The view runs from a's last renewal (118.00 s) to the episode's end
	// (130.31 s, after c's first renewal), with a tenth of that as margin.
	near := func(d, want time.Duration) bool { return (d - want).Abs() < time.Millisecond }
	if !near(eps[0].From, sec(116.769)) || !near(eps[0].To, sec(131.541)) {
		t.Errorf("view %v..%v, want 116.769s..131.541s", eps[0].From, eps[0].To)
	}
}

// A wrong input — c's clock at rate 1 — must not yield the same sentence:
// the expiry is then 133.20 s, and the check above would fail.
func TestOverlapSentenceWrongRateFails(t *testing.T) {
	res := handOverlap(1)
	got := Episodes(res, FromTrace(res))[0].Sentence
	if got == handSentence {
		t.Fatal("a rate-1 clock gave the rate-2 sentence")
	}
	if !strings.Contains(got, "at rate 1 its 15.00 s lease expired after 15.00 s true, at 133.20 s") {
		t.Fatalf("rate-1 sentence: %s", got)
	}
}

func TestFailoverAfterReleaseSentence(t *testing.T) {
	res := &check.Result{
		Duration: 60 * time.Second,
		Nodes:    []check.NodeSummary{{Name: "a", Rate: 1}, {Name: "b", Rate: 1}},
		Leadership: []check.Interval{
			{Node: "a", Identity: "a1", Start: sec(1), Cancelled: sec(20), End: sec(20), EndReason: "stopped"},
			{Node: "b", Identity: "b1", Start: sec(22.5), Cancelled: sec(60), End: sec(60), EndReason: "run-end"},
		},
		Failovers: []check.Failover{{Cause: "stopped", Onset: sec(20), Lost: sec(20), Recovery: sec(2.5), HandoverGap: sec(2.5), Restored: true, From: "a", To: "b"}},
	}
	res.Trace = []check.TraceEvent{
		{At: 0, Node: "a", Identity: "a1", Kind: "process-started"},
		{At: 0, Node: "b", Identity: "b1", Kind: "process-started"},
		{At: sec(19), Node: "b", Identity: "b1", Kind: ObservedKind, Detail: `holder="a1" leaseDurationSeconds=15`},
		{At: sec(20.004), Kind: runner.LeaseWrittenKind, Detail: `holder="" transitions=0`},
		{At: sec(21), Node: "b", Identity: "b1", Kind: ObservedKind, Detail: `holder="" leaseDurationSeconds=1`},
	}
	eps := Episodes(res, FromTrace(res))
	want := "a was stopped and stopped leading at 20.00 s; it released the lease, written at 20.00 s; b saw the lease released at 21.00 s and took it at 22.50 s: 2.50 s without a leader."
	if len(eps) != 1 || eps[0].Sentence != want {
		t.Fatalf("episodes %+v\nwant sentence %s", eps, want)
	}
}

// Nobody takes over: the sentence says so and names the fault that kept
// the other node out.
func TestFailoverWithoutSuccessorSentence(t *testing.T) {
	res := &check.Result{
		Duration:   180 * time.Second,
		Nodes:      []check.NodeSummary{{Name: "a", Rate: 1}, {Name: "b", Rate: 1}},
		Leadership: []check.Interval{{Node: "a", Identity: "a", Start: sec(1), Cancelled: sec(60), End: sec(60), EndReason: "crashed"}},
		Failovers:  []check.Failover{{Cause: "crashed", Onset: sec(60), Lost: sec(60), Recovery: sec(120), HandoverGap: sec(120), From: "a"}},
		Faults: []check.FaultWindow{
			{Type: "crash", Nodes: []string{"a"}, Start: sec(60), End: sec(60)},
			{Type: "partition", Nodes: []string{"b"}, Start: sec(55), End: sec(180), Note: "refuse"},
		},
	}
	eps := Episodes(res, FromTrace(res))
	want := "a crashed at 60.00 s; meanwhile partition (refuse) of b from 55.00 s to 180.00 s; nobody took over before the run ended: 120.00 s without a leader."
	if len(eps) != 1 || eps[0].Sentence != want {
		t.Fatalf("episodes %+v\nwant sentence %s", eps, want)
	}
}
