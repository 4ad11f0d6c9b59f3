package bound

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
)

// Param is one continuous parameter of a scenario.
type Param struct {
	Name string
	// Apply sets the parameter of sc (a clone the search owns) to v.
	Apply func(sc *scenarios.Scenario, v float64)
}

// FollowerRate sets the clock rate of every node but the first (the
// initial leader) to v.
func FollowerRate() Param {
	return Param{Name: "follower clock rate", Apply: func(sc *scenarios.Scenario, v float64) {
		for i := 1; i < len(sc.Spec.Nodes); i++ {
			n := &sc.Spec.Nodes[i]
			if n.Clock == nil {
				n.Clock = &scenarios.Clock{}
			}
			r := v
			n.Clock.Rate = &r
		}
	}}
}

// ResponseLatency gives the named node a fixed response latency of v
// seconds (rounded to the millisecond).
func ResponseLatency(node string) Param {
	return Param{Name: "response latency of " + node + " (s)", Apply: func(sc *scenarios.Scenario, v float64) {
		i := sc.NodeIndex(node)
		n := &sc.Spec.Nodes[i]
		if n.Latency == nil {
			n.Latency = &scenarios.Latency{}
		}
		n.Latency.Response = &scenarios.Distribution{Type: scenarios.DistFixed, Value: scenarios.Dur(secondsToMillis(v))}
	}}
}

// FaultResponseLatency sets the response latency of spec.faults[fault] (a
// latency fault) to a fixed v seconds (rounded to the millisecond).
func FaultResponseLatency(fault int) Param {
	return Param{Name: "response latency (s)", Apply: func(sc *scenarios.Scenario, v float64) {
		sc.Spec.Faults[fault].Response = &scenarios.Distribution{Type: scenarios.DistFixed, Value: scenarios.Dur(secondsToMillis(v))}
	}}
}

// PauseLength sets the duration of spec.faults[fault] (a pause) to v
// seconds (rounded to the millisecond, at least 1 ms).
func PauseLength(fault int) Param {
	return Param{Name: "pause length (s)", Apply: func(sc *scenarios.Scenario, v float64) {
		sc.Spec.Faults[fault].Duration = scenarios.Dur(max(secondsToMillis(v), time.Millisecond))
	}}
}

// LeaseDuration sets the spec-level leaseDuration to v seconds (rounded to
// the millisecond). Overlap shrinks as it grows: search it with
// ThresholdSpec.OverlapBelow.
func LeaseDuration() Param {
	return Param{Name: "leaseDuration (s)", Apply: func(sc *scenarios.Scenario, v float64) {
		sc.Spec.Elector.LeaseDuration = scenarios.Dur(secondsToMillis(v))
	}}
}

func secondsToMillis(v float64) time.Duration {
	return time.Duration(math.Round(v*1000)) * time.Millisecond
}

// ThresholdSpec describes one search.
type ThresholdSpec struct {
	Base  *scenarios.Scenario
	Param Param
	// Lo and Hi bracket the threshold: with OverlapBelow false, no seed
	// may overlap at Lo and some seed must at Hi (the other way round with
	// OverlapBelow).
	Lo, Hi float64
	// Seeds are tried at every probe; a probe overlaps when any does.
	Seeds []uint64
	// Resolution is the width the bracket is bisected down to.
	Resolution float64
	// OverlapBelow: overlap at values at most the threshold (for
	// parameters such as leaseDuration whose growth makes runs safer).
	OverlapBelow bool
	// Workers bounds the parallel runs (default GOMAXPROCS).
	Workers int
}

// ThresholdResult is where overlap begins.
type ThresholdResult struct {
	// Value is the overlapping end of the final bracket: the smallest
	// value (largest with OverlapBelow) at which some seed overlapped.
	Value float64
	// Safe is the other end: no seed overlapped there.
	Safe float64
	// Counterexample is Base with the parameter at Value and the first
	// seed that overlapped as spec.seed; Result is its run.
	Counterexample *scenarios.Scenario
	Result         *check.Result
	// Runs counts the simulations the search made.
	Runs int
}

