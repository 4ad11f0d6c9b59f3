package runner

import (
	"fmt"

	"github.com/lesim/lesim/scenarios/check"
)

// finish closes open intervals at the run's end, has the checkers close
// their measurements and judges the result against the scenario's expect.
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
			rc.mon.Ended(r.end, i)
		}
	}
	rc.mon.Finish()

	counts := r.srv.Counts()
	res.API.Requests = int(counts.Total())
	res.API.ByOp = counts
	if r.end > 0 {
		res.API.PerSecond = float64(res.API.Requests) / r.end.Seconds()
	}
	for i := range res.Nodes {
		nc := r.srv.NodeCounts(res.Nodes[i].Name)
		res.Nodes[i].Requests = int(nc.Total())
		res.Nodes[i].ByOp = nc
	}
	res.Expect = check.CheckExpect(r.sc.Spec.Expect, res)
	res.ExpectSet = r.sc.Spec.Expect.IsSet()
	res.TraceHash = fmt.Sprintf("%016x", rc.h.Sum64())
	return res
}
