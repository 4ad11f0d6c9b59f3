//go:build lesim_mutants

package elector

// mutant is the mutant switched on in a lesim_mutants build. It is
// process-wide on purpose: the mutation harness switches it between
// sequential runs of the whole conformance suite.
var mutant Mutant

func activeMutant() Mutant { return mutant }

// MutantsBuilt reports whether this build can switch mutants on.
const MutantsBuilt = true

// SetMutant switches mutant m on (MutantNone switches every mutant off).
// Not safe for concurrent use with running electors.
func SetMutant(m Mutant) { mutant = m }
