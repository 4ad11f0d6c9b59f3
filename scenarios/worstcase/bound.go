package worstcase

import (
	"fmt"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

// Bound is elector-spec §9's first-order account of the worst overlap
// between a leader and the followers that take over from it: the leader
// leads until δ + (RD + RP)/r_L after its last successful renewal
// committed, a follower that observed that commit at once leads from
// LDs/r_F after it, so the worst overlap is their difference when it is
// positive (docs/safety-bound.md).
type Bound struct {
	Leader                   string
	LDs, RenewDeadline, RP   time.Duration
	LeaderRate, FollowerRate float64
	// Delta is the latest the leader's responses may arrive: the largest
	// response latency the environment allowed the leader in the run,
	// capped by RD and by the request timeout (a later answer fails).
	Delta time.Duration
	// Overlap is δ + (RD+RP)/r_L − LDs/r_F: the worst overlap the formula
	// predicts (negative: the margin by which it predicts none).
	Overlap time.Duration
}

// String states the bound in one line.
func (b Bound) String() string {
	return fmt.Sprintf("δ + (RD+RP)/r_L − LDs/r_F = %v + (%v+%v)/%g − %v/%g = %v (leader %s)",
		b.Delta, b.RenewDeadline, b.RP, b.LeaderRate, b.LDs, b.FollowerRate, b.Overlap.Round(time.Microsecond), b.Leader)
}

// boundFor computes the bound for the first leader of c's run that lost
// leadership (nil when none did), with the rates and latency bounds the
// run's choices saw.
func boundFor(sc *scenarios.Scenario, c *candidate) *Bound {
	ended := endedIntervals(c.result, 1)
	if len(ended) == 0 {
		return nil
	}
	leader := ended[0].Node
	li := sc.NodeIndex(leader)
	ec := sc.NodeElector(li)
	b := &Bound{Leader: leader, LDs: ec.LeaseDuration.Truncate(time.Second), RenewDeadline: ec.RenewDeadline, RP: ec.RetryPeriod,
		LeaderRate: sc.NodeClock(li).Rate}
	for i := range sc.Spec.Nodes {
		if k := sc.Spec.Nodes[i].Clock; i != li && (k == nil || k.RateBand == nil) {
			b.FollowerRate = max(b.FollowerRate, sc.NodeClock(i).Rate)
		}
	}
	for _, m := range c.made {
		switch {
		case m.Key.Kind == sim.ChoiceResponse && m.Key.Subject == leader:
			b.Delta = max(b.Delta, time.Duration(m.Choice.Hi))
		case m.Key.Kind == sim.ChoiceJitter && m.Key.Subject != leader:
			b.FollowerRate = max(b.FollowerRate, m.Choice.Rate)
		case m.Key.Kind == sim.ChoiceClockRate && m.Key.Subject == leader:
			b.LeaderRate = float64(m.Value) / 1e6 // a band: the rate chosen
		}
	}
	b.Delta = min(b.Delta, b.RenewDeadline)
	if t := sc.RequestTimeout(li); t > 0 {
		b.Delta = min(b.Delta, t)
	}
	rest := float64(b.RenewDeadline+b.RP) / b.LeaderRate
	b.Overlap = b.Delta + time.Duration(rest) - time.Duration(float64(b.LDs)/b.FollowerRate)
	return b
}
