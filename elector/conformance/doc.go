// Package conformance runs client-go's own leader elector and lesim's side
// by side on the same scenario and compares what they did.
//
// The real side (RunReal) is k8s.io/client-go v0.37.2's
// tools/leaderelection with resourcelock.LeaseLock over a typed clientset,
// one goroutine per process, talking to fakeapi/rest's REST surface through
// an in-process transport; rest.Chaos realises the scenario's latency,
// injected errors, partitions, outages and latency spikes with the time
// package. Inside a testing/synctest bubble that time is fake, so an hour of
// election runs in a fraction of a second. Crashes cut a process's
// transport and abandon it; stops cancel Run's context, as SIGTERM does.
//
// The lesim side (RunLesim) is scenarios.RunWith with the v0.37 variant.
//
// The real run draws its jitter from the global math/rand and cannot be
// seeded, so Compare checks it against lesim's runs under several seeds:
// see Comparison for the tolerances. Prepare says which scenarios both
// sides can run: perfect clocks (the bubble has one clock), no pauses, no
// workload, no stale reads, the v0.37 variant.
//
// The corpus in testdata/corpus and random scenarios from the scenario
// generators are compared by this package's tests; the agreement table is
// docs/conformance.md. Where the two disagree and lesim keeps its behaviour,
// the elector package documentation says why.
package conformance
