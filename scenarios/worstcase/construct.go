package worstcase

import (
	"time"

	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
	"github.com/lesim/lesim/sim"
)

// The known worst schedule for an overlap (elector-spec §9): the leader's
// last successful renewal is answered as late as the environment allows;
// a follower's Get is served right after that renewal committed, so the
// follower's observedTime is as early as it can be; the follower's next
// acquire try starts right when the lease expires on its clock; the
// leader's failing renew round runs to its deadline. Then the follower
// leads LDs/r_F after the commit and the leader until δ + RP + RD after
// it: they overlap exactly when the bound is broken. aim makes those
// choices; everything else gets the value that hurts the followers least
// (fast requests, no injected errors, fresh reads).

// aimSlack is how far past a target the aimed try starts: enough to be
// strictly after it after the clock's rounding, far below any margin that
// matters.
const aimSlack = 10 * time.Microsecond

// aim is the constructing chooser.
type aim struct {
	leader string        // the node whose responses are as late as allowed
	commit time.Duration // true time of the leader's commit to observe; <0: no aiming
	lds    time.Duration // the lease duration the record carries (whole seconds)
	// early moves the second target before the expiry: an elector that
	// takes over earlier than the record says (a wrong one) is found by
	// trying earlier polls (constructed's bisection).
	early time.Duration
	reqLo map[string]time.Duration
	nodes map[string]*aimNode
}

// aimNode is one follower's progress through the two targets: 0 aims at
// the commit, 1 at the expiry, 2 is done.
type aimNode struct {
	phase   int
	landing bool          // the wait chosen last lands on the current target
	target  time.Duration // local time of the current target (phase 1)
}

func newAim(leader string, commit, lds time.Duration) *aim {
	return &aim{leader: leader, commit: commit, lds: lds, reqLo: map[string]time.Duration{}, nodes: map[string]*aimNode{}}
}

// Choose implements sim.Chooser.
func (a *aim) Choose(c *sim.Choice) int64 {
	switch c.Kind {
	case sim.ChoiceResponse:
		if c.Subject == a.leader {
			return c.Hi
		}
		return c.Lo
	case sim.ChoiceRequest:
		a.reqLo[c.Subject] = time.Duration(c.Lo)
		return c.Lo
	case sim.ChoiceJitter:
		if a.commit < 0 || c.Subject == a.leader {
			return c.Drawn
		}
		return int64(a.wait(c))
	case sim.ChoiceClockRate:
		// A slow leader holds on longer in true time; fast followers
		// see its lease expire sooner.
		if c.Subject == a.leader {
			return c.Lo
		}
		return c.Hi
	case sim.ChoiceFaultStart, sim.ChoiceFaultLength, sim.ChoiceTie:
		return c.Drawn // left to the mutations
	}
	return c.Lo // no service time, no injected error, no stale lag
}

// wait aims a follower's acquire wait at its current target.
func (a *aim) wait(c *sim.Choice) time.Duration {
	st := a.nodes[c.Subject]
	if st == nil {
		st = &aimNode{}
		a.nodes[c.Subject] = st
	}
	if st.landing {
		// The try that just ended started on target: after the commit it
		// observed it now (c.Local is the observedTime it set); after the
		// expiry it took over or lost the race.
		st.landing = false
		st.phase++
		if st.phase == 1 {
			st.target = c.Local + a.lds + aimSlack - a.early
		}
	}
	var target time.Duration
	switch st.phase {
	case 0:
		// Served (request latency after the start) just after the commit.
		at := a.commit - a.reqLo[c.Subject] + aimSlack
		target = c.Local + time.Duration(float64(at-c.At)*c.Rate)
	case 1:
		target = st.target
	default:
		return time.Duration(c.Drawn)
	}
	w, lands := step(target-c.Local, time.Duration(c.Lo), time.Duration(c.Hi))
	st.landing = lands
	return w
}

