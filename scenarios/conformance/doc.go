// Package conformance runs client-go's own leader elector and lesim's side
// by side on the same scenarios and compares what they did, as
// distributions over many seeded runs.
//
// The real side (runReal) is k8s.io/client-go v0.37.2's
// tools/leaderelection with resourcelock.LeaseLock over a typed clientset,
// one goroutine per process, talking to fakeapi/rest's REST surface through
// an in-process transport; rest.Chaos realises the scenario's latency,
// injected errors, partitions, outages and latency spikes with the time
// package. Inside a testing/synctest bubble that time is fake, so minutes of
// election run in milliseconds. Crashes cut a process's transport and
// abandon it; stops cancel Run's context, as SIGTERM does. A real run is
// seeded: the REST surface's draws and client-go's jitter (the global
// math/rand, seedable in a binary built with //go:debug randseednop=0).
//
// The lesim side (runLesim) is runner.RunWith with the v0.37 variant, run
// i on the same seed as real run i. The two share every draw: latencies
// and errors come from the same named streams, and lesim's acquire jitter
// from one Go 1 math/rand source seeded as client-go's global one and
// shared by all nodes in event order (sharedJitter, pairing.go). A
// faithful lesim therefore repeats the real run seed by seed, except where
// a renew tick falls on its poll's deadline: a race of the Go scheduler in
// client-go, a coin in lesim (counted per run by tieCoins).
//
// compareScenario compares the two samples with two-sample tests and, seed
// by seed, with exact sign and McNemar tests (stats.go), Holm-corrected
// across the whole corpus and with effect-size floors; pairRuns counts the
// seeds with identical outcomes. The tests run the corpus in
// testdata/corpus, and TestPropPairedAgreement generated scenarios. With the lesim_mutants build tag
// the same suite runs against deliberately wrong electors (elector.Mutant)
// and requires every one to be detected; make conformance writes the result
// to docs/conformance.md. The package imports scenarios, fakeapi and
// elector, and nothing imports it.
package conformance
