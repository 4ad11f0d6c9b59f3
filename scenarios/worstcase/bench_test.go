package worstcase

import (
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// The search against the sampler at the safety bound (docs/performance.md):
// 15s/10s/2s, two followers, the leader partitioned. Just outside the
// bound (follower rate 1.251 > 1.25; at equal rates, leader responses up
// to 3.01 s > 3 s) the search stops at the first overlap; the sampler runs
// seeds 1, 2, … of the same scenario until one overlaps, up to
// samplerCap seeds (a lower bound when none does). Just inside (1.249,
// 2.99 s) the search spends its whole budget and finds none.

// samplerCap bounds the seeds the sampler benchmarks try.
const samplerCap = 20000

// benchBudget is the search's budget in these benchmarks.
const benchBudget = 2000

func benchSearch(b *testing.B, sc *scenarios.Scenario, first bool) {
	var f *Found
	for b.Loop() {
		var err error
		f, err = Search(Spec{Scenario: sc, Objective: TotalOverlap, Budget: benchBudget, Seed: 1, StopAtOverlap: first, NoShrink: first})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.Runs), "runs/op")
	b.ReportMetric(f.Value.Seconds()*1e3, "overlap-ms")
	b.ReportMetric(f.Closest.Seconds()*1e3, "closest-ms")
}

func benchSampler(b *testing.B, sc *scenarios.Scenario) {
	seeds, found := 0, 0.0
	for b.Loop() {
		seeds, found = 0, 0
		for s := uint64(1); s <= samplerCap; s++ {
			seed := s
			res, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed})
			if err != nil {
				b.Fatal(err)
			}
			seeds++
			if res.Overlap.Total > 0 {
				found = 1
				break
			}
		}
	}
	b.ReportMetric(float64(seeds), "seeds/op")
	b.ReportMetric(found, "found")
}

func BenchmarkWorstCaseRate1251(b *testing.B) { benchSearch(b, rateScenario(1.251), true) }
func BenchmarkSamplerRate1251(b *testing.B)   { benchSampler(b, rateScenario(1.251)) }
func BenchmarkWorstCaseLatency301(b *testing.B) {
	benchSearch(b, latencyScenario(3010*time.Millisecond), true)
}
func BenchmarkSamplerLatency301(b *testing.B) {
	benchSampler(b, latencyScenario(3010*time.Millisecond))
}
func BenchmarkWorstCaseRate1249Full(b *testing.B) { benchSearch(b, rateScenario(1.249), false) }
func BenchmarkWorstCaseLatency299Full(b *testing.B) {
	benchSearch(b, latencyScenario(2990*time.Millisecond), false)
}

// BenchmarkWorstCaseRate1251MutationOnly is the search without its
// constructions: mutation alone from the seeded run.
func BenchmarkWorstCaseRate1251MutationOnly(b *testing.B) {
	var f *Found
	for b.Loop() {
		var err error
		f, err = Search(Spec{Scenario: rateScenario(1.251), Objective: TotalOverlap, Budget: benchBudget, Seed: 1, StopAtOverlap: true, NoShrink: true, NoConstruct: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.Runs), "runs/op")
	b.ReportMetric(f.Value.Seconds()*1e3, "overlap-ms")
}