// step is the next wait, in [lo, hi], towards a target remaining away: the
// remainder itself when it fits, else a wait that leaves a remainder
// still reachable (at least lo). lands says the wait ends on or past the
// target.
func step(remaining, lo, hi time.Duration) (time.Duration, bool) {
	switch {
	case remaining <= lo:
		return lo, true
	case remaining <= hi:
		return remaining, true
	}
	return max(lo, min(hi, remaining-lo)), false
}

// constructed runs the worst schedules aim builds for the first leaders
// of base's run (up to three leading intervals that ended before the run
// did) and their last few commits, then, for the best of them, looks for
// the earliest takeover poll the elector accepts (earliest), and returns
// the best schedule.
func (s *searcher) constructed(base *candidate) (*candidate, error) {
	var best *candidate
	var bestAim *aim
	for _, iv := range endedIntervals(base.result, 3) {
		commits, err := s.leaderCommits(iv.Node)
		if err != nil {
			return nil, err
		}
		for _, c := range commits {
			a := newAim(iv.Node, c, s.lds)
			cand, err := s.try(nil, a)
			if err != nil {
				return nil, err
			}
			cand.how = "constructed"
			if best == nil || cand.m.score > best.m.score {
				best, bestAim = cand, a
			}
			if s.done(best) {
				return best, nil
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	return s.earliest(best, bestAim)
}

// earliestSteps bounds the bisection of earliest: LDs/2 down to LDs/2¹².
const earliestSteps = 12

// earliest bisects how far before the record's expiry the followers'
// takeover poll can start and still take over. A faithful elector accepts
// no earlier poll (the bisection then only confirms the construction);
// one that judges expiry wrongly is caught at its real expiry. A poll the
// elector turns down delays the takeover by a whole retry period, so
// "accepted" is "scores higher than the poll at the expiry".
func (s *searcher) earliest(best *candidate, a *aim) (*candidate, error) {
	atExpiry := best.m.score
	lo, hi := time.Duration(0), s.lds/2
	for range earliestSteps {
		if s.done(best) {
			break
		}
		mid := (lo + hi) / 2
		b := newAim(a.leader, a.commit, a.lds)
		b.early = mid
		cand, err := s.try(nil, b)
		if err != nil {
			return nil, err
		}
		if cand.m.degenerate || cand.m.score <= atExpiry {
			hi = mid
			continue
		}
		lo = mid
		if cand.m.score > best.m.score {
			cand.how = "constructed"
			best = cand
		}
	}
	return best, nil
}

// leaderCommits runs with node's responses as late as allowed and returns
// the true times of the last few lease writes node's process made while it
// led the first time it lost leadership.
func (s *searcher) leaderCommits(node string) ([]time.Duration, error) {
	var writes []check.TraceEvent
	res, err := s.runOnce(newAim(node, -1, s.lds), func(ev check.TraceEvent) {
		if ev.Kind == runner.LeaseWrittenKind && ev.Node == node {
			writes = append(writes, ev)
		}
	})
	if err != nil {
		return nil, err
	}
	var end time.Duration = -1
	var identity string
	for _, iv := range endedIntervals(res, 0) {
		if iv.Node == node {
			end, identity = iv.End, iv.Identity
			break
		}
	}
	var out []time.Duration
	for i := len(writes) - 1; i >= 0 && len(out) < 3; i-- {
		if w := writes[i]; w.At <= end && w.Identity == identity {
			out = append(out, w.At)
		}
	}
	return out, nil
}

// endedIntervals returns the leading intervals that ended before the run
// did, in order of start (at most n; n = 0: all).
func endedIntervals(r *check.Result, n int) []check.Interval {
	var out []check.Interval
	for _, iv := range r.Leadership {
		if iv.End < r.Duration && iv.EndReason != "run-end" {
			out = append(out, iv)
			if n > 0 && len(out) == n {
				break
			}
		}
	}
	return out
}
