package runner

import "flag"

// Test helpers exported to the external tests (package scenarios_test):
// those use the generators of scenarios/gen, which imports this package.
var (
	MustRun            = mustRun
	HeavyFaultScenario = heavyFaultScenario
	BenchScenario      = benchScenario
	Updating           = func() bool { return *update }
)

// -update rewrites testdata/behaviour.golden.
var update = flag.Bool("update", false, "rewrite testdata/behaviour.golden")
