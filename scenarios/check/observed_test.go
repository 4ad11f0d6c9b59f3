package check_test

import (
	"testing"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// An observation of real processes is measured as a run is: intervals
// still open end with the run, the overlap, the failover with its cause
// from the fault, the requests per node and verb, and spec.expect.
func TestObservedMeasuresAsARunDoes(t *testing.T) {
	sc := scenarios.New()
	scenarios.Default(sc)
	sc.Spec.Expect.MaxOverlap = scenarios.Dur(0)
	sc.Spec.Elector.LeaseDuration, sc.Spec.Elector.RenewDeadline, sc.Spec.Elector.RetryPeriod = scenarios.Dur(2*time.Second), scenarios.Dur(time.Second), scenarios.Dur(200*time.Millisecond)
	s := time.Second
	o := check.Observation{
		Duration: 10 * s,
		Leadership: []check.Interval{
			{Node: "b", Identity: "b_1", Start: 4 * s, End: -1, Cancelled: -1},
			{Node: "a", Identity: "a_1", Start: 1 * s, End: 6 * s, Cancelled: 6 * s, EndReason: "renew-failed"},
		},
		Faults:   []check.FaultWindow{{Type: "pause", Nodes: []string{"a"}, Start: 2 * s, End: 5 * s}},
		Pauses:   map[string][]check.Window{"a": {{Start: 2 * s, End: 5 * s}}},
		Requests: map[string]fakeapi.Counts{"a": {Get: 3, Update: 5}, "b": {Create: 1, Get: 1}},
	}
	r := check.Observed(sc, o)
	if r.Leadership[0].Node != "a" || r.Leadership[1].End != 10*s || r.Leadership[1].EndReason != "run-end" {
		t.Errorf("intervals not sorted and closed at the run's end: %+v", r.Leadership)
	}
	if r.Overlap.Total != 2*s || len(r.Overlap.Episodes) != 1 {
		t.Errorf("overlap %v in %d episodes, want 2s in 1", r.Overlap.Total, len(r.Overlap.Episodes))
	}
	if len(r.Failovers) != 1 || r.Failovers[0].Cause != "pause" || r.Failovers[0].To != "b" {
		t.Errorf("failovers %+v, want one caused by the pause, to b", r.Failovers)
	}
	if r.PausedWhileLeading != 3*s || r.API.Requests != 10 || r.API.ByOp.Get != 4 || r.Nodes[0].Requests != 8 {
		t.Errorf("paused %v, requests %d %v, node a %d", r.PausedWhileLeading, r.API.Requests, r.API.ByOp, r.Nodes[0].Requests)
	}
	if r.Expect.Passed {
		t.Error("maxOverlap 0s passed a run with 2s of overlap")
	}
	// The same without the fault: the loss is the leader's own.
	o.Faults = nil
	if r := check.Observed(sc, o); r.Failovers[0].Cause != "renew-failed" || r.SpuriousTransitions != 1 {
		t.Errorf("without the fault: cause %q, spurious %d", r.Failovers[0].Cause, r.SpuriousTransitions)
	}
	// The grace slack: a loss 1s after the grace is the fault's only with
	// a slack that covers it.
	o.Faults = []check.FaultWindow{{Type: "pause", Nodes: []string{"a"}, Start: 2 * s, End: 2 * s}}
	late := 6*s - 2*s - sc.FailoverGrace()
	if late <= 0 {
		t.Fatalf("grace %v: the case needs a loss after it", sc.FailoverGrace())
	}
	o.GraceSlack = late - time.Millisecond
	if r := check.Observed(sc, o); r.Failovers[0].Cause == "pause" {
		t.Errorf("a loss %v after the grace was blamed on the fault with a slack of %v", late, o.GraceSlack)
	}
	o.GraceSlack = late
	if r := check.Observed(sc, o); r.Failovers[0].Cause != "pause" {
		t.Errorf("with a slack of %v the loss is not the fault's: %q", o.GraceSlack, r.Failovers[0].Cause)
	}
}
