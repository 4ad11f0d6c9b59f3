//go:build lesim_mutants

package runner_test

import (
	"strings"
	"testing"

	"github.com/lesim/lesim/elector"
)

// TestPropSafetyInsideBoundAdversaryCatchesEarlyTakeover: the adversarial
// safety property can fail. An elector that judges a lease expired 0.5 s
// early overlaps inside the region whenever the adversary can bring a
// follower's takeover within 0.5 s of the leader's end, and the property
// finds such a case.
func TestPropSafetyInsideBoundAdversaryCatchesEarlyTakeover(t *testing.T) {
	elector.SetMutant(elector.MutantEarlyTakeover)
	defer elector.SetMutant(elector.MutantNone)
	failed, logs := expectFailure(t, safeInsideAgainstAdversary)
	if !failed {
		t.Fatalf("the early-takeover elector passed the adversarial safety property:\n%s", strings.Join(logs, "\n"))
	}
	t.Logf("caught: %s", logs[len(logs)-1][:min(300, len(logs[len(logs)-1]))])
}
