// Package check holds what a run measured (Result: leading intervals,
// overlap, liveness, failovers, API load, the trace) and the checkers that
// derive those measurements and judge them against a scenario's expect
// block.
//
// The checkers observe a run as it happens: the runner tells a Monitor each
// leading interval's start and end, each change of the stored holder and
// each pause, and the Monitor keeps the measurements current, closing them
// at the run's end with the scenario's liveness window. The Check
// functions replay finished intervals through the same Monitor, for
// hand-built traces and for intervals reported by real processes (serve,
// conformance). Metrics names the per-run numbers that batches and
// comparisons aggregate.
package check
