package runner

import (
	"fmt"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// finish closes open intervals at the run's end and runs every checker.
func (r *runner) finish() *check.Result {
	rc := r.rec
	res := rc.res
	res.Scenario = r.sc.Metadata.Name
	res.Seed = r.s.Seed()
	res.Duration = r.end
	r.countDrainingRuns()
	for i := range res.Leadership {
		iv := &res.Leadership[i]
		if iv.End < 0 || iv.End > r.end {
			if iv.Cancelled < 0 {
				iv.Cancelled = r.end
			}
			iv.End = r.end
			if iv.EndReason == "" {
				iv.EndReason = "run-end"
			}
		}
	}
	pauses := map[string][]check.Window{}
	for i, name := range rc.nodes {
		ws := rc.pauses[i]
		if from := rc.pausedFrom[i]; from >= 0 {
			ws = append(ws, check.Window{Start: from, End: r.end})
		}
		pauses[name] = ws
	}
	res.Overlap = check.CheckOverlap(res.Leadership)
	res.LivenessWindow = r.sc.Liveness()
	start := r.end
	for _, n := range r.sc.Spec.Nodes {
		start = min(start, n.Start.Duration)
	}
	res.Liveness = check.CheckLiveness(res.Leadership, start, r.end)
	res.Leaderless = check.CheckLeaderless(res.Leadership, start, r.end)
	res.Failovers = check.CheckFailovers(res.Leadership, res.Faults, r.sc.FailoverGrace(), r.end)
	res.Transitions, res.SpuriousTransitions = check.CheckTransitions(res.Leadership)
	changes := make([]time.Duration, len(rc.holders))
	for i, c := range rc.holders {
		changes[i] = c.at
	}
	res.StaleLeader = check.CheckStaleLeader(res.Leadership, changes, rc.holderAt)
	res.PausedWhileLeading = check.CheckPausedWhileLeading(res.Leadership, pauses)

	counts := r.srv.Counts()
	res.API.Requests = int(counts.Total())
	res.API.ByOp = countsByOp(counts)
	if r.end > 0 {
		res.API.PerSecond = float64(res.API.Requests) / r.end.Seconds()
	}
	for i := range res.Nodes {
		nc := r.srv.NodeCounts(res.Nodes[i].Name)
		res.Nodes[i].Requests = int(nc.Total())
		res.Nodes[i].ByOp = countsByOp(nc)
	}
	res.Expect = check.CheckExpect(r.sc.Spec.Expect, res)
	res.TraceHash = fmt.Sprintf("%016x", rc.h.Sum64())
	return res
}
