package check

import (
	"cmp"
	"slices"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
)

// Observation is what was seen of real processes put through a scenario
// on the wall clock (`simulate serve --exec`), in the run's time from its
// start: their leading intervals (End < 0 while open), the faults as
// scheduled, the pauses per node, the API requests per node and verb and
// the identities each node ran under.
type Observation struct {
	Duration   time.Duration
	Leadership []Interval
	Faults     []FaultWindow
	Pauses     map[string][]Window
	Requests   map[string]fakeapi.Counts
	Processes  map[string][]string
	// GraceSlack widens the failover grace (how long after a fault's end
	// a loss is still the fault's doing) by the wall clock's noise:
	// signals, scheduling and HTTP round trips of real processes.
	GraceSlack time.Duration
}

// Observed measures an observation with the checkers of a simulated run,
// so that a real binary's overlap, liveness, failovers and API load are
// the same quantities as the simulation's: open intervals end at the
// run's end ("run-end"), and spec.expect is judged as in a run. What the
// observation cannot hold stays zero (stale-leader time, workload).
func Observed(sc *scenarios.Scenario, o Observation) *Result {
	end := o.Duration
	res := &Result{Scenario: sc.Metadata.Name, Seed: sc.Seed(), Duration: end, Faults: o.Faults, Real: true}
	ivs := slices.Clone(o.Leadership)
	for i := range ivs {
		iv := &ivs[i]
		if iv.End < 0 || iv.End > end {
			iv.End, iv.EndReason = end, "run-end"
		}
		if iv.Cancelled < 0 || iv.Cancelled > iv.End {
			iv.Cancelled = iv.End
		}
		iv.Start = min(iv.Start, iv.End)
	}
	slices.SortStableFunc(ivs, func(a, b Interval) int { return cmp.Compare(a.Start, b.Start) })
	res.Leadership = ivs
	start := end
	for _, n := range sc.Spec.Nodes {
		start = min(start, n.Start.Duration)
		ops := o.Requests[n.Name]
		ns := NodeSummary{Name: n.Name, Rate: 1, ByOp: ops, Requests: int(ops.Total()), Processes: o.Processes[n.Name]}
		res.Nodes = append(res.Nodes, ns)
		res.API.Requests += ns.Requests
		res.API.ByOp = res.API.ByOp.Plus(ops)
	}
	if end > 0 {
		res.API.PerSecond = float64(res.API.Requests) / end.Seconds()
	}
	res.Overlap = CheckOverlap(ivs)
	res.LivenessWindow = sc.Liveness()
	res.Liveness = CheckLiveness(ivs, start, end)
	res.Leaderless = CheckLeaderless(ivs, start, end)
	res.Failovers = CheckFailovers(ivs, o.Faults, sc.FailoverGrace()+o.GraceSlack, end)
	res.Transitions, res.SpuriousTransitions = CheckTransitions(ivs)
	res.PausedWhileLeading = CheckPausedWhileLeading(ivs, o.Pauses)
	res.Expect = CheckExpect(sc.Spec.Expect, res)
	res.ExpectSet = sc.Spec.Expect.IsSet()
	return res
}
