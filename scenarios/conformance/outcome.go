package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// interval is one leading interval of one process, on true time since the
// start of the run: from OnStartedLeading to the cancellation of the
// context OnStartedLeading was given (the moment a controller must stop
// acting as leader), or to the crash of its process, or to the run's end.
type interval struct {
	node      string
	start     time.Duration
	end       time.Duration
	endReason string // "renew-failed", "stopped", "crashed", "run-end"
}

// outcome is what one run of a scenario produced, on either side.
type outcome struct {
	duration   time.Duration
	leadership []interval // by start, then node
	// calls counts each node's API requests per verb, as sent by its
	// clients (a request the client gave up on counts; one a crashed
	// process never sent does not).
	calls map[string]fakeapi.Counts
	// stoppedLeading counts OnStoppedLeading calls; runsEnded the
	// processes whose Run returned. The elector promises they agree.
	stoppedLeading int
	runsEnded      int
	// tieFlips counts, on lesim's side, the renew ticks that fell on their
	// poll's deadline (a race in client-go, a coin in lesim).
	tieFlips int
	// jitterDraws counts, on lesim's side, the values taken from the
	// shared jitter source (sharedJitter), the discarded ones included.
	jitterDraws int
	// jitterNext is, on the real side, the global math/rand's next value at
	// the run's end: with jitterDraws of the lesim run on the same seed it
	// shows that both took the same number of values.
	jitterNext int64
}

// overlap is the total time two or more nodes led at once, and the longest
// such episode.
func (o *outcome) overlap() (total, longest time.Duration) {
	ov := check.CheckOverlap(o.scenarioIntervals())
	return ov.Total, ov.Max
}

// leaderless is the time no node led, from the start of the run to its end.
func (o *outcome) leaderless() time.Duration {
	var covered, reach time.Duration
	for _, iv := range o.leadership { // by start
		end := iv.end
		if end < 0 {
			end = o.duration
		}
		if end <= reach {
			continue
		}
		covered += end - max(iv.start, reach)
		reach = end
	}
	return o.duration - covered
}

// leaders is the sequence of leading nodes, in order of acquisition.
func (o *outcome) leaders() string {
	out := make([]string, len(o.leadership))
	for i, iv := range o.leadership {
		out[i] = iv.node
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, " ")
}

func (o *outcome) scenarioIntervals() []check.Interval {
	ivs := make([]check.Interval, len(o.leadership))
	for i, iv := range o.leadership {
		ivs[i] = check.Interval{Node: iv.node, Start: iv.start, End: iv.end, Cancelled: iv.end, EndReason: iv.endReason}
	}
	return ivs
}

// sortLeadership orders intervals by start, then by node, so that two
// acquisitions at one instant (possible only across an overlap) compare
// the same whatever order the goroutines recorded them in.
func (o *outcome) sortLeadership() {
	slices.SortStableFunc(o.leadership, func(a, b interval) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.node, b.node))
	})
}

// faultInstants are the instants at which the scenario changes the world:
// every fault's start and end, and a crashed node's restart.
func faultInstants(sc *scenarios.Scenario) []time.Duration {
	var out []time.Duration
	for i := range sc.Spec.Faults {
		f := &sc.Spec.Faults[i]
		out = append(out, f.At.Duration, f.End())
		if f.RestartAfter != nil {
			out = append(out, f.At.Duration+f.RestartAfter.Duration)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sinceFault is t relative to the latest fault instant at or before it (the
// start of the run if none): the fault that caused an acquisition or a
// step-down, so that what is compared is the reaction, not the schedule.
func sinceFault(instants []time.Duration, t time.Duration) time.Duration {
	var anchor time.Duration
	for _, at := range instants {
		if at > t {
			break
		}
		anchor = at
	}
	return t - anchor
}

// measures are the quantities of one outcome that the suite compares, by
// name. Continuous ones are in seconds; a run lacks a quantity (an i-th
// acquisition, say) when it did not happen in that run.
func (o *outcome) measures(sc *scenarios.Scenario) map[string]float64 {
	m := map[string]float64{}
	instants := faultInstants(sc)
	for i, iv := range o.leadership {
		if i >= maxIntervals {
			break
		}
		m[fmt.Sprintf("acquired #%d (since fault)", i+1)] = sinceFault(instants, iv.start).Seconds()
		if iv.endReason == "run-end" || iv.end < 0 {
			continue
		}
		m[fmt.Sprintf("stepped down #%d (since fault)", i+1)] = sinceFault(instants, iv.end).Seconds()
		if i+1 < len(o.leadership) {
			m[fmt.Sprintf("failover #%d", i+1)] = (o.leadership[i+1].start - iv.end).Seconds()
		}
	}
	total, longest := o.overlap()
	m["overlap total"] = total.Seconds()
	m["overlap longest"] = longest.Seconds()
	m["leaderless"] = o.leaderless().Seconds()
	for _, n := range sc.Spec.Nodes {
		name := n.Name
		if len(sc.Spec.Nodes) > maxNodesCounted {
			name = "all" // one count per verb over every node
		}
		c := o.calls[n.Name]
		m["requests "+name+"/get"] += float64(c.Get)
		m["requests "+name+"/create"] += float64(c.Create)
		m["requests "+name+"/update"] += float64(c.Update)
	}
	return m
}

// maxIntervals is how many leading intervals per run are compared one by
// one; later ones are rare, and the sequence test covers their existence.
const maxIntervals = 6

// maxNodesCounted is the node count above which requests are compared as
// totals per verb instead of per node.
const maxNodesCounted = 5

// isCount reports whether a measure name is a request count.
func isCount(name string) bool { return strings.HasPrefix(name, "requests ") }
