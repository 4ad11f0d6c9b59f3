package conformance

import (
	"fmt"
	"strings"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// prepare defaults and validates a copy of sc and checks that both sides
// can run it: the real elector runs on one fake clock shared by every
// goroutine, so clocks must be perfect, and it has no pause button, no
// workload and no variant other than the client-go it is (v0.37.2: one
// build can hold only one version of the k8s.io/client-go module).
func prepare(sc *scenarios.Scenario) (*scenarios.Scenario, error) {
	c := sc.Clone()
	scenarios.Default(c)
	if c.Spec.Elector.Variant == scenarios.VariantSeed && sc.Spec.Elector.Variant == "" {
		// Unset means "the default variant"; conformance is against v0.37.
		c.Spec.Elector.Variant = scenarios.VariantV037
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, &scenarios.LoadError{File: c.Metadata.Name, Errors: errs}
	}
	var why []string
	if v := c.Spec.Elector.Variant; v != scenarios.VariantV037 {
		why = append(why, fmt.Sprintf("spec.elector.variant is %s; the real elector is client-go v0.37.2", v))
	}
	for i := range c.Spec.Nodes {
		n := &c.Spec.Nodes[i]
		cc := c.NodeClock(i)
		if cc.Rate != 1 || cc.Offset != 0 || len(cc.Schedule) > 0 {
			why = append(why, fmt.Sprintf("spec.nodes[%d] (%s) has a skewed clock; the real electors share one fake clock", i, n.Name))
		}
		ec := c.NodeElector(i)
		if ec.Variant != scenarios.VariantV037 {
			why = append(why, fmt.Sprintf("spec.nodes[%d].elector.variant is %s", i, ec.Variant))
		}
		if ec.Coordinated {
			why = append(why, fmt.Sprintf("spec.nodes[%d] uses coordinated election, which needs LeaseCandidate objects the REST surface does not serve", i))
		}
		if ec.CallbackDelay != 0 {
			why = append(why, fmt.Sprintf("spec.nodes[%d].elector.callbackDelay is set; the real elector's callback delay is the Go scheduler's", i))
		}
	}
	for i, f := range c.Spec.Faults {
		switch f.Type {
		case scenarios.FaultPartition, scenarios.FaultCrash, scenarios.FaultStop, scenarios.FaultAPIOutage, scenarios.FaultLatency:
		default:
			why = append(why, fmt.Sprintf("spec.faults[%d] is a %s fault; conformance runs partition, crash, stop, apiOutage and latency faults", i, f.Type))
		}
	}
	if c.Spec.Workload != nil {
		why = append(why, "spec.workload is set; conformance compares the election only")
	}
	if len(why) > 0 {
		return nil, fmt.Errorf("%s: not comparable with the real elector: %s", c.Metadata.Name, strings.Join(why, "; "))
	}
	return c, nil
}

// runLesim runs a prepared scenario on lesim's elector with the given seed.
func runLesim(sc *scenarios.Scenario, seed uint64) (*outcome, error) {
	res, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed})
	if err != nil {
		return nil, err
	}
	out := &outcome{duration: res.Duration, calls: map[string]fakeapi.Counts{},
		stoppedLeading: res.StoppedLeadingCalls, runsEnded: res.RunsEnded}
	for _, iv := range res.Leadership {
		out.leadership = append(out.leadership, interval{node: iv.Node, start: iv.Start, end: iv.Cancelled, endReason: iv.EndReason})
	}
	for _, n := range res.Nodes {
		out.calls[n.Name] = fakeapi.Counts{
			Get: uint64(n.ByOp["get"]), Create: uint64(n.ByOp["create"]), Update: uint64(n.ByOp["update"]),
			Delete: uint64(n.ByOp["delete"]), List: uint64(n.ByOp["list"]),
		}
	}
	out.sortLeadership()
	return out, nil
}
