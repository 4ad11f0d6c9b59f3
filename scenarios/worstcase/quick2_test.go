package worstcase

import (
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
)

func TestQuick2(t *testing.T) {
	tm := scenarios.Timings{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	for _, nc := range []bool{false, true} {
		sc := scenarios.PartitionedLeaderScenario(tm, 2)
		scenarios.FollowerRate().Apply(sc, 1.251)
		start := time.Now()
		f, err := Search(Spec{Scenario: sc, Objective: TotalOverlap, Budget: 3000, Seed: 1, NoConstruct: nc, StopAtOverlap: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("noconstruct %v: value %v closest %v how %s runs %d pinned %d/%d impr %d in %v", nc, f.Value, f.Closest, f.How, f.Runs, f.Pinned, f.Choices, f.Improvements, time.Since(start))
	}
	sc := scenarios.SlowLeaderScenario(tm, 2)
	for _, lat := range []float64{3.01, 2.99} {
		scenarios.FaultResponseLatency(1).Apply(sc, lat)
		f, err := Search(Spec{Scenario: sc, Objective: TotalOverlap, Budget: 1000, Seed: 1, StopAtOverlap: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("lat %v: value %v closest %v how %s runs %d pinned %d/%d impr %d", lat, f.Value, f.Closest, f.How, f.Runs, f.Pinned, f.Choices, f.Improvements)
	}
}
