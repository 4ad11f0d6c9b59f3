package main

import (
	"github.com/spf13/pflag"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/sim"
)

// Upper bounds of the count flags (docs/simulate.md lists them). Each is far
// above any useful value and far below what would exhaust memory before
// the first result: a count is checked before anything is allocated for it.
// Seeds and jobs share the limits of the batch runner, which compare, gate
// and tune run on.
const (
	maxSeeds       = batch.MaxSeeds // --seeds: seeds per point or per side
	maxJobs        = batch.MaxJobs  // -j: runs in parallel
	maxShards      = 100_000        // sweep --shard-count
	maxSweepRuns   = 10_000_000     // points × seeds of one sweep
	maxShownEvents = 1_000_000      // explain --max-events
	maxEventBudget = uint64(1) << 40
)

// maxEventsFlag is --max-events, the event budget of each run.
type maxEventsFlag struct{ n uint64 }

func (m *maxEventsFlag) addFlags(fs *pflag.FlagSet) {
	fs.Uint64Var(&m.n, "max-events", scenarios.DefaultMaxEvents, "event budget of each run: a scenario estimated to need more is refused, a run reaching it stops (at most 2^40)")
}

func (m *maxEventsFlag) validate() error {
	if m.n < 1 || m.n > maxEventBudget {
		return badInput("--max-events %d: expected 1 to %d", m.n, maxEventBudget)
	}
	return nil
}

// checkSeeds bounds a --seeds flag: at least least, at most maxSeeds.
func checkSeeds(n, least int) error {
	return checkCount("--seeds", n, least, maxSeeds)
}

// checkJobs bounds a -j flag: 1 to maxJobs.
func checkJobs(n int) error {
	return checkCount("-j", n, 1, maxJobs)
}

// checkCount is the common check of a count flag.
func checkCount(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return badInput("%s %d: expected %d to %d", flag, v, lo, hi)
	}
	return nil
}

// checkRate checks a clock rate or rate ratio given on the command line.
func checkRate(flag string, r float64) error {
	if sim.CheckRate(r) != nil {
		return badInput("%s %g: expected a clock-rate ratio from %g to %g", flag, r, sim.MinRate, sim.MaxRate)
	}
	return nil
}

// checkGridSize refuses a sweep of more than maxSweepRuns runs before any
// point is planned (the grid is the product of the dimensions given).
func checkGridSize(o *sweepOpts) error {
	n := float64(o.seeds)
	for _, dim := range []int{len(o.lease), len(o.renew), len(o.retry), len(o.skew), len(o.latency), len(o.pause), len(o.errorRate)} {
		n *= float64(max(dim, 1))
	}
	if n > maxSweepRuns {
		return badInput("sweep: %.3g runs (the product of the dimensions' lengths and --seeds); expected at most %d", n, maxSweepRuns)
	}
	return nil
}
