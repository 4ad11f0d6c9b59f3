package conformance

import (
	"cmp"
	"slices"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
)

// Interval is one leading interval of one process, on true time since the
// start of the run: from OnStartedLeading to the cancellation of the
// context OnStartedLeading was given (the moment a controller must stop
// acting as leader), or to the crash of its process, or to the run's end.
type Interval struct {
	Node      string
	Start     time.Duration
	End       time.Duration
	EndReason string // "renew-failed", "stopped", "crashed", "run-end"
}

// Outcome is what one run of a scenario produced, on either side.
type Outcome struct {
	Duration   time.Duration
	Leadership []Interval // by start, then node
	// Calls counts each node's API requests per verb, as sent by its
	// clients (a request the client gave up on counts; one a crashed
	// process never sent does not).
	Calls map[string]fakeapi.Counts
	// StoppedLeading counts OnStoppedLeading calls; RunsEnded the
	// processes whose Run returned. The elector promises they agree.
	StoppedLeading int
	RunsEnded      int
}

// Overlap is the total time two or more nodes led at once, and the longest
// such episode.
func (o *Outcome) Overlap() (total, longest time.Duration) {
	ov := scenarios.CheckOverlap(o.scenarioIntervals())
	return ov.Total, ov.Max
}

// Leaders is the sequence of leading nodes, in order of acquisition.
func (o *Outcome) Leaders() []string {
	out := make([]string, len(o.Leadership))
	for i, iv := range o.Leadership {
		out[i] = iv.Node
	}
	return out
}

func (o *Outcome) scenarioIntervals() []scenarios.Interval {
	ivs := make([]scenarios.Interval, len(o.Leadership))
	for i, iv := range o.Leadership {
		ivs[i] = scenarios.Interval{Node: iv.Node, Start: iv.Start, End: iv.End, Cancelled: iv.End, EndReason: iv.EndReason}
	}
	return ivs
}

// sortLeadership orders intervals by start, then by node, so that two
// acquisitions at one instant (possible only across an overlap) compare
// the same whatever order the goroutines recorded them in.
func (o *Outcome) sortLeadership() {
	slices.SortStableFunc(o.Leadership, func(a, b Interval) int {
		if a.Start != b.Start {
			return cmp.Compare(a.Start, b.Start)
		}
		if a.Node < b.Node {
			return -1
		}
		if a.Node > b.Node {
			return 1
		}
		return 0
	})
}