// SeedRange returns the seeds first, first+1, …, first+n-1.
func SeedRange(first uint64, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = first + uint64(i)
	}
	return s
}

// Threshold bisects [Lo, Hi] to the value at which overlap begins. It
// assumes overlap is monotone in the parameter (taken over the seeds); the
// result is exact for the seeds given, not a bound over all seeds.
func Threshold(ts ThresholdSpec) (*ThresholdResult, error) {
	if ts.Base == nil || ts.Param.Apply == nil || len(ts.Seeds) == 0 || !(ts.Resolution > 0) || !(ts.Lo < ts.Hi) {
		return nil, fmt.Errorf("threshold: need a base scenario, a parameter, seeds, a positive resolution and lo < hi")
	}
	res := &ThresholdResult{}
	probe := func(v float64) (*scenarios.Scenario, *check.Result, error) {
		sc := ts.Base.Clone()
		ts.Param.Apply(sc, v)
		r, err := firstOverlap(sc, ts.Seeds, ts.Workers, &res.Runs)
		return sc, r, err
	}
	safeEnd, overlapEnd := ts.Lo, ts.Hi
	if ts.OverlapBelow {
		safeEnd, overlapEnd = ts.Hi, ts.Lo
	}
	if _, r, err := probe(safeEnd); err != nil {
		return nil, err
	} else if r != nil {
		return nil, fmt.Errorf("threshold: %s = %g overlaps already (seed %d); widen the bracket", ts.Param.Name, safeEnd, r.Seed)
	}
	sc, r, err := probe(overlapEnd)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("threshold: %s = %g does not overlap in %d seeds; widen the bracket", ts.Param.Name, overlapEnd, len(ts.Seeds))
	}
	best, bestRes := sc, r
	for math.Abs(overlapEnd-safeEnd) > ts.Resolution {
		mid := (safeEnd + overlapEnd) / 2
		sc, r, err := probe(mid)
		if err != nil {
			return nil, err
		}
		if r != nil {
			overlapEnd, best, bestRes = mid, sc, r
		} else {
			safeEnd = mid
		}
	}
	seed := bestRes.Seed
	best.Spec.Seed = &seed
	res.Value, res.Safe, res.Counterexample, res.Result = overlapEnd, safeEnd, best, bestRes
	return res, nil
}

// firstOverlap runs sc under every seed (in parallel, workers at a time)
// and returns the run of the first seed, in list order, that overlaps, or
// nil. Seeds after the first overlapping one found so far are skipped.
func firstOverlap(sc *scenarios.Scenario, seeds []uint64, workers int, runs *int) (*check.Result, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		best    atomic.Int64 // index of the first overlapping seed so far
		count   atomic.Int64
		results = make([]*check.Result, len(seeds)) // each run writes its own slot
		g       errgroup.Group
	)
	best.Store(int64(len(seeds)))
	g.SetLimit(workers)
	for i, seed := range seeds {
		if int64(i) > best.Load() {
			break
		}
		g.Go(func() error {
			if int64(i) > best.Load() {
				return nil
			}
			r, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed})
			count.Add(1)
			if err != nil {
				return err
			}
			if r.Overlap.Total > 0 {
				results[i] = r
				for {
					b := best.Load()
					if int64(i) >= b || best.CompareAndSwap(b, int64(i)) {
						break
					}
				}
			}
			return nil
		})
	}
	err := g.Wait()
	*runs += int(count.Load())
	if err != nil {
		return nil, err
	}
	if b := best.Load(); b < int64(len(seeds)) {
		return results[b], nil
	}
	return nil, nil
}

