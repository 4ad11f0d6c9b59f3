package worstcase

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios/bound"
)

// TestOnsetAtTheBound: the search's onset for 15s/10s/2s lies within
// 0.001 of the formula's rate, never below it. The check has teeth: by
// mutation alone, with the same budget, the onset lands further out.
func TestOnsetAtTheBound(t *testing.T) {
	onset := func(noConstruct bool) float64 {
		r, err := Onset(OnsetSpec{Base: bound.PartitionedLeaderScenario(tm15, 2), Param: bound.FollowerRate(), Lo: 1.1, Hi: 1.4, Resolution: 0.0005, Budget: 60, NoConstruct: noConstruct})
		if err != nil {
			t.Fatal(err)
		}
		return r.Value
	}
	p := bound.PredictedRatio(tm15)
	if v := onset(false); v < p || v > p+0.001 {
		t.Errorf("onset rate %.4f, formula %.4f", v, p)
	}
	if v := onset(true); v <= p+0.001 {
		t.Errorf("mutation alone reached the onset too (%.4f): the check above cannot tell a search without its constructions", v)
	}
}

// TestMeasureSafetyBoundSearch prints the search's rows of
// docs/safety-bound.md. It runs only when LESIM_MEASURE_SEARCH is set:
//
//	LESIM_MEASURE_SEARCH=1 go test ./scenarios/worstcase -run TestMeasureSafetyBoundSearch -v -timeout 30m
func TestMeasureSafetyBoundSearch(t *testing.T) {
	if os.Getenv("LESIM_MEASURE_SEARCH") == "" {
		t.Skip("set LESIM_MEASURE_SEARCH=1 to measure")
	}
	for _, followers := range []int{1, 2} {
		for _, c := range bound.MeasuredTimings() {
			start := time.Now()
			r, err := Onset(OnsetSpec{Base: bound.PartitionedLeaderScenario(c, followers), Param: bound.FollowerRate(), Lo: 0.5, Hi: 3, Resolution: 0.0001})
			if err != nil {
				t.Errorf("%v: %v", c, err)
				continue
			}
			fmt.Printf("| rate | %v | %d | %.4f | %.4f (safe %.4f) | %d runs, %v |\n", c, followers, bound.PredictedRatio(c), r.Value, r.Safe, r.Runs, time.Since(start).Round(time.Millisecond))
		}
	}
	for _, followers := range []int{1, 2} {
		for _, c := range bound.MeasuredTimings() {
			start := time.Now()
			hi := min(c.LDs(), c.RenewDeadline-time.Millisecond).Seconds()
			r, err := Onset(OnsetSpec{Base: bound.SlowLeaderScenario(c, followers), Param: bound.FaultResponseLatency(1), Lo: 0, Hi: hi, Resolution: 0.0001})
			if err != nil {
				t.Errorf("%v latency: %v", c, err)
				continue
			}
			fmt.Printf("| latency | %v | %d | %v | %.4fs (safe %.4fs) | %d runs, %v |\n", c, followers, bound.PredictedLatency(c), r.Value, r.Safe, r.Runs, time.Since(start).Round(time.Millisecond))
		}
	}
}
