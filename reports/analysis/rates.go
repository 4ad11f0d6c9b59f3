package analysis

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

// Rates is each node's clock rate over true time: piecewise constant,
// steps in time order, the first at 0.
type Rates map[string][]RateStep

// RateStep is a rate in force from true time At.
type RateStep struct {
	At   time.Duration
	Rate float64
}

// RatesOf is the rate schedule of a scenario as it will run: initial
// rates, scheduled changes and clockRate faults. sc is defaulted on a copy.
func RatesOf(sc *scenarios.Scenario) Rates {
	sc = sc.Clone()
	scenarios.Default(sc)
	r := Rates{}
	for i, n := range sc.Spec.Nodes {
		cc := sc.NodeClock(i)
		r.Set(n.Name, 0, cc.Rate)
		for _, st := range cc.Schedule {
			r.Set(n.Name, st.At, st.Rate)
		}
	}
	for _, f := range sc.Spec.Faults {
		if f.Type != scenarios.FaultClockRate || f.Rate == nil {
			continue
		}
		for _, n := range f.Nodes {
			r.Set(n, f.At.Duration, *f.Rate)
		}
	}
	return r
}

// RatesFromResult rebuilds the schedule from a result: initial rates,
// clockRate faults and the clock-rate events of its kept trace.
func RatesFromResult(res *check.Result) Rates {
	r := Rates{}
	for _, n := range res.Nodes {
		r.Set(n.Name, 0, n.Rate)
	}
	for _, f := range res.Faults {
		if f.Type != string(scenarios.FaultClockRate) {
			continue
		}
		if v, ok := DetailField(f.Note, "rate"); ok {
			if rate, err := strconv.ParseFloat(v, 64); err == nil {
				for _, n := range f.Nodes {
					r.Set(n, f.Start, rate)
				}
			}
		}
	}
	for _, ev := range res.Trace {
		r.See(ev)
	}
	return r
}

// See takes a clock-rate event into the schedule.
func (r Rates) See(ev check.TraceEvent) {
	if ev.Kind != runner.ClockRateKind || ev.Node == "" {
		return
	}
	v, ok := DetailField(ev.Detail, "rate")
	if !ok {
		return
	}
	if rate, err := strconv.ParseFloat(v, 64); err == nil {
		r.Set(ev.Node, ev.At, rate)
	}
}

// Set makes node's clock run at rate from true time at on (a rate at or
// below zero is taken as 1, as a node without a clock setting runs).
func (r Rates) Set(node string, at time.Duration, rate float64) {
	if rate <= 0 {
		rate = 1
	}
	steps := r[node]
	if i := slices.IndexFunc(steps, func(s RateStep) bool { return s.At == at }); i >= 0 {
		steps[i].Rate = rate
		return
	}
	steps = append(steps, RateStep{at, rate})
	slices.SortStableFunc(steps, func(a, b RateStep) int { return cmp.Compare(a.At, b.At) })
	if steps[0].At > 0 {
		steps = append([]RateStep{{0, 1}}, steps...)
	}
	r[node] = steps
}

// At is node's rate at true time t.
func (r Rates) At(node string, t time.Duration) float64 {
	rate := 1.0
	for _, s := range r[node] {
		if s.At > t {
			break
		}
		rate = s.Rate
	}
	return rate
}

// TrueAfter is the true time at which node's clock, read at true time
// from, has advanced by local.
func (r Rates) TrueAfter(node string, from, local time.Duration) time.Duration {
	steps := r[node]
	t, left := from, float64(local)
	for i, st := range steps {
		if i+1 < len(steps) && steps[i+1].At <= t {
			continue
		}
		if i+1 == len(steps) {
			return t + time.Duration(left/st.Rate)
		}
		span := float64(steps[i+1].At - t)
		if span*st.Rate >= left {
			return t + time.Duration(left/st.Rate)
		}
		left -= span * st.Rate
		t = steps[i+1].At
	}
	return t + time.Duration(left)
}

// LocalBetween is how far node's clock advances from true time t0 to t1.
func (r Rates) LocalBetween(node string, t0, t1 time.Duration) time.Duration {
	steps := r[node]
	if len(steps) == 0 {
		return t1 - t0
	}
	total := 0.0
	for i, st := range steps {
		end := t1
		if i+1 < len(steps) {
			end = min(end, steps[i+1].At)
		}
		start := max(t0, st.At)
		if end > start {
			total += float64(end-start) * st.Rate
		}
	}
	return time.Duration(total)
}
