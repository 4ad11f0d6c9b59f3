package scenarios_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	. "github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/gen"
)

// behaviourFile pins, for a fixed set of scenarios and seeds, everything a
// run measures: the trace hash (the kernel's event order), a digest of the
// full trace (every elector event with its true and local time: the time
// of every API call, every transition and callback), a digest of the
// result, and its main figures in readable form. Changes to the kernel, the
// API server, the elector or the runner that are meant to be invisible
// must leave it unchanged; -update rewrites it.
const behaviourFile = "testdata/behaviour.golden"

type behaviourCase struct {
	name string
	sc   *Scenario
	seed *uint64
}

func behaviourCases(t testing.TB) []behaviourCase {
	var cases []behaviourCase
	seeds := []uint64{2, 3}
	add := func(name string, sc *Scenario) {
		cases = append(cases, behaviourCase{name: name + "/seed=spec", sc: sc})
		for _, s := range seeds {
			s := s
			cases = append(cases, behaviourCase{name: fmt.Sprintf("%s/seed=%d", name, s), sc: sc, seed: &s})
		}
	}
	for _, e := range Library() {
		sc, err := Named(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		add("library/"+e.Name, sc)
	}
	data, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Parse("testdata/example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	add("example", ex)
	add("heavy-faults-30m", heavyFaultScenario(30*time.Minute))
	add("three-nodes-1h", benchScenario(3, time.Hour))
	for i := range 40 {
		// The generated cases draw no optional feature: they vary those
		// below, and so keep the scenarios (and traces) they were pinned with.
		o := gen.Options{Exclude: gen.AllFeatures}
		if i >= 30 {
			o = gen.Options{MaxNodes: 6, MaxFaults: 6, Exclude: gen.AllFeatures}
		}
		sc := gen.Scenario(o).Example(i)
		// Vary what the generator leaves alone, deterministically.
		switch i % 5 {
		case 1:
			sc.Spec.Elector.Variant = VariantSeed
		case 2:
			yes := true
			sc.Spec.Elector.ReleaseOnCancel = &yes
			sc.Spec.Restart = Restart{Policy: RestartAlways, Delay: dur(3 * time.Second)}
		case 3:
			sc.Spec.Workload = &Workload{Fencing: i%2 == 1, Drain: metav1.Duration{Duration: 300 * time.Millisecond}}
			sc.Spec.Elector.CallbackDelay = dur(5 * time.Millisecond)
		case 4:
			sc.Spec.API.ServiceTime = &Distribution{Type: DistExponential, Mean: dur(2 * time.Millisecond)}
		}
		if errs := sc.Validate(); len(errs) > 0 {
			continue
		}
		cases = append(cases, behaviourCase{name: fmt.Sprintf("generated/%02d", i), sc: sc})
	}
	// Coordinated electors never create the lease: mixed with ordinary ones
	// they exercise tryCoordinatedRenew against a lease held by others.
	for i := range 6 {
		sc := gen.Scenario(gen.Options{MinNodes: 3, MaxNodes: 4, Exclude: gen.AllFeatures}).Example(100 + i)
		sc.Spec.Elector.Variant = VariantV037
		yes := true
		for j := range sc.Spec.Nodes {
			if j%2 == 1 {
				sc.Spec.Nodes[j].Elector = &Elector{Coordinated: &yes}
			}
		}
		if errs := sc.Validate(); len(errs) > 0 {
			t.Fatalf("coordinated case %d: %v", i, errs)
		}
		cases = append(cases, behaviourCase{name: fmt.Sprintf("coordinated/%02d", i), sc: sc})
	}
	return cases
}

func digest(v any) string {
	h := fnv.New64a()
	enc := json.NewEncoder(h)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// behaviourLine summarises one run; trace is the digest of the kept trace
// (empty when the trace was off).
func behaviourLine(name string, res *Result, trace string) string {
	// The fields are listed rather than the whole Result digested, so that
	// a field added to Result later does not read as a change of behaviour.
	nodes := make([]any, len(res.Nodes))
	for i, n := range res.Nodes {
		nodes[i] = []any{n.Name, n.Rate, n.Requests, n.Processes}
	}
	measured := []any{res.Scenario, res.Seed, res.Duration, nodes, res.Leadership, res.Overlap, res.Leaderless,
		res.Failovers, res.Transitions, res.SpuriousTransitions, res.StaleLeader, res.PausedWhileLeading,
		res.StoppedLeadingCalls, res.RunsEnded, res.API.Requests, res.API.PerSecond,
		res.API.ByOp["get"], res.API.ByOp["create"], res.API.ByOp["update"], res.Workload, res.Faults, res.Expect}
	var b strings.Builder
	fmt.Fprintf(&b, "%s hash=%s trace=%s result=%s", name, res.TraceHash, trace, digest(measured))
	fmt.Fprintf(&b, " leads=%d overlap=%v/%v/%d leaderless=%v/%v failovers=%d transitions=%d/%d stale=%v paused=%v runs=%d/%d api=%d writes=%d/%d/%d",
		len(res.Leadership), res.Overlap.Total, res.Overlap.Max, len(res.Overlap.Episodes),
		res.Leaderless.Total, res.Leaderless.Max, len(res.Failovers), res.Transitions, res.SpuriousTransitions,
		res.StaleLeader, res.PausedWhileLeading, res.StoppedLeadingCalls, res.RunsEnded, res.API.Requests,
		res.Workload.Writes, res.Workload.UnsafeWrites, res.Workload.FencedWrites)
	return b.String()
}

func TestBehaviourGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every library scenario three times")
	}
	var out bytes.Buffer
	for _, c := range behaviourCases(t) {
		kept, err := RunWith(c.sc, RunOptions{KeepTrace: true, Seed: c.seed})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		plain, err := RunWith(c.sc, RunOptions{Seed: c.seed})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		line := behaviourLine(c.name, kept, digest(kept.Trace))
		// The trace must not change what a run measures.
		if a, b := behaviourLine(c.name, kept, ""), behaviourLine(c.name, plain, ""); a != b {
			t.Errorf("%s: keeping the trace changed the result:\n  kept:  %s\n  plain: %s", c.name, a, b)
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if updating() {
		if err := os.WriteFile(behaviourFile, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(behaviourFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	got := strings.Split(out.String(), "\n")
	wl := strings.Split(string(want), "\n")
	for i := 0; i < max(len(got), len(wl)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("behaviour changed:\n  want: %s\n  got:  %s", w, g)
		}
	}
}
