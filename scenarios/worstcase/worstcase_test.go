package worstcase

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/bound"
	"github.com/lesim/lesim/scenarios/runner"
	"github.com/lesim/lesim/sim"
)

var tm15 = scenarios.Timings{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}

// RateScenario is the partitioned-leader scenario of the safety bound
// with followers at rate.
func rateScenario(rate float64) *scenarios.Scenario {
	sc := bound.PartitionedLeaderScenario(tm15, 2)
	bound.FollowerRate().Apply(sc, rate)
	return sc
}

// latencyScenario is the slow-leader scenario with the leader's responses
// up to lat late (uniform in [0, lat]: the adversary picks inside it).
func latencyScenario(lat time.Duration) *scenarios.Scenario {
	sc := bound.SlowLeaderScenario(tm15, 2)
	sc.Spec.Faults[1].Response = &scenarios.Distribution{Type: scenarios.DistUniform, Min: &metaZero, Max: dur(lat)}
	return sc
}

// TestRecordReplay: recording changes nothing; replaying a recording as
// pins gives the same trace; changing one pinned value changes it. Run
// on library scenarios whose choices span latency, injected errors,
// stale reads and jitter.
func TestRecordReplay(t *testing.T) {
	for _, name := range []string{"conflict-storm", "stale-reads", "slow-api"} {
		sc, err := scenarios.Named(name)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := runner.Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		rec := &sim.Recorder{}
		recorded, err := runner.RunWith(sc, runner.RunOptions{Choices: rec})
		if err != nil {
			t.Fatal(err)
		}
		if recorded.TraceHash != plain.TraceHash {
			t.Fatalf("%s: recording changed the run: %s, want %s", name, recorded.TraceHash, plain.TraceHash)
		}
		kinds := map[sim.ChoiceKind]int{}
		for _, m := range rec.Made {
			kinds[m.Key.Kind]++
		}
		if kinds[sim.ChoiceJitter] == 0 || kinds[sim.ChoiceRequest] == 0 || kinds[sim.ChoiceResponse] == 0 {
			t.Fatalf("%s: choices made %v: expected jitter, request and response choices", name, kinds)
		}
		replayed, err := runner.RunWith(sc, runner.RunOptions{Choices: sim.NewPins(sim.PinsOf(rec.Made))})
		if err != nil {
			t.Fatal(err)
		}
		if replayed.TraceHash != plain.TraceHash {
			t.Errorf("%s: replay gives %s, want %s", name, replayed.TraceHash, plain.TraceHash)
		}
		// Change the first open choice to another value in its range.
		pins := sim.PinsOf(rec.Made)
		for _, m := range rec.Made {
			if m.Choice.Lo < m.Choice.Hi {
				pins[m.Key] = m.Choice.Lo
				if m.Value == m.Choice.Lo {
					pins[m.Key] = m.Choice.Hi
				}
				break
			}
		}
		mutated, err := runner.RunWith(sc, runner.RunOptions{Choices: sim.NewPins(pins)})
		if err != nil {
			t.Fatal(err)
		}
		if mutated.TraceHash == plain.TraceHash {
			t.Errorf("%s: a changed choice left the trace as it was", name)
		}
		t.Logf("%s: %d choices %v", name, len(rec.Made), kinds)
	}
}

