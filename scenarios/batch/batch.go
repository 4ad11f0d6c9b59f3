// Package batch runs scenarios on many seeds in parallel: the worker pool
// that sweeps of seeds in compare, gate and tune share. Each run is a pure
// function of (scenario, seed), so results are in input order whatever
// the number of workers.
package batch

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
	"github.com/lesim/lesim/sim"
)

// Limits of the counts a caller may ask for: beyond them a request is a
// mistake (a typo'd flag) rather than a plan, and would exhaust memory.
const (
	MaxSeeds = 100_000
	MaxJobs  = 1024
)

// Seeds derives n run seeds from base under label: seed i is
// sim.DeriveSeed(base, label/i), so two callers with the same base and
// label run the same seeds (common random numbers).
func Seeds(base uint64, label string, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = sim.DeriveSeed(base, fmt.Sprintf("%s/%d", label, i))
	}
	return out
}

// Run runs every scenario on every seed on jobs workers and returns
// results[scenario][seed]. The trace is not kept. The first error stops
// the remaining runs.
func Run(ctx context.Context, jobs int, scs []*scenarios.Scenario, seeds []uint64) ([][]*check.Result, error) {
	out := make([][]*check.Result, len(scs))
	for i := range out {
		out[i] = make([]*check.Result, len(seeds))
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	for i, sc := range scs {
		for j, seed := range seeds {
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				res, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed, Context: ctx})
				if err != nil {
					return fmt.Errorf("%s seed %d: %w", sc.Metadata.Name, seed, err)
				}
				out[i][j] = res
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
