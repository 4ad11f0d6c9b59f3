package runner

import (
	"cmp"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

// preflight refuses a run whose estimate exceeds its event budget.
func preflight(sc *scenarios.Scenario, opts RunOptions) error {
	if _, ferr := scenarios.EstimateEvents(sc, cmp.Or(opts.MaxEvents, scenarios.DefaultMaxEvents)); ferr != nil {
		return &scenarios.LoadError{File: sc.Metadata.Name, Errors: field.ErrorList{ferr}}
	}
	return nil
}

// runBounded runs to the end within the event budget and until the
// context, if any, is done.
func (r *runner) runBounded() error {
	budget := cmp.Or(r.opts.MaxEvents, scenarios.DefaultMaxEvents)
	lim := sim.Limits{MaxEvents: budget}
	if ctx := r.opts.Context; ctx != nil {
		lim.Stop = ctx.Err
	}
	r.s.SetLimits(lim)
	r.s.RunUntil(r.end)
	err := r.s.Err()
	if err == nil {
		return nil
	}
	var be *sim.BudgetError // escapes into errors.As: only declared on failure
	if errors.As(err, &be) {
		return fmt.Errorf("%s: the run exhausted its event budget (%d events, --max-events) at simulated time %v of %v; expected a shorter spec.duration or a larger budget",
			r.sc.Metadata.Name, be.Events, be.At, r.end)
	}
	return err
}
