package main

// Limits of the count flags of compare, gate and tune.

import (
	"github.com/lesim/lesim/scenarios/batch"
)

// checkSeeds bounds a --seeds flag: at least least, at most
// batch.MaxSeeds.
func checkSeeds(n, least int) error {
	if n < least || n > batch.MaxSeeds {
		return badInput("--seeds %d: expected %d to %d", n, least, batch.MaxSeeds)
	}
	return nil
}

// checkJobs bounds a -j flag: 1 to batch.MaxJobs.
func checkJobs(n int) error {
	if n < 1 || n > batch.MaxJobs {
		return badInput("-j %d: expected 1 to %d", n, batch.MaxJobs)
	}
	return nil
}
