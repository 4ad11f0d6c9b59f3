//go:build lesim_mutants

package worstcase

import (
	"testing"

	"github.com/lesim/lesim/elector"
)

// TestEarlyTakeoverMutantFoundInsideTheBound: at follower rate 1.22 the
// faithful elector cannot overlap (15/1.22 = 12.3 s > RD+RP = 12 s) and the
// search finds nothing; an elector that judges leases expired 0.5 s early
// can (14.5/1.22 = 11.89 s < 12 s), and the search finds it within the
// budget the safety property gives each case. Its seeded run does not.
func TestEarlyTakeoverMutantFoundInsideTheBound(t *testing.T) {
	search := func() *Found {
		f, err := Search(Spec{Scenario: rateScenario(1.22), Objective: TotalOverlap, Budget: 30, Seed: 1, StopAtOverlap: true, NoShrink: true})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := search(); f.Value != 0 {
		t.Fatalf("faithful elector at rate 1.22: overlap %v", f.Value)
	}
	elector.SetMutant(elector.MutantEarlyTakeover)
	defer elector.SetMutant(elector.MutantNone)
	f := search()
	if f.Value == 0 {
		t.Fatalf("early-takeover elector at rate 1.22: no overlap in %d runs (closest %v)", f.Runs, f.Closest)
	}
	if f.How == "seeded" {
		t.Errorf("the seeded run overlapped already: the case does not need the search")
	}
	t.Logf("early takeover: overlap %v (%s, %d runs)", f.Value, f.How, f.Runs)
}
