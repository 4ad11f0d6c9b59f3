package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// seedTask is one run of a sweep: seed number j of a point.
type seedTask struct {
	pp   plannedPoint
	j    int
	seed uint64
}

type seedResult struct {
	task seedTask
	run  reports.SweepRun
	err  error
}

// seedLine is a journal line for one finished run of a point not yet
// complete, so that an interruption keeps it; a complete point is
// journaled whole (a reports.SweepPoint line).
type seedLine struct {
	SeedRun *journalSeed `json:"seedRun"`
}

type journalSeed struct {
	Index int              `json:"index"`
	Key   string           `json:"key"`
	J     int              `json:"j"`
	Run   reports.SweepRun `json:"run"`
}

// sweepState is what a sweep has finished: whole points, and the runs of
// points not yet complete (slot j holds seed j's run, nil while to do).
type sweepState struct {
	done    map[int]reports.SweepPoint
	partial map[int][]*reports.SweepRun
}

// runsDone counts the finished runs of the points given.
func (st *sweepState) runsDone(mine []plannedPoint, seeds int) int {
	n := 0
	for _, pp := range mine {
		if _, ok := st.done[pp.index]; ok {
			n += seeds
			continue
		}
		for _, r := range st.partial[pp.index] {
			if r != nil {
				n++
			}
		}
	}
	return n
}

// tasks lists the runs still to do, point by point, seeds in order: the
// seeds of one point spread over the workers.
func (st *sweepState) tasks(plan *sweepPlan, mine []plannedPoint) []seedTask {
	var out []seedTask
	for _, pp := range mine {
		if _, ok := st.done[pp.index]; ok {
			continue
		}
		for j, seed := range pointSeeds(plan.spec.Seed, pp.key, plan.spec.Seeds) {
			if runs := st.partial[pp.index]; runs != nil && runs[j] != nil {
				continue
			}
			out = append(out, seedTask{pp: pp, j: j, seed: seed})
		}
	}
	return out
}

// record takes a finished run into the state and the journal; when it
// completes its point, the point is journaled whole.
func (st *sweepState) record(jf io.Writer, plan *sweepPlan, r seedResult) error {
	pp := r.task.pp
	runs := st.partial[pp.index]
	if runs == nil {
		runs = make([]*reports.SweepRun, plan.spec.Seeds)
		st.partial[pp.index] = runs
	}
	run := r.run
	runs[r.task.j] = &run
	for _, x := range runs {
		if x == nil {
			return writeJSONLine(jf, seedLine{&journalSeed{Index: pp.index, Key: pp.key, J: r.task.j, Run: run}})
		}
	}
	pt := reports.SweepPoint{Index: pp.index, Key: pp.key, Params: pp.params}
	for _, x := range runs {
		pt.Runs = append(pt.Runs, *x)
	}
	pt.Stats = reports.Aggregate(pt.Runs)
	st.done[pp.index] = pt
	delete(st.partial, pp.index)
	return writeJSONLine(jf, &pt)
}

// runSeed runs one seed of a point.
func runSeed(ctx context.Context, base *scenarios.Scenario, t seedTask) seedResult {
	sc := applyParams(base, t.pp.params)
	seed := t.seed
	res, err := runner.RunWith(sc, runner.RunOptions{Seed: &seed, Context: ctx})
	if err != nil {
		return seedResult{task: t, err: fmt.Errorf("point %s: %w", t.pp.key, err)}
	}
	s := reports.NewSummary(res)
	return seedResult{task: t, run: reports.NewSweepRun(&s)}
}

// runSeeds runs tasks, at most jobs at once, until they are done or ctx
// ends; each finished run goes to record at once (in completion order: the
// outputs are ordered by point and seed afterwards). The first error stops
// the others; no run starts once ctx ends.
func runSeeds(ctx context.Context, base *scenarios.Scenario, tasks []seedTask, jobs int, record func(seedResult) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	results := make(chan seedResult)
	go func() {
		for _, t := range tasks {
			if gctx.Err() != nil {
				break
			}
			g.Go(func() error {
				if gctx.Err() != nil {
					return nil // stopped: start nothing
				}
				r := runSeed(gctx, base, t)
				if r.err != nil && gctx.Err() != nil {
					return nil // stopped mid-run: the seed is not recorded and reruns on --resume
				}
				if r.err != nil {
					return r.err
				}
				results <- r
				return nil
			})
		}
		g.Wait()
		close(results)
	}()
	var recErr error
	for r := range results {
		if recErr == nil {
			recErr = record(r)
		}
	}
	// Wait again for the first run error (results is closed after it).
	if err := g.Wait(); err != nil {
		return err
	}
	return recErr
}

// interrupts turns SIGINT and SIGTERM into a stop: the first prints
// "stopping…" and cancels the returned context (runs in flight stop and
// are left for --resume, finished ones are journaled, no new one starts); a second exits at once with status
// 130. Cancelling parent stops the same way. release restores the
// default handling.
func interrupts(parent context.Context, stderr io.Writer) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(parent)
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	finished := make(chan struct{})
	go func() {
		// A signal, or the command's context ending (a caller's own
		// signal handling may see Ctrl-C first), starts the stop.
		select {
		case <-sigc:
		case <-parent.Done():
		case <-finished:
			return
		}
		fmt.Fprintln(stderr, "stopping… finished runs are journaled, the ones in flight rerun on --resume; Ctrl-C again to exit at once")
		cancel()
		select {
		case <-sigc:
			fmt.Fprintln(stderr, "interrupted again: exiting without waiting")
			os.Exit(exitInterrupted)
		case <-finished:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigc)
			close(finished)
			cancel()
		})
	}
}
