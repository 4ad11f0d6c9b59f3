package fakeapi_test

import (
	"fmt"
	"testing"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/gen"
	"github.com/lesim/lesim/scenarios/runner"
)

// Recycled leases must be invisible: with every recycled lease poisoned
// (filled with absurd values and never reused), runs of the library and of
// generated fault-heavy scenarios give exactly the same traces as with
// recycling on. A lease read after it was recycled would show up as a
// different trace.
func TestRecycledLeasesAreNeverSeen(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the library twice")
	}
	var cases []*scenarios.Scenario
	for _, e := range scenarios.Library() {
		sc, err := scenarios.Named(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, sc)
	}
	for i := range 30 {
		sc := gen.Scenario(gen.Options{MaxNodes: 5, MaxFaults: 6, Exclude: gen.AllFeatures}).Example(i)
		if i%3 == 0 {
			sc.Spec.API.Errors = []scenarios.ErrorRule{{Op: scenarios.OpAny, Kind: scenarios.ErrorUnavailable, Probability: ptr(0.05)}, {Op: scenarios.OpUpdate, Kind: scenarios.ErrorConflict, Probability: ptr(0.1)}}
		}
		cases = append(cases, sc)
	}
	for i, sc := range cases {
		name := fmt.Sprintf("%d/%s", i, sc.Metadata.Name)
		var plainSrv, poisonedSrv *fakeapi.Server
		plain, err := runner.RunWith(sc, runner.RunOptions{KeepTrace: true,
			Server: func(srv *fakeapi.Server) { plainSrv = srv }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		poisoned, err := runner.RunWith(sc, runner.RunOptions{KeepTrace: true, Server: func(srv *fakeapi.Server) {
			poisonedSrv = srv
			fakeapi.SetPoisonRecycled(srv, true)
		}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n, m := fakeapi.Recycled(plainSrv), fakeapi.Recycled(poisonedSrv); n == 0 || n != m {
			t.Fatalf("%s: recycled %d leases plainly, %d poisoned: the runs should recycle, and the same leases", name, n, m)
		}
		if plain.TraceHash != poisoned.TraceHash {
			i := check.FirstDivergence(plain.Trace, poisoned.Trace)
			t.Fatalf("%s: poisoning recycled leases changed the run (hash %s vs %s), first divergence at event %d", name, plain.TraceHash, poisoned.TraceHash, i)
		}
		if i := check.FirstDivergence(plain.Trace, poisoned.Trace); i >= 0 {
			t.Fatalf("%s: traces diverge at event %d: %+v vs %+v", name, i, plain.Trace[i], poisoned.Trace[i])
		}
	}
}

func ptr[T any](v T) *T { return &v }
