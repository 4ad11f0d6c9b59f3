package scenarios

// Test helpers exported to the external tests (package scenarios_test):
// those use the generators of scenarios/gen, which imports this package.
var (
	MustRun            = mustRun
	HeavyFaultScenario = heavyFaultScenario
	BenchScenario      = benchScenario
	Updating           = updating
	Dur                = dur
	LedWithin          = ledWithin
)
