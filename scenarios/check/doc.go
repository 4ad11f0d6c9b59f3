// Package check holds what a run measured (Result: leading intervals,
// overlap, liveness, failovers, API load, the trace) and the checkers that
// derive those measurements and judge them against a scenario's expect
// block. Metrics names the per-run numbers that batches and comparisons
// aggregate. Everything here is a pure function of its input: the checkers
// work on hand-built intervals as well as on a run's.
package check
