package scenarios

import (
	"time"
)

// LivenessWindow is when a scenario must have a leader: some node leads
// inside [Start, Start+Bound] whenever Start+Bound is within the run. The
// runtime verdict (spec.expect.requireLeader) and the liveness property
// both use it, so they cannot drift apart.
type LivenessWindow struct {
	// Start (T0) is the moment the last fault has ended and every process
	// it may have ended is back: a crashed or stopped one after its
	// restart, and a leader the fault demoted (its renewal can fail up to
	// RD of its clock after the fault, from a request sent during it)
	// after the restart delay. Every node may be down at once: with
	// several faults each node can have led and been demoted in turn.
	// Without faults it is the last node's start.
	Start time.Duration
	// Bound is the longest a healthy election may take from Start; see
	// LivenessBound.
	Bound time.Duration
	// SlowestRate is the slowest clock rate any node can run at.
	SlowestRate float64
	// RequestTimeout is the longest per-request client timeout of a node.
	RequestTimeout time.Duration
	// RoundTrip is a request and its response at the latencies' worst
	// (their cap, or the 99.9th percentile of an uncapped tail).
	RoundTrip time.Duration
}

// End is Start + Bound.
func (w LivenessWindow) End() time.Duration { return w.Start + w.Bound }

// LivenessBound is the longest a healthy election may take from T0. With
// the API healthy, either a leader renews, or the lease's holder is gone
// and a follower (i) finishes a call that was in flight at T0 (at most the
// request timeout τ), (ii) observes the final record at its next attempt
// (at most (1+JitterFactor)·RP of its clock), (iii) waits LDs, (iv)
// reaches its first attempt after expiry (at most (1+JitterFactor)·RP),
// and (v) does the Get and Update (two round trips). Local durations count
// at the slowest clock rate rMin; 1 s is added for rounding and the
// callback delay.
func LivenessBound(tm Timings, rMin float64, tau, rtt time.Duration) time.Duration {
	local := tm.LDs() + time.Duration(2*(1+JitterFactor)*float64(tm.RetryPeriod))
	return time.Duration(float64(local)/rMin) + tau + 2*rtt + time.Second
}

// Liveness computes the scenario's liveness window. The scenario must be
// defaulted and valid.
func (s *Scenario) Liveness() LivenessWindow {
	w := LivenessWindow{SlowestRate: s.slowestRate(), RoundTrip: s.worstRoundTrip()}
	var tm Timings
	var restart time.Duration
	for i, n := range s.Spec.Nodes {
		w.Start = max(w.Start, n.Start.Duration)
		c := s.NodeElector(i)
		tm.LeaseDuration = max(tm.LeaseDuration, c.LeaseDuration)
		tm.RenewDeadline = max(tm.RenewDeadline, c.RenewDeadline)
		tm.RetryPeriod = max(tm.RetryPeriod, c.RetryPeriod)
		w.RequestTimeout = max(w.RequestTimeout, s.RequestTimeout(i))
		restart = max(restart, s.NodeRestart(i).Delay)
	}
	if w.RequestTimeout == 0 {
		// No client timeout: a call in flight at T0 ends at the latest
		// when its renew round does.
		w.RequestTimeout = tm.RenewDeadline
	}
	demoted := time.Duration(float64(tm.RenewDeadline)/w.SlowestRate) + restart
	for _, f := range s.Spec.Faults {
		end := f.End()
		switch f.Type {
		case FaultCrash:
			if f.RestartAfter != nil {
				end += f.RestartAfter.Duration
			} else {
				end += restart
			}
		case FaultStop:
			end += restart
		default:
			end += demoted
		}
		w.Start = max(w.Start, end)
	}
	w.Bound = LivenessBound(tm, w.SlowestRate, w.RequestTimeout, w.RoundTrip)
	return w
}

// slowestRate is the slowest clock rate of any node at any time: initial
// rates, rate schedules and clockRate faults; never above 1.
func (s *Scenario) slowestRate() float64 {
	r := 1.0
	for i := range s.Spec.Nodes {
		c := s.NodeClock(i)
		r = min(r, c.Rate)
		if k := s.Spec.Nodes[i].Clock; k != nil && k.RateBand != nil {
			r = min(r, k.RateBand.Min) // the band's slowest
		}
		for _, st := range c.Schedule {
			r = min(r, st.Rate)
		}
	}
	for _, f := range s.Spec.Faults {
		if f.Type == FaultClockRate && f.Rate != nil {
			r = min(r, *f.Rate)
		}
	}
	return r
}

// worstRoundTrip is the longest round trip of any node outside latency
// faults: request plus response latency at their worst, plus the server's
// service time.
func (s *Scenario) worstRoundTrip() time.Duration {
	var rt time.Duration
	for i := range s.Spec.Nodes {
		l := s.NodeLatency(i)
		rt = max(rt, WorstLatency(l.Request)+WorstLatency(l.Response))
	}
	return rt + WorstLatency(s.Spec.API.ServiceTime)
}

// WorstLatency is a latency's worst case for bounds: the most the
// simulation can draw when the family is capped (a fixed value, a
// uniform's max, any family's max), else its 99.9th percentile.
func WorstLatency(d *Distribution) time.Duration {
	if d == nil {
		return 0
	}
	fd := toDist(d)
	if fd.Cap > 0 {
		return fd.Quantile(1 - 1e-12)
	}
	return fd.Quantile(0.999)
}

// LatencyQuantile is the p-quantile of d (0 < p < 1), its cap included;
// nil is 0.
func LatencyQuantile(d *Distribution, p float64) time.Duration {
	if d == nil {
		return 0
	}
	return toDist(d).Quantile(p)
}

// FailoverGrace is how long after a fault's end a leader's loss is still
// the fault's doing: a renewal can fail up to a renew deadline (at the
// slowest clock) after the fault, from a request sent during it, and
// the leading interval ends after its drain.
func (s *Scenario) FailoverGrace() time.Duration {
	var rd time.Duration
	for i := range s.Spec.Nodes {
		rd = max(rd, s.NodeElector(i).RenewDeadline)
	}
	var drain time.Duration
	if s.Spec.Workload != nil {
		drain = s.Spec.Workload.Drain.Duration
	}
	return time.Duration(float64(rd)/s.slowestRate()) + drain
}
