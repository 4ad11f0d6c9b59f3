package runner_test

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
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/gen"
	"github.com/lesim/lesim/scenarios/runner"
)

// behaviourFile pins, for a fixed set of scenarios and seeds, everything a
// run measures. Each case is a header line: the trace hash (the kernel's
// event order), a digest of the full trace (every elector event with its
// true and local time: the time of every API call, every transition and
// callback), a digest of the result, and its main figures in readable
// form; then, indented, its readable trace: one line per event that moves
// leadership or a process (see goldenKinds), with its true time, node,
// identity and detail. The hashes guard the run exactly; the event lines
// let a reviewer read what an -update changes. Changes to the kernel, the
// API server, the elector or the runner that are meant to be invisible
// must leave the file unchanged; -update rewrites it.
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
	data, err := os.ReadFile("../testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := Parse("../testdata/example.yaml", data)
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
func behaviourLine(name string, res *check.Result, trace string) string {
	// The fields are listed rather than the whole Result digested, so that
	// a field added to Result later does not read as a change of behaviour.
	nodes := make([]any, len(res.Nodes))
	for i, n := range res.Nodes {
		nodes[i] = []any{n.Name, n.Rate, n.Requests, n.Processes}
	}
	measured := []any{res.Scenario, res.Seed, res.Duration, nodes, res.Leadership, res.Overlap, res.Leaderless,
		res.Failovers, res.Transitions, res.SpuriousTransitions, res.StaleLeader, res.PausedWhileLeading,
		res.StoppedLeadingCalls, res.RunsEnded, res.API.Requests, res.API.PerSecond,
		int(res.API.ByOp.Get), int(res.API.ByOp.Create), int(res.API.ByOp.Update), res.Workload, res.Faults, res.Expect}
	var b strings.Builder
	fmt.Fprintf(&b, "%s hash=%s trace=%s result=%s", name, res.TraceHash, trace, digest(measured))
	fmt.Fprintf(&b, " leads=%d overlap=%v/%v/%d leaderless=%v/%v failovers=%d transitions=%d/%d stale=%v paused=%v runs=%d/%d api=%d writes=%d/%d/%d",
		len(res.Leadership), res.Overlap.Total, res.Overlap.Max, len(res.Overlap.Episodes),
		res.Leaderless.Total, res.Leaderless.Max, len(res.Failovers), res.Transitions, res.SpuriousTransitions,
		res.StaleLeader, res.PausedWhileLeading, res.StoppedLeadingCalls, res.RunsEnded, res.API.Requests,
		res.Workload.Writes, res.Workload.UnsafeWrites, res.Workload.FencedWrites)
	return b.String()
}

// goldenKinds are the trace events the golden file shows: processes,
// leadership and its callbacks, the stored holder, pauses, clock changes
// and unsafe writes. The per-call events (tries, calls, observations,
// renewals), by far the most numerous, are left to the trace digest.
var goldenKinds = map[string]bool{
	"process-started": true, "process-exited": true, "process-crashed": true, "run-started": true,
	"leading-started": true, "leading-cancelled": true, "holder-changed": true,
	"became-leader": true, "started-leading": true, "renew-failed": true, "released": true,
	"release-failed": true, "stopped-leading": true, "new-leader": true,
	"paused": true, "resumed": true, "clock-rate": true, "write-unsafe": true, "write-fenced": true,
}

// traceLines renders the golden events of a trace, one per line: true time
// in seconds to the nanosecond, node, identity, kind, detail.
func traceLines(tr []check.TraceEvent) []string {
	var out []string
	for _, ev := range tr {
		if !goldenKinds[ev.Kind] {
			continue
		}
		line := fmt.Sprintf("  %d.%09d %s %s %s", ev.At/time.Second, ev.At%time.Second, orDash(ev.Node), orDash(ev.Identity), ev.Kind)
		if ev.Detail != "" {
			line += " " + ev.Detail
		}
		out = append(out, line)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestBehaviourGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every library scenario three times")
	}
	var out bytes.Buffer
	for _, c := range behaviourCases(t) {
		kept, err := runner.RunWith(c.sc, runner.RunOptions{KeepTrace: true, Seed: c.seed})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		plain, err := runner.RunWith(c.sc, runner.RunOptions{Seed: c.seed})
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
		for _, l := range traceLines(kept.Trace) {
			out.WriteString(l)
			out.WriteByte('\n')
		}
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
	for _, d := range goldenDiff(string(want), out.String(), 10) {
		t.Error(d)
	}
}

// goldenDiff compares two golden texts case by case (a case is a header
// line and its indented events) and describes the first difference of
// each changed case, at most limit of them.
func goldenDiff(want, got string, limit int) []string {
	split := func(text string) (names []string, cases map[string][]string) {
		cases = map[string][]string{}
		name := ""
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if !strings.HasPrefix(l, "  ") {
				name, _, _ = strings.Cut(l, " ")
				names = append(names, name)
			}
			cases[name] = append(cases[name], l)
		}
		return names, cases
	}
	wantNames, wantCases := split(want)
	gotNames, gotCases := split(got)
	var out []string
	report := func(s string) bool {
		out = append(out, s)
		return len(out) < limit
	}
	if strings.Join(wantNames, " ") != strings.Join(gotNames, " ") {
		if !report(fmt.Sprintf("the cases changed:\n  want: %v\n  got:  %v", wantNames, gotNames)) {
			return out
		}
	}
	for _, name := range gotNames {
		w, g := wantCases[name], gotCases[name]
		for i := range max(len(w), len(g)) {
			wl, gl := "<none>", "<none>"
			if i < len(w) {
				wl = w[i]
			}
			if i < len(g) {
				gl = g[i]
			}
			if wl != gl {
				if !report(fmt.Sprintf("%s: behaviour changed at line %d of the case (%d lines, want %d):\n  want: %s\n  got:  %s", name, i+1, len(g), len(w), wl, gl)) {
					return out
				}
				break
			}
		}
	}
	return out
}

// goldenDiff names the case and line of a planted change: one event's time
// moved by a nanosecond in one case, and one case's hash changed in another.
func TestGoldenDiffNamesChangedCases(t *testing.T) {
	want := "x/1 hash=aa\n  1.000000000 a a_1 leading-started\n  2.000000000 a a_1 renew-failed\ny/2 hash=bb\n  3.000000000 b b_1 process-started\n"
	if d := goldenDiff(want, want, 10); len(d) != 0 {
		t.Fatalf("equal texts differ: %v", d)
	}
	got := strings.Replace(want, "  2.000000000", "  2.000000001", 1)
	got = strings.Replace(got, "hash=bb", "hash=bc", 1)
	d := goldenDiff(want, got, 10)
	if len(d) != 2 || !strings.HasPrefix(d[0], "x/1: behaviour changed at line 3") || !strings.HasPrefix(d[1], "y/2: behaviour changed at line 1") {
		t.Fatalf("diff %q", d)
	}
	if d := goldenDiff(want, want+"z/3 hash=cc\n", 10); len(d) != 2 || !strings.HasPrefix(d[0], "the cases changed") {
		t.Fatalf("an added case: %q", d)
	}
}
