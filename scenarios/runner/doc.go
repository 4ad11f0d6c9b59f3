// Package runner runs a scenario: it wires the simulation kernel, the
// simulated API server, one elector per process and the workload for one
// run, schedules the scenario's faults, records what happens (leading
// intervals, lease commits, the trace and its hash) and hands the record
// to the checkers of scenarios/check.
//
// Run and RunWith default and validate the scenario first; a run is a pure
// function of (scenario, seed). RunOptions keeps the full trace, streams it
// (OnEvent), replaces the seed, bounds the run's events and stops it with a
// context.
package runner
