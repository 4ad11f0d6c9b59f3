package bound

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// ratioTolerance is how far above the first-order ratio LDs/(RD+RP) the
// measured onset of overlap may lie for 15s/10s/2s with 20 seeds: the
// follower observes the leader's last change only at its next poll and
// reaches the expiry only at a later poll (each wait in [RP, 2.2·RP) of its
// clock), so with few seeds the measured onset sits above the worst case.
// Below the formula is never allowed: that would be overlap strictly
// inside the predicted safe region.
const ratioTolerance = 0.15

func TestThresholdFollowerRate15_10_2(t *testing.T) {
	tm := timings(15*time.Second, 10*time.Second, 2*time.Second)
	pred := PredictedRatio(tm)
	res, err := Threshold(ThresholdSpec{
		Base:  PartitionedLeaderScenario(tm, 2),
		Param: FollowerRate(), Lo: 1, Hi: 2,
		Seeds: SeedRange(1, 20), Resolution: 0.005,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("predicted %.4f, measured onset %.4f (safe at %.4f), %d runs, overlap %v at seed %d",
		pred, res.Value, res.Safe, res.Runs, res.Result.Overlap.Total, res.Result.Seed)
	if res.Value < pred {
		t.Fatalf("overlap at follower rate %.4f, strictly inside the predicted safe region (< %.4f):\n%s", res.Value, pred, yamlOrErr(res.Counterexample))
	}
	if res.Value > pred+ratioTolerance {
		t.Fatalf("measured onset %.4f is more than %.2f above the predicted %.4f", res.Value, ratioTolerance, pred)
	}
	// The counterexample reproduces on its own.
	again, err := runner.RunWith(res.Counterexample, runner.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Overlap.Total == 0 || again.TraceHash != res.Result.TraceHash {
		t.Fatalf("counterexample does not reproduce: overlap %v, hash %s vs %s", again.Overlap.Total, again.TraceHash, res.Result.TraceHash)
	}
}

func timings(ld, rd, rp time.Duration) scenarios.Timings {
	return scenarios.Timings{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp}
}

func yamlOrErr(sc *scenarios.Scenario) string {
	b, err := sc.Marshal()
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// TestMeasureSafetyBound prints the table of docs/safety-bound.md. It runs
// only when LESIM_MEASURE is set (to the number of seeds, default 200):
//
//	LESIM_MEASURE=200 go test ./scenarios/bound -run TestMeasureSafetyBound -v -timeout 30m
func TestMeasureSafetyBound(t *testing.T) {
	env := os.Getenv("LESIM_MEASURE")
	if env == "" {
		t.Skip("set LESIM_MEASURE=<seeds> to measure")
	}
	seeds, err := strconv.Atoi(env)
	if err != nil || seeds <= 0 {
		seeds = 200
	}
	for _, followers := range []int{1, 2} {
		for _, tm := range MeasuredTimings() {
			base := PartitionedLeaderScenario(tm, followers)
			res, err := Threshold(ThresholdSpec{Base: base, Param: FollowerRate(), Lo: 0.3, Hi: 3, Seeds: SeedRange(1, seeds), Resolution: 0.001})
			if err != nil {
				t.Errorf("%v: %v", tm, err)
				continue
			}
			fmt.Printf("| rate | %v | %d | %.3f | %.3f (safe %.3f) | %d | overlap %v, seed %d |\n",
				tm, followers, PredictedRatio(tm), res.Value, res.Safe, seeds, res.Result.Overlap.Total, res.Result.Seed)
		}
	}
	for _, followers := range []int{1, 2} {
		for _, tm := range MeasuredTimings() {
			base := SlowLeaderScenario(tm, followers)
			hi := min(tm.LDs(), tm.RenewDeadline-time.Millisecond).Seconds() // a renewal answered after RD fails: its poll ends first
			res, err := Threshold(ThresholdSpec{Base: base, Param: FaultResponseLatency(1), Lo: 0, Hi: hi, Seeds: SeedRange(1, seeds), Resolution: 0.001})
			if err != nil {
				t.Errorf("%v latency: %v", tm, err)
				continue
			}
			fmt.Printf("| latency | %v | %d | %v | %.3fs (safe %.3fs) | %d | overlap %v, seed %d |\n",
				tm, followers, PredictedLatency(tm), res.Value, res.Safe, seeds, res.Result.Overlap.Total, res.Result.Seed)
		}
	}
}
