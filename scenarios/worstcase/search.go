package worstcase

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/runner"
	"github.com/lesim/lesim/sim"
)

// Spec describes one search.
type Spec struct {
	// Scenario is the environment: every choice it leaves open (a
	// distribution's support, client-go's jitter range, …) is the
	// adversary's. Its spec.seed gives the draws of choices left unpinned.
	Scenario  *scenarios.Scenario
	Objective Objective
	// Budget is the number of runs the search may make, construction and
	// shrinking included (default 2000).
	Budget int
	// Seed drives the mutations; the search is a pure function of
	// (scenario, objective, budget, seed).
	Seed uint64
	// NoConstruct leaves out the structure-aware constructions: the search
	// starts from the seeded run and only mutates.
	NoConstruct bool
	// NoShrink keeps every pinned choice of the worst schedule.
	NoShrink bool
	// StopAtOverlap ends the search at the first overlap (for the overlap
	// objectives): the question "can they overlap at all" is answered.
	StopAtOverlap bool
	// Context, when set, ends the search early (with what it found).
	Context context.Context
}

// Found is the worst schedule a search found.
type Found struct {
	Objective Objective
	// Value is the objective's value of the worst schedule (0 for the
	// overlap objectives when no overlap was found).
	Value time.Duration
	// Closest is, when no overlap was found, how near the best schedule
	// came: the smallest gap between one leader's end and the next's start.
	Closest time.Duration
	// Counterexample is the scenario with the schedule's choices pinned
	// (spec.choices) and the seed fixed: running it reproduces Result.
	Counterexample *scenarios.Scenario
	Result         *check.Result
	// Pinned is how many choices the schedule pins, and Choices how many
	// the run made that the environment left open.
	Pinned, Choices int
	// How says which part of the search found it: "seeded", "constructed"
	// or "mutated".
	How string
	// Runs counts the simulations; Degenerate the runs that never had a
	// leader or never restored one (never counted as best).
	Runs, Degenerate int
	// Improvements counts accepted mutations that raised the score.
	Improvements int
	// Schedule lists the pinned choices as the run made them, in order.
	Schedule []sim.Made
	// Bound is the formula's prediction for the run's first leader that
	// lost leadership (nil when none did).
	Bound *Bound
}

// candidate is one schedule and its run.
type candidate struct {
	pins   map[sim.ChoiceKey]int64
	made   []sim.Made
	result *check.Result
	m      measure
	how    string
}

type searcher struct {
	sp     Spec
	base   *scenarios.Scenario
	seed   uint64
	lds    time.Duration
	runs   int
	degen  int
	budget int
	rng    *rand.Rand
}

// Search maximises sp.Objective over the choices sp.Scenario leaves open.
func Search(sp Spec) (*Found, error) {
	if sp.Scenario == nil {
		return nil, fmt.Errorf("worstcase: no scenario")
	}
	if _, err := ParseObjective(string(sp.Objective)); err != nil {
		return nil, fmt.Errorf("worstcase: %w", err)
	}
	if sp.Budget <= 0 {
		sp.Budget = 2000
	}
	base := sp.Scenario.Clone()
	scenarios.Default(base)
	if errs := base.Validate(); len(errs) > 0 {
		return nil, &scenarios.LoadError{File: base.Metadata.Name, Errors: errs}
	}
	s := &searcher{sp: sp, base: base, seed: base.Seed(), budget: sp.Budget,
		rng: sim.NewStream(sp.Seed, "worstcase/mutations")}
	s.lds = base.NodeElector(0).LeaseDuration.Truncate(time.Second)
	best, err := s.try(base.Pins(), nil)
	if err != nil {
		return nil, err
	}
	best.how = "seeded"
	if !sp.NoConstruct && !s.done(best) {
		c, err := s.constructed(best)
		if err != nil {
			return nil, err
		}
		if c != nil && c.m.score > best.m.score {
			best = c
		}
	}
	best, improvements, err := s.climb(best)
	if err != nil {
		return nil, err
	}
	if !sp.NoShrink && best.m.value > 0 {
		if best, err = s.shrink(best); err != nil {
			return nil, err
		}
	}
	return s.found(best, improvements), nil
}

