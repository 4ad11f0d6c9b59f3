// Package scenarios holds lesim's scenario model.
//
// A scenario is data: a YAML document of kind Scenario, apiVersion
// lesim.dev/v1alpha1, that says which nodes run (their clocks, start times,
// per-node elector configuration), how the API server behaves (latency,
// injected errors, a serialising server), which faults happen when, what
// work a leader does, for how long, from which seed, and which bounds the
// run must respect. SchemaDoc documents every field; docs/scenario-schema.md
// is a copy of it.
//
// Loading is strict and explains itself: Load and Parse reject unknown
// fields, duplicate keys, values of the wrong type and invalid settings
// with a *LoadError whose message is one line naming the file, the field
// path, what is wrong and what is expected, and which carries every
// problem as a field.ErrorList. Parse applies Default; the node accessors
// (NodeElector, NodeRestart, RequestTimeout, NodeClock, NodeLatency,
// NodeIdentity) merge the per-node overrides with the spec-level values.
//
// Library and Named give the named scenarios embedded from library/*.yaml,
// among them "default", the one the CLI runs when given no arguments.
// APIConfig and APIWindows state a scenario's API server and API faults in
// the fault model of package fakeapi.
//
// This package says what a scenario is. Running one is package
// scenarios/runner, judging a run package scenarios/check, and searching
// where overlap begins package scenarios/bound.
package scenarios
