//go:build !lesim_mutants

package elector

// activeMutant is the constant MutantNone in the default build, so Mutated
// is constant false and every mutated branch compiles away.
func activeMutant() Mutant { return MutantNone }

// MutantsBuilt reports whether this build can switch mutants on.
const MutantsBuilt = false