// done says whether the search can stop: out of budget or context, or an
// overlap found when that is all that was asked.
func (s *searcher) done(c *candidate) bool {
	limit := s.budget
	if c != nil && c.m.value > 0 && !s.sp.NoShrink {
		limit -= shrinkReserve(s.budget) // kept for shrinking what was found
	}
	if s.runs >= limit {
		return true
	}
	if ctx := s.sp.Context; ctx != nil && ctx.Err() != nil {
		return true
	}
	return s.sp.StopAtOverlap && s.sp.Objective.Overlaps() && c != nil && c.m.value > 0
}

// try runs the base scenario with pins (then next, when set, choosing the
// rest) and records every open choice.
func (s *searcher) try(pins map[sim.ChoiceKey]int64, next sim.Chooser) (*candidate, error) {
	var ch sim.Chooser = next
	if pins != nil {
		ch = sim.Chain(sim.NewPins(pins), next)
	}
	rec := &sim.Recorder{Next: ch}
	res, err := s.runOnce(rec, nil)
	if err != nil {
		return nil, err
	}
	c := &candidate{made: open(rec.Made), result: res, m: judge(s.sp.Objective, res)}
	c.pins = sim.PinsOf(c.made)
	if c.m.degenerate {
		s.degen++
	}
	return c, nil
}

// runOnce runs the base scenario (its own pinned choices replaced by ch).
func (s *searcher) runOnce(ch sim.Chooser, onEvent func(check.TraceEvent)) (*check.Result, error) {
	s.runs++
	sc := s.base.Clone()
	sc.Spec.Choices = nil
	return runner.RunWith(sc, runner.RunOptions{Choices: ch, OnEvent: onEvent, Context: s.sp.Context})
}

// open keeps the choices the environment left open (Lo < Hi).
func open(made []sim.Made) []sim.Made {
	out := made[:0:0]
	for _, m := range made {
		if m.Choice.Lo < m.Choice.Hi {
			out = append(out, m)
		}
	}
	return out
}

// climb is the general search: from best, change one to three open
// choices of its run at a time and keep the change when the score does not
// drop (equal scores move across plateaus), until the budget is spent.
func (s *searcher) climb(best *candidate) (*candidate, int, error) {
	improvements := 0
	for !s.done(best) && len(best.made) > 0 {
		pins := maps.Clone(best.pins)
		for range 1 + s.rng.IntN(3) {
			m := best.made[s.rng.IntN(len(best.made))]
			pins[m.Key] = s.mutate(m)
		}
		c, err := s.try(pins, nil)
		if err != nil {
			return nil, 0, err
		}
		if c.m.degenerate || c.m.score < best.m.score {
			continue
		}
		if c.m.score > best.m.score {
			improvements++
		}
		c.how = "mutated"
		if best.how == "constructed" && c.m.score == best.m.score {
			c.how = best.how
		}
		best = c
	}
	return best, improvements, nil
}

// mutate picks a new value for one choice: an end of its range, a uniform
// value, or a nudge of a random scale (from its whole range down to a
// nanosecond-scale fraction of it).
func (s *searcher) mutate(m sim.Made) int64 {
	lo, hi := m.Choice.Lo, m.Choice.Hi
	switch s.rng.IntN(6) {
	case 0:
		return lo
	case 1:
		return hi
	case 2:
		return lo + s.rng.Int64N(hi-lo+1)
	}
	scale := float64(hi-lo) / float64(int64(1)<<s.rng.IntN(30))
	d := int64(scale * (2*s.rng.Float64() - 1))
	return min(max(m.Value+d, lo), hi)
}

// found turns the best candidate into the search's answer.
func (s *searcher) found(best *candidate, improvements int) *Found {
	f := &Found{Objective: s.sp.Objective, Value: best.m.value, Result: best.result, How: best.how,
		Runs: s.runs, Degenerate: s.degen, Improvements: improvements, Pinned: len(best.pins), Choices: len(best.made)}
	if f.Objective.Overlaps() && f.Value == 0 {
		f.Closest = closestHandover(best.result)
	}
	cx := s.sp.Scenario.Clone()
	seed := s.seed
	cx.Spec.Seed = &seed
	keys := make([]sim.ChoiceKey, 0, len(best.made))
	for _, m := range best.made {
		keys = append(keys, m.Key)
		if _, ok := best.pins[m.Key]; ok {
			f.Schedule = append(f.Schedule, m)
		}
	}
	f.Bound = boundFor(s.base, best)
	cx.Spec.Choices = scenarios.PinChoices(keys, best.pins)
	f.Counterexample = cx
	return f
}
