package runner

import (
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

// runChooser is the chooser a run uses: the file's pinned choices, then
// the caller's chooser (which sees the pinned value as the draw).
func runChooser(sc *scenarios.Scenario, opts RunOptions) sim.Chooser {
	pins := sc.Pins()
	if pins == nil {
		return opts.Choices
	}
	return sim.Chain(sim.NewPins(pins), opts.Choices)
}
