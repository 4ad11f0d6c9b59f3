package scenarios_test

import (
	. "github.com/lesim/lesim/scenarios"
)

// The internal test helpers under their usual names.
var (
	mustRun            = MustRun
	heavyFaultScenario = HeavyFaultScenario
	benchScenario      = BenchScenario
	updating           = Updating
	dur                = Dur
)
