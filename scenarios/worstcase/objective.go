// Package worstcase searches the choices an adversary may make inside a
// scenario's environment (every latency within its distribution's
// support, every acquire wait within client-go's jitter, …; sim.Chooser)
// for the schedule that maximises an objective: the overlap of two
// leaders, the leaderless time, the recovery time. Random seeds hit the
// schedules near the safety bound rarely; the search constructs the known
// worst ones directly, improves on them by mutating choice sequences, and
// shrinks the result to the few choices that matter.
package worstcase

import (
	"fmt"
	"slices"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// Objective is what the search maximises.
type Objective string

const (
	// TotalOverlap is the total time two or more processes led at once.
	TotalOverlap Objective = "total"
	// LongestOverlap is the longest single overlap episode.
	LongestOverlap Objective = "longest"
	// Leaderless is the total time no process led.
	Leaderless Objective = "leaderless"
	// Recovery is the longest recovery of a failover.
	Recovery Objective = "recovery"
)

// Objectives lists the objectives.
func Objectives() []Objective { return []Objective{TotalOverlap, LongestOverlap, Leaderless, Recovery} }

// ParseObjective checks a name.
func ParseObjective(s string) (Objective, error) {
	for _, o := range Objectives() {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown objective %q: expected one of total, longest, leaderless, recovery", s)
}

// Overlaps says whether the objective measures overlap.
func (o Objective) Overlaps() bool { return o == TotalOverlap || o == LongestOverlap }

// measure is one run as the search judges it.
type measure struct {
	// value is the objective.
	value time.Duration
	// score orders runs: the value in seconds, and for the overlap
	// objectives, when there is no overlap, minus the closest handover's
	// gap, so that schedules that come nearer to an overlap score higher.
	score float64
	// degenerate runs (no leader ever; leadership never restored, for the
	// liveness objectives) are failures of the run, never best results.
	degenerate bool
}

// judge measures r for o.
func judge(o Objective, r *check.Result) measure {
	if r.Liveness.NeverLed {
		return measure{degenerate: true, score: negInf}
	}
	switch o {
	case TotalOverlap, LongestOverlap:
		v := r.Overlap.Total
		if o == LongestOverlap {
			v = r.Overlap.Max
		}
		if v > 0 {
			return measure{value: v, score: v.Seconds()}
		}
		return measure{score: -closestHandover(r).Seconds()}
	case Leaderless, Recovery:
		for _, f := range r.Failovers {
			if !f.Restored {
				return measure{degenerate: true, score: negInf}
			}
		}
		v := r.Leaderless.Total
		if o == Recovery {
			v = 0
			for _, f := range r.Failovers {
				v = max(v, f.Recovery)
			}
		}
		return measure{value: v, score: v.Seconds()}
	}
	return measure{degenerate: true, score: negInf}
}

const negInf = -1e300

// closestHandover is the smallest gap between a leading interval's end and
// the start of a later interval of another process: how near the run came
// to an overlap. With no handover at all it is the run's duration.
func closestHandover(r *check.Result) time.Duration {
	iv := slices.Clone(r.Leadership)
	slices.SortStableFunc(iv, func(a, b check.Interval) int { return int(a.Start - b.Start) })
	gap := r.Duration
	for j := 1; j < len(iv); j++ {
		for i := j - 1; i >= 0 && i >= j-3; i-- {
			if iv[i].Identity != iv[j].Identity {
				gap = min(gap, max(0, iv[j].Start-iv[i].End))
			}
		}
	}
	return gap
}