// MeasuredTimings are the elector timings docs/safety-bound.md measures the
// bound at: client-go's defaults, a long lease, timings with a large retry
// period, and two short leases.
func MeasuredTimings() []scenarios.Timings {
	tm := func(ld, rd, rp time.Duration) scenarios.Timings {
		return scenarios.Timings{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp}
	}
	return []scenarios.Timings{
		tm(15*time.Second, 10*time.Second, 2*time.Second),
		tm(60*time.Second, 30*time.Second, 2*time.Second),
		tm(137*time.Second, 107*time.Second, 26*time.Second),
		tm(3*time.Second, 2*time.Second, 1*time.Second),
		tm(3500*time.Millisecond, 2*time.Second, 500*time.Millisecond),
	}
}

// PartitionedLeaderScenario is the scenario the measurements use: node "a"
// (rate 1) starts at 0 and leads; followers "b", "c", … start one retry
// period later; a's requests are dropped from 2·LD (rounded up to whole
// seconds, at least 30 s) for 2·LD + RD, and the run lasts LD + RD past
// that. No latency, no other faults, no release.
func PartitionedLeaderScenario(tm scenarios.Timings, followers int) *scenarios.Scenario {
	sc := &scenarios.Scenario{TypeMeta: metav1.TypeMeta{APIVersion: scenarios.APIVersion, Kind: scenarios.Kind}}
	sc.Metadata.Name = "partitioned-leader"
	sp := &sc.Spec
	sp.Elector = tm.Elector()
	sp.Nodes = []scenarios.Node{{Name: "a"}}
	for i := range followers {
		sp.Nodes = append(sp.Nodes, scenarios.Node{Name: string(rune('b' + i)), Start: metav1.Duration{Duration: tm.RetryPeriod}})
	}
	at := max(30*time.Second, (2 * tm.LeaseDuration).Round(time.Second))
	window := 2*tm.LeaseDuration + tm.RenewDeadline
	sp.Faults = []scenarios.Fault{{Type: scenarios.FaultPartition, At: metav1.Duration{Duration: at}, Duration: scenarios.Dur(window), Nodes: []string{"a"}, Mode: scenarios.ModeDropRequests}}
	sp.Duration = scenarios.Dur(at + window + tm.LeaseDuration + tm.RenewDeadline)
	return sc
}

// SlowLeaderScenario is PartitionedLeaderScenario with a latency fault on
// "a" (spec.faults[1], response latency 0 until set with
// FaultResponseLatency(1)) from LD + RD after the start up to the moment
// the partition begins, so that a's last successful renewals are answered
// late. The client's per-request timeout is turned off (0s) so that the
// latency, not the timeout, is the variable: with client-go's default
// max(1s, RD/2) a renewal answered later than that fails instead.
func SlowLeaderScenario(tm scenarios.Timings, followers int) *scenarios.Scenario {
	sc := PartitionedLeaderScenario(tm, followers)
	sc.Metadata.Name = "slow-leader"
	part := sc.Spec.Faults[0]
	from := tm.LeaseDuration + tm.RenewDeadline
	sc.Spec.Faults = append(sc.Spec.Faults, scenarios.Fault{Type: scenarios.FaultLatency, At: metav1.Duration{Duration: from}, Duration: scenarios.Dur(part.At.Duration - from),
		Nodes: []string{"a"}, Response: &scenarios.Distribution{Type: scenarios.DistFixed, Value: scenarios.Dur(0)}})
	sc.Spec.Client.RequestTimeout = scenarios.Dur(0)
	return sc
}

// PredictedRatio is the first-order tolerated follower/leader clock-rate
// ratio LDs/(RD+RP) (elector-spec §9 with δ = g = π = ρ = 0).
func PredictedRatio(tm scenarios.Timings) float64 {
	return tm.LDs().Seconds() / (tm.RenewDeadline + tm.RetryPeriod).Seconds()
}

// PredictedLatency is the first-order tolerated response latency on the
// leader's last successful renewal at equal clock rates: LDs − (RD+RP).
func PredictedLatency(tm scenarios.Timings) time.Duration {
	return tm.LDs() - tm.RenewDeadline - tm.RetryPeriod
}
