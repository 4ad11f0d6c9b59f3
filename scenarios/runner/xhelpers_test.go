package runner_test

import (
	. "github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// The internal test helpers under their usual names.
var (
	mustRun            = runner.MustRun
	heavyFaultScenario = runner.HeavyFaultScenario
	benchScenario      = runner.BenchScenario
	updating           = runner.Updating
	dur                = Dur
)
