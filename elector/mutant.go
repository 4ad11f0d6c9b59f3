package elector

// Mutant names one deliberate error in the elector, used by the
// conformance suite to show that it can tell a faithful elector from a
// wrong one: a suite that passes a mutant has no power against that error.
//
// In the default build no mutant can be switched on: the active mutant is
// the constant MutantNone (mutant_off.go), so every mutated branch is dead
// code that the compiler removes and nothing, the CLI included, can reach
// it. Only a build with the lesim_mutants tag (mutant_on.go) has SetMutant.
type Mutant uint8

const (
	// MutantNone is the faithful elector.
	MutantNone Mutant = iota
	// MutantEarlyTakeover judges a lease expired 0.5 s before it is.
	MutantEarlyTakeover
	// MutantJitterOne waits RetryPeriod·(1 + 1.0·u) between acquire tries
	// instead of JitterFactor 1.2.
	MutantJitterOne
	// MutantFixedRenewPeriod starts renew rounds every RetryPeriod from the
	// start of the previous round instead of RetryPeriod after its end
	// (wait.Until without sliding).
	MutantFixedRenewPeriod
	// MutantNoRequestTimeout ignores the client's per-request timeout
	// (applied by the lease lock, which asks Mutated).
	MutantNoRequestTimeout
	// MutantUntruncatedLeaseDuration judges expiry on the configured
	// LeaseDuration instead of the whole seconds the record carries.
	MutantUntruncatedLeaseDuration
	// MutantMicrosecondChange detects a changed record by its renewTime at
	// microsecond precision instead of the whole-second raw record.
	MutantMicrosecondChange
	// MutantReleaseWithoutGet releases (v0.37) without first reading the
	// lease: an update on the cached record.
	MutantReleaseWithoutGet
	// MutantSeedRelease runs v0.30's release under the v0.37 variant.
	MutantSeedRelease
	// MutantNoFastPath never tries the optimistic update: every renewal
	// reads the lease first.
	MutantNoFastPath
	// MutantConflictIsSuccess takes a 409 Conflict on a write for success.
	MutantConflictIsSuccess
	// MutantDeadlineFirst resolves a renew tick that falls on the poll's
	// deadline always in the deadline's favour (no attempt), instead of
	// client-go's race, which the tick wins about half the time.
	MutantDeadlineFirst
	// MutantEarlyTakeoverSmall judges a lease expired 20 ms before it is:
	// a takeover moves only when an acquire try falls in those 20 ms, on
	// a few percent of seeds, and the overlap rate by about a point.
	MutantEarlyTakeoverSmall

	mutantCount
)

var mutantNames = [mutantCount]string{
	"none", "early-takeover", "jitter-1.0", "fixed-renew-period", "no-request-timeout",
	"untruncated-lease-duration", "microsecond-change-detection", "release-without-get",
	"v0.30-release-as-v0.37", "no-fast-path", "conflict-is-success", "deadline-first",
	"early-takeover-20ms",
}

func (m Mutant) String() string {
	if m < mutantCount {
		return mutantNames[m]
	}
	return "unknown"
}

// AllMutants lists every mutant, MutantNone excluded.
func AllMutants() []Mutant {
	out := make([]Mutant, 0, mutantCount-1)
	for m := MutantNone + 1; m < mutantCount; m++ {
		out = append(out, m)
	}
	return out
}

// Mutated reports whether mutant m is switched on. It is false for every m
// in the default build.
func Mutated(m Mutant) bool { return m != MutantNone && m == activeMutant() }
