package conformance

import (
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/gen"
)

// pairedSeeds is how many seeds each generated scenario runs on, a side.
const pairedSeeds = 3

// comparableScenarios draws scenarios both sides can run: perfect clocks
// (the real electors share one fake clock), the v0.37 variant, no workload,
// no coordinated election, no callback delay, and only the faults the real
// side realises. The serialising server is left out: requests that reach
// it at one instant queue in the Go scheduler's order on the real side,
// a race no seed reaches and no coin of lesim's stands for.
func comparableScenarios() *rapid.Generator[*scenarios.Scenario] {
	return gen.Scenario(gen.Options{
		MaxNodes: 3, Duration: 2 * time.Minute, MinRate: 1, MaxRate: 1,
		Fault: gen.FaultOptions{Duration: 2*time.Minute - time.Second}, // room for apart
		FaultKinds: []scenarios.FaultType{scenarios.FaultPartition, scenarios.FaultCrash, scenarios.FaultStop,
			scenarios.FaultAPIOutage, scenarios.FaultLatency},
		Exclude: gen.Workload | gen.Variant | gen.CallbackDelay | gen.ClockOffset | gen.ClockSchedule |
			gen.NodeElector | gen.Coordinated | gen.SerialServer |
			gen.PinnedChoices | gen.Envelope, // choices a search makes: the real side draws its own
	})
}

// TestPropPairedAgreement: on generated scenarios, the real elector and
// lesim's, run on the same seeds with every draw shared, do exactly the
// same thing on every seed, except where lesim flipped its coin for a
// renew tick on the poll's deadline (the race client-go leaves to the Go
// scheduler). Each case runs pairedSeeds seeds a side; make test runs
// propertyChecks cases, make test-long 2000.
func TestPropPairedAgreement(t *testing.T) {
	var seeds, identical, ties int
	rapid.Check(t, func(rt *rapid.T) {
		sc, err := prepare(apart(comparableScenarios().Draw(rt, "scenario")))
		if err != nil {
			rt.Fatalf("generator drew a scenario the real side cannot run: %v", err)
		}
		p := pairScenario(t, sc, pairedSeeds)
		seeds, identical, ties = seeds+p.n, identical+p.identical, ties+p.tieRace
		if len(p.unexplained) > 0 {
			rt.Fatalf("seeds %v differ between client-go and lesim with no tie race in lesim's run\n%s", p.unexplained, yamlOf(sc))
		}
	})
	t.Logf("%d seeds: %d identical, %d parted on a tie race", seeds, identical, ties)
}

// apart keeps the scenario's instants off one another: each node starts
// at least a millisecond after the previous one, and fault i moves
// 13 µs + i·97 µs later, off the millisecond grid the generator draws
// on and off every other fault's start and end. Two things the scenario
// does at one instant happen in the Go scheduler's order on the real side
// (a race no seed reaches); the corpus avoids them the same way.
func apart(sc *scenarios.Scenario) *scenarios.Scenario {
	for i := 1; i < len(sc.Spec.Nodes); i++ {
		prev, n := sc.Spec.Nodes[i-1].Start.Duration, &sc.Spec.Nodes[i].Start
		n.Duration = max(n.Duration, prev+time.Millisecond)
	}
	for i := range sc.Spec.Faults {
		sc.Spec.Faults[i].At.Duration += 13*time.Microsecond + time.Duration(i)*97*time.Microsecond
	}
	return sc
}

// pairScenario runs n seeds of a prepared scenario on both sides.
func pairScenario(t *testing.T, sc *scenarios.Scenario, n int) pairing {
	real, lesim := make([]*outcome, n), make([]*outcome, n)
	for i := range n {
		seed := sc.Seed() + uint64(i)
		var err error
		synctest.Test(t, func(*testing.T) { real[i], err = runReal(sc, seed) })
		if err != nil {
			t.Fatal(err)
		}
		if lesim[i], err = runLesim(sc, seed); err != nil {
			t.Fatal(err)
		}
	}
	return pairRuns(sc.Seed(), real, lesim)
}

func yamlOf(sc *scenarios.Scenario) string {
	b, err := sc.Marshal()
	if err != nil {
		return "marshal: " + err.Error()
	}
	return string(b)
}
