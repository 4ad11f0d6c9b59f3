package analysis

import (
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// ClockReader estimates each node's local (monotonic) reading at any true
// instant from the exact (true, local) pairs its events carry and its
// clock rate. Feed it the events in order with See; Local then reads from
// the latest event of the node seen so far (before any: its first event).
type ClockReader struct {
	rates  Rates
	anchor map[string]check.TraceEvent
	first  map[string]check.TraceEvent
}

// NewClockReader reads clocks through the analysis's events.
func (a *Analysis) NewClockReader() *ClockReader {
	cr := &ClockReader{rates: a.Rates, anchor: map[string]check.TraceEvent{}, first: map[string]check.TraceEvent{}}
	for _, ev := range a.Events {
		if _, ok := cr.first[ev.Node]; ev.Node != "" && !ok {
			cr.first[ev.Node] = ev
		}
	}
	return cr
}

// See moves a node's anchor to its latest event.
func (cr *ClockReader) See(ev check.TraceEvent) {
	if ev.Node != "" {
		cr.anchor[ev.Node] = ev
	}
}

// Local is node's reading at true time t.
func (cr *ClockReader) Local(node string, t time.Duration) (time.Duration, bool) {
	a, ok := cr.anchor[node]
	if !ok {
		if a, ok = cr.first[node]; !ok {
			return 0, false
		}
	}
	if t >= a.At {
		return a.Local + cr.rates.LocalBetween(node, a.At, t), true
	}
	return a.Local - cr.rates.LocalBetween(node, t, a.At), true
}
