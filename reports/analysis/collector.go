package analysis

import (
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// DefaultMaxEvents caps the events a Collector keeps around episodes.
const DefaultMaxEvents = 200_000

// maxLeaderlessEvents caps the events kept from one stretch without a
// leader (after the first): they show what kept the candidates out.
const maxLeaderlessEvents = 2000

// Collector folds a run's trace as it streams: belief spans, and every
// event within Window of a leadership change (leading started or
// cancelled, a crash, a stored holder change, a renewal given up, a
// pause). Steady stretches in between are dropped, so memory depends on
// how much happens around episodes, not on the run's length.
type Collector struct {
	rates   Rates
	window  time.Duration
	max     int
	beliefs *beliefs
	load    Load

	recent    []check.TraceEvent // the last window of events, oldest first from head
	head      int
	kept      []check.TraceEvent
	keepUntil time.Duration
	dropped   int

	leaders    map[string]bool // identities leading now
	everLed    bool
	stretchLen int // events kept from the current leaderless stretch
}

// NewCollector folds the trace of a run of sc.
func NewCollector(sc *scenarios.Scenario) *Collector {
	return newCollector(RatesOf(sc), WindowOf(sc), DefaultMaxEvents)
}

func newCollector(rates Rates, window time.Duration, maxEvents int) *Collector {
	return &Collector{rates: rates, window: window, max: maxEvents, beliefs: newBeliefs(rates), keepUntil: -1, leaders: map[string]bool{}}
}

// WindowOf is how much true time around a leadership change an episode
// view can need: a follower's longest wait for a lease on its slowest
// clock, the leader's renew deadline, a few retry periods, the longest
// pause and the workload's drain, plus a margin.
func WindowOf(sc *scenarios.Scenario) time.Duration {
	sc = sc.Clone()
	scenarios.Default(sc)
	var w time.Duration
	for i := range sc.Spec.Nodes {
		ec := sc.NodeElector(i)
		slowest := sc.NodeClock(i).Rate
		for _, st := range sc.NodeClock(i).Schedule {
			slowest = min(slowest, st.Rate)
		}
		for _, f := range sc.Spec.Faults {
			if f.Type == scenarios.FaultClockRate && f.Rate != nil {
				slowest = min(slowest, *f.Rate)
			}
		}
		wait := time.Duration(float64(ec.LeaseDuration) / max(slowest, 1e-3))
		w = max(w, wait+ec.RenewDeadline+3*ec.RetryPeriod)
	}
	var pause time.Duration
	for _, f := range sc.Spec.Faults {
		if f.Type == scenarios.FaultPause {
			pause = max(pause, f.End()-f.At.Duration)
		}
	}
	w += pause
	if wl := sc.Spec.Workload; wl != nil {
		w += wl.Drain.Duration
	}
	return w + 5*time.Second
}

// Add takes the next event of the trace (events come in trace order).
func (c *Collector) Add(ev check.TraceEvent) {
	c.rates.See(ev)
	c.beliefs.see(ev)
	c.load.see(ev)
	if interesting(ev.Kind) {
		c.keepRecent(ev.At)
		c.keepUntil = max(c.keepUntil, ev.At+c.window)
	}
	c.follow(ev)
	if ev.At <= c.keepUntil {
		c.keep(ev)
		return
	}
	if c.everLed && len(c.leaders) == 0 && c.stretchLen < maxLeaderlessEvents {
		c.stretchLen++
		c.keep(ev)
		return
	}
	c.recent = append(c.recent, ev)
	for c.head < len(c.recent) && c.recent[c.head].At < ev.At-c.window {
		c.head++
	}
	if c.head > 1024 && c.head*2 > len(c.recent) {
		c.recent = append(c.recent[:0], c.recent[c.head:]...)
		c.head = 0
	}
}

// follow tracks who leads, to keep what happens while nobody does.
func (c *Collector) follow(ev check.TraceEvent) {
	switch ev.Kind {
	case "leading-started":
		c.leaders[ev.Identity], c.everLed, c.stretchLen = true, true, 0
	case "leading-cancelled", "process-crashed":
		delete(c.leaders, ev.Identity)
	}
}

func interesting(kind string) bool {
	switch kind {
	case "leading-started", "leading-cancelled", "process-crashed", "holder-changed", "renew-failed", "paused", "resumed":
		return true
	}
	return false
}

// keepRecent keeps the window of events before t.
func (c *Collector) keepRecent(t time.Duration) {
	for _, ev := range c.recent[c.head:] {
		if ev.At >= t-c.window {
			c.keep(ev)
		}
	}
	c.recent, c.head = c.recent[:0], 0
}

func (c *Collector) keep(ev check.TraceEvent) {
	if len(c.kept) >= c.max {
		c.dropped++
		return
	}
	c.kept = append(c.kept, ev)
}

// Analysis is what a Collector kept.
func (c *Collector) Analysis() *Analysis {
	return &Analysis{Rates: c.rates, Beliefs: c.beliefs.spans, Load: c.load, Events: c.kept, Dropped: c.dropped}
}

// Analysis is what reports and explain need of a trace.
type Analysis struct {
	Rates   Rates
	Beliefs []BeliefSpan
	// Load is the API requests sent over the run.
	Load Load
	// Events are the kept events, in trace order: all of them for
	// FromTrace, the windows around leadership changes for a Collector.
	Events []check.TraceEvent
	// Dropped counts events past the Collector's cap.
	Dropped int
}

// FromTrace analyses a result whose trace was kept whole.
func FromTrace(res *check.Result) *Analysis {
	rates := RatesFromResult(res)
	b := newBeliefs(rates)
	var load Load
	for _, ev := range res.Trace {
		b.see(ev)
		load.see(ev)
	}
	return &Analysis{Rates: rates, Beliefs: b.spans, Load: load, Events: res.Trace}
}

// HasTrace says whether the analysis saw a trace at all.
func (a *Analysis) HasTrace() bool { return a != nil && (len(a.Events) > 0 || len(a.Beliefs) > 0) }

// Window returns the kept events with from <= At <= to.
func (a *Analysis) Window(from, to time.Duration) []check.TraceEvent {
	var out []check.TraceEvent
	for _, ev := range a.Events {
		if ev.At >= from && ev.At <= to {
			out = append(out, ev)
		}
	}
	return out
}
