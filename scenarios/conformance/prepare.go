package conformance

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// prepare defaults and validates a copy of sc and checks that both sides
// can run it: the real elector runs on one fake clock shared by every
// goroutine, so clocks must be perfect, and it has no pause button and no
// variant other than the client-go it is (v0.37.2: one build can hold only
// one version of the k8s.io/client-go module). A workload runs on both
// sides as its drain: the leader keeps working for spec.workload.drain
// after its leading context ends (its writes are not compared).
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
	if len(why) > 0 {
		return nil, fmt.Errorf("%s: not comparable with the real elector: %s", c.Metadata.Name, strings.Join(why, "; "))
	}
	addSetupCost(c)
	return c, nil
}

// addSetupCost lengthens every node's request timeout by setupCost, on
// both sides alike, so that a timed-out request ends at the same instant
// in the real run and in the simulation. No timeout (0) stays none.
func addSetupCost(c *scenarios.Scenario) {
	timeouts := make([]time.Duration, len(c.Spec.Nodes))
	for i := range c.Spec.Nodes {
		timeouts[i] = c.RequestTimeout(i)
	}
	for i := range c.Spec.Nodes {
		if timeouts[i] == 0 {
			continue
		}
		n := &c.Spec.Nodes[i]
		if n.Client == nil {
			n.Client = &scenarios.Client{}
		} else {
			cl := *n.Client
			n.Client = &cl
		}
		n.Client.RequestTimeout = &metav1.Duration{Duration: timeouts[i] + setupCost}
	}
}

// runLesim runs a prepared scenario on lesim's elector with the given seed,
// its acquire jitter drawn as the real run on that seed draws it
// (sharedJitter), so that the two runs share every draw.
func runLesim(sc *scenarios.Scenario, seed uint64) (*outcome, error) {
	j, ties := newSharedJitter(seed), &tieCoins{seed: seed}
	res, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed, Jitter: j.forNode, OnEvent: j.observe, Ties: ties.forNode})
	if err != nil {
		return nil, err
	}
	out := &outcome{duration: res.Duration, calls: map[string]fakeapi.Counts{},
		stoppedLeading: res.StoppedLeadingCalls, runsEnded: res.RunsEnded, tieFlips: ties.flips, jitterDraws: j.draws}
	for _, iv := range res.Leadership {
		// End is when the leader stopped acting as one: its leading
		// context's cancellation plus the workload's drain.
		reason := iv.EndReason
		if iv.End >= res.Duration {
			reason = "run-end"
		}
		out.leadership = append(out.leadership, interval{node: iv.Node, start: iv.Start, end: iv.End, endReason: reason})
	}
	for _, n := range res.Nodes {
		out.calls[n.Name] = n.ByOp
	}
	out.sortLeadership()
	return out, nil
}