// TestSearchAtTheBound: just outside the bound (follower rate 1.251 >
// 15/12, or 3.01 s on the leader's responses > LDs−RD−RP = 3 s) the
// search finds an overlap, its counterexample file reproduces it exactly
// after a trip through YAML, and it pins only a part of the choices; just
// inside (1.249, 2.99 s) it finds none, and comes within a few ms.
func TestSearchAtTheBound(t *testing.T) {
	cases := []struct {
		name    string
		sc      *scenarios.Scenario
		overlap bool
	}{
		{"rate 1.251", rateScenario(1.251), true},
		{"latency 3.01s", latencyScenario(3010 * time.Millisecond), true},
		{"rate 1.249", rateScenario(1.249), false},
		{"latency 2.99s", latencyScenario(2990 * time.Millisecond), false},
	}
	for _, c := range cases {
		f, err := Search(Spec{Scenario: c.sc, Objective: TotalOverlap, Budget: 150, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: overlap %v, closest %v, %s, %d runs, %d of %d choices pinned; %s", c.name, f.Value, f.Closest, f.How, f.Runs, f.Pinned, f.Choices, f.Bound)
		// The formula is the worst case: the search reaches it within 1 ms
		// (its aim's slack and whole-millisecond pins cost microseconds)
		// and never beats it.
		if got := f.Value - f.Closest; got > f.Bound.Overlap || got < f.Bound.Overlap-time.Millisecond {
			t.Errorf("%s: the search reached %v, the formula predicts %v", c.name, got, f.Bound.Overlap)
		}
		if !c.overlap {
			if f.Value != 0 {
				t.Errorf("%s: overlap %v inside the bound", c.name, f.Value)
			}
			if f.Closest > 15*time.Millisecond {
				t.Errorf("%s: closest handover %v: the search should come within 15ms of the bound", c.name, f.Closest)
			}
			continue
		}
		if f.Value <= 0 {
			t.Fatalf("%s: no overlap found", c.name)
		}
		if f.Pinned >= f.Choices {
			t.Errorf("%s: %d of %d choices pinned: shrinking removed none", c.name, f.Pinned, f.Choices)
		}
		data, err := f.Counterexample.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := scenarios.Parse("counterexample.yaml", data)
		if err != nil {
			t.Fatalf("%s: counterexample does not load: %v\n%s", c.name, err, data)
		}
		res, err := runner.Run(back)
		if err != nil {
			t.Fatal(err)
		}
		if res.TraceHash != f.Result.TraceHash || res.Overlap.Total != f.Value {
			t.Errorf("%s: counterexample runs to %s overlap %v, want %s %v", c.name, res.TraceHash, res.Overlap.Total, f.Result.TraceHash, f.Value)
		}
	}
}

// TestConstructionFindsWhatMutationAloneMisses: with the same small
// budget, the search without its constructions (mutation alone from the
// seeded run) finds no overlap at rate 1.251, the full search does. It is
// the structure-aware part that makes the search fast.
func TestConstructionFindsWhatMutationAloneMisses(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		f, err := Search(Spec{Scenario: rateScenario(1.251), Objective: TotalOverlap, Budget: 60, Seed: seed, NoConstruct: true})
		if err != nil {
			t.Fatal(err)
		}
		if f.Value > 0 {
			t.Errorf("seed %d: mutation alone found %v in %d runs", seed, f.Value, f.Runs)
		}
		g, err := Search(Spec{Scenario: rateScenario(1.251), Objective: TotalOverlap, Budget: 60, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if g.Value == 0 {
			t.Errorf("seed %d: the full search found nothing in %d runs", seed, g.Runs)
		}
	}
}

// TestMutationFindsWithoutConstruction: the general search alone reaches
// the overlap given a budget (deterministically, for its seed): it does
// not depend on the constructions being right.
func TestMutationFindsWithoutConstruction(t *testing.T) {
	f, err := Search(Spec{Scenario: rateScenario(1.3), Objective: TotalOverlap, Budget: 1500, Seed: 1, NoConstruct: true, StopAtOverlap: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Value == 0 || f.How != "mutated" {
		t.Fatalf("mutation alone at rate 1.3: overlap %v (%s) in %d runs", f.Value, f.How, f.Runs)
	}
	g, err := Search(Spec{Scenario: rateScenario(1.3), Objective: TotalOverlap, Budget: 1500, Seed: 1, NoConstruct: true, StopAtOverlap: true})
	if err != nil {
		t.Fatal(err)
	}
	if g.Result.TraceHash != f.Result.TraceHash || g.Runs != f.Runs {
		t.Errorf("the same search twice: %s in %d runs, then %s in %d", f.Result.TraceHash, f.Runs, g.Result.TraceHash, g.Runs)
	}
}

var metaZero = metav1.Duration{}

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// bandScenario is rateScenario with the followers' rates a band [1, hi]
// and the partition's start a range: the adversary must pick the rate.
func bandScenario(hi float64) *scenarios.Scenario {
	sc := bound.PartitionedLeaderScenario(tm15, 2)
	for i := 1; i < len(sc.Spec.Nodes); i++ {
		sc.Spec.Nodes[i].Clock = &scenarios.Clock{RateBand: &scenarios.RateBand{Min: 1, Max: hi}}
	}
	f := &sc.Spec.Faults[0]
	f.AtMax = dur(f.At.Duration + 5*time.Second)
	return sc
}

// TestEnvelope: a run draws the band's rate and the fault's start inside
// their ranges; the search picks them. With the band reaching 1.251 it
// finds the overlap (at the band's top), with 1.249 none; its
// counterexample pins the rate it chose.
func TestEnvelope(t *testing.T) {
	rec := &sim.Recorder{}
	if _, err := runner.RunWith(bandScenario(1.3), runner.RunOptions{Choices: rec}); err != nil {
		t.Fatal(err)
	}
	kinds := map[sim.ChoiceKind]int{}
	for _, m := range rec.Made {
		kinds[m.Key.Kind]++
		if m.Value < m.Choice.Lo || m.Value > m.Choice.Hi {
			t.Errorf("%v = %d outside [%d, %d]", m.Key, m.Value, m.Choice.Lo, m.Choice.Hi)
		}
	}
	if kinds[sim.ChoiceClockRate] != 2 || kinds[sim.ChoiceFaultStart] != 1 {
		t.Fatalf("envelope choices %v: want 2 clock rates and 1 fault start", kinds)
	}
	for _, c := range []struct {
		hi      float64
		overlap bool
	}{{1.251, true}, {1.249, false}} {
		f, err := Search(Spec{Scenario: bandScenario(c.hi), Objective: TotalOverlap, Budget: 150, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if (f.Value > 0) != c.overlap {
			t.Fatalf("band up to %v: overlap %v (closest %v), want overlap %v", c.hi, f.Value, f.Closest, c.overlap)
		}
		if !c.overlap {
			continue
		}
		var rates []int64
		for _, pc := range f.Counterexample.Spec.Choices {
			if pc.Kind == "clockRate" {
				rates = append(rates, *pc.Pick)
			}
		}
		if len(rates) == 0 || rates[0] != 1251000 {
			t.Errorf("band up to 1.251: pinned rates %v, want the band's top 1251000", rates)
		}
		res, err := runner.Run(f.Counterexample)
		if err != nil || res.TraceHash != f.Result.TraceHash {
			t.Errorf("counterexample: %v, hash %v want %s", err, res, f.Result.TraceHash)
		}
	}
}

// TestLivenessObjectives: the recovery and leaderless searches do at
// least as badly as the seeded run, their counterexamples reproduce the
// value, and the recovery stays within the scenario's liveness bound
// (the search may not leave the environment). A scenario in which nobody
// can lead gives only degenerate runs: counted, never a result.
func TestLivenessObjectives(t *testing.T) {
	sc := bound.PartitionedLeaderScenario(tm15, 2)
	seeded, err := runner.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Objective{Recovery, Leaderless} {
		f, err := Search(Spec{Scenario: sc, Objective: o, Budget: 120, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		base := seeded.Leaderless.Total
		if o == Recovery {
			base = seeded.Failovers[0].Recovery
		}
		if f.Value < base || f.Degenerate != 0 {
			t.Errorf("%s: worst %v below the seeded run's %v (degenerate %d)", o, f.Value, base, f.Degenerate)
		}
		res, err := runner.Run(f.Counterexample)
		if err != nil {
			t.Fatal(err)
		}
		got := res.Leaderless.Total
		if o == Recovery {
			got = res.Failovers[0].Recovery
			if w := f.Counterexample.Liveness(); got > w.Bound+time.Duration(float64(tm15.RenewDeadline)) {
				t.Errorf("recovery %v beyond the liveness bound %v + RD", got, w.Bound)
			}
		}
		if got != f.Value {
			t.Errorf("%s: counterexample gives %v, the search %v", o, got, f.Value)
		}
		t.Logf("%s: seeded %v, worst %v (%s, %d runs, %d pinned)", o, base, f.Value, f.How, f.Runs, f.Pinned)
	}
	noLeader, err := scenarios.Load("../testdata/no-leader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Search(Spec{Scenario: noLeader, Objective: Leaderless, Budget: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Value != 0 || f.Degenerate == 0 {
		t.Errorf("no-leader scenario: value %v, %d degenerate runs; want 0 and all degenerate", f.Value, f.Degenerate)
	}
}
