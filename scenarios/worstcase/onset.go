package worstcase

import (
	"fmt"
	"math"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/bound"
)

// OnsetSpec describes where, along one parameter, the adversary can first
// force an overlap: bound.Threshold with the worst-case search as the
// oracle instead of a set of seeds.
type OnsetSpec struct {
	Base  *scenarios.Scenario
	Param bound.Param
	// Lo must not overlap, Hi must (overlap grows with the parameter).
	Lo, Hi, Resolution float64
	// Budget is each probe's search budget (default 200).
	Budget int
	// NoConstruct searches by mutation alone (Spec.NoConstruct).
	NoConstruct bool
}

// OnsetResult is where overlap begins.
type OnsetResult struct {
	// Value is the smallest probed value the search overlapped at; Safe
	// the largest it found no overlap at.
	Value, Safe float64
	// Found is the search at Value.
	Found *Found
	// Runs counts the simulations of every probe.
	Runs int
}

// Onset bisects [Lo, Hi] to the parameter value at which the search first
// finds an overlap.
func Onset(o OnsetSpec) (*OnsetResult, error) {
	if o.Base == nil || o.Param.Apply == nil || !(o.Resolution > 0) || !(o.Lo < o.Hi) {
		return nil, fmt.Errorf("onset: need a base scenario, a parameter, a positive resolution and lo < hi")
	}
	if o.Budget <= 0 {
		o.Budget = 200
	}
	res := &OnsetResult{}
	probe := func(v float64) (*Found, error) {
		sc := o.Base.Clone()
		o.Param.Apply(sc, v)
		f, err := Search(Spec{Scenario: sc, Objective: TotalOverlap, Budget: o.Budget, Seed: 1, StopAtOverlap: true, NoShrink: true, NoConstruct: o.NoConstruct})
		if err != nil {
			return nil, err
		}
		res.Runs += f.Runs
		return f, nil
	}
	f, err := probe(o.Lo)
	if err != nil {
		return nil, err
	}
	if f.Value > 0 {
		return nil, fmt.Errorf("onset: %s = %g overlaps already; widen the bracket", o.Param.Name, o.Lo)
	}
	if f, err = probe(o.Hi); err != nil {
		return nil, err
	}
	if f.Value == 0 {
		return nil, fmt.Errorf("onset: %s = %g does not overlap; widen the bracket", o.Param.Name, o.Hi)
	}
	lo, hi, best := o.Lo, o.Hi, f
	for math.Abs(hi-lo) > o.Resolution {
		mid := (lo + hi) / 2
		f, err := probe(mid)
		if err != nil {
			return nil, err
		}
		if f.Value > 0 {
			hi, best = mid, f
		} else {
			lo = mid
		}
	}
	res.Value, res.Safe, res.Found = hi, lo, best
	return res, nil
}
