package tune

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/worstcase"
)

// grid lists the candidates of the options' grid in (LD, RD, RP) order,
// each with its static check done.
func grid(sc *scenarios.Scenario, o *Options) []Candidate {
	var out []Candidate
	for _, ld := range sortedUnique(o.Lease) {
		for _, rd := range sortedUnique(o.Renew) {
			for _, rp := range sortedUnique(o.Retry) {
				c := Candidate{Timings: Timings{ld, rd, rp}, Verdict: "ok"}
				s := Apply(sc, c.Timings)
				c.RoundTrip, c.Budget = RoundTrip(s)
				switch {
				case len(s.Validate()) > 0:
					c.Verdict = "invalid"
				case c.RoundTrip >= c.Budget:
					c.Verdict = "round-trip"
				}
				out = append(out, c)
			}
		}
	}
	return out
}

func sortedUnique(ds []time.Duration) []time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return slices.Compact(ds)
}

// judge sets a searched candidate's verdict and objective value from its
// figures.
func (o *Options) judge(c *Candidate, f Figures) {
	c.Objective = f.RecoveryP99
	if o.Objective == API {
		c.Objective = f.APIRate
	}
	switch {
	case f.LivenessFailures > 0:
		c.Verdict = "no-leader"
	case f.OverlapRuns > 0:
		c.Verdict = "overlap"
	case o.MaxAPIRate > 0 && f.APIRate > o.MaxAPIRate:
		c.Verdict = "api"
	case o.MaxRecovery > 0 && f.RecoveryP99 > o.MaxRecovery.Seconds():
		c.Verdict = "recovery"
	default:
		c.Verdict = "ok"
	}
}

// Search tunes sc's timings; see the package doc. sc must be defaulted
// and valid.
func Search(ctx context.Context, sc *scenarios.Scenario, o Options) (*Result, error) {
	o.defaults()
	res := &Result{Objective: o.Objective, Candidates: grid(sc, &o), Pick: -1}
	var live []int
	for i, c := range res.Candidates {
		if c.Verdict == "ok" {
			live = append(live, i)
		}
	}
	search := batch.Seeds(o.Seed, "tune/search", o.SearchSeeds)
	for k, i := range live {
		c := &res.Candidates[i]
		f, err := Measure(ctx, sc, c.Timings, search, o.Jobs)
		if err != nil {
			return nil, err
		}
		c.Search = f
		o.judge(c, f)
		if o.Progress != nil {
			o.Progress(k+1, len(live))
		}
	}
	ranked := slices.Clone(live)
	ranked = slices.DeleteFunc(ranked, func(i int) bool { return res.Candidates[i].Verdict != "ok" })
	slices.SortStableFunc(ranked, func(a, b int) int { return better(res.Candidates[a], res.Candidates[b], o.Objective) })
	verify := batch.Seeds(o.Seed, "tune/verify", o.VerifySeeds)
	for _, i := range ranked[:min(len(ranked), o.MaxVerified)] {
		c := &res.Candidates[i]
		f, err := Measure(ctx, sc, c.Timings, verify, o.Jobs)
		if err != nil {
			return nil, err
		}
		c.Verified = &f
		probe := *c
		o.judge(&probe, f)
		if probe.Verdict != "ok" {
			c.Verdict = "verify-failed"
			continue
		}
		ok, err := o.adversary(ctx, sc, c)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Pick = i
			return res, nil
		}
	}
	return res, nil
}

// adversary checks a verified candidate against the worst case its
// environment allows: seeds sample the environment, the search picks its
// worst schedule. It reports whether the candidate passed.
func (o *Options) adversary(ctx context.Context, sc *scenarios.Scenario, c *Candidate) (bool, error) {
	if o.AdversaryBudget < 0 {
		return true, nil
	}
	f, err := worstcase.Search(worstcase.Spec{Scenario: Apply(sc, c.Timings), Objective: worstcase.TotalOverlap,
		Budget: o.AdversaryBudget, Seed: o.Seed, StopAtOverlap: true, NoShrink: true, Context: ctx})
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err // a search cut short checked nothing
	}
	c.Adversary = &Adversary{Runs: f.Runs, Overlap: f.Value, Closest: f.Closest}
	if f.Value > 0 {
		c.Adversary.Counterexample = f.Counterexample
		c.Verdict = "adversary"
		return false, nil
	}
	return true, nil
}

// better orders candidates: the objective first, then the shorter lease
// (a crash the scenario does not show recovers in about a lease; it also
// separates candidates whose runs had no failover at all), then the other
// objective.
func better(a, b Candidate, obj Objective) int {
	if c := cmp.Compare(a.Objective, b.Objective); c != 0 {
		return c
	}
	if c := cmp.Compare(a.LeaseDuration, b.LeaseDuration); c != 0 {
		return c
	}
	second := func(c Candidate) float64 {
		if obj == API {
			return c.Search.RecoveryP99
		}
		return c.Search.APIRate
	}
	return cmp.Compare(second(a), second(b))
}
