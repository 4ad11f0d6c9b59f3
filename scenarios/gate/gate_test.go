package gate

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios"
)

func suite(t *testing.T, names ...string) []Scenario {
	t.Helper()
	var out []Scenario
	for _, n := range names {
		var sc *scenarios.Scenario
		var err error
		if strings.HasSuffix(n, ".yaml") {
			sc, err = scenarios.Load(n)
			n = sc.Metadata.Name
		} else {
			sc, err = scenarios.Named(n)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Scenario{Name: n, Sc: sc})
	}
	return out
}

func TestGateVerdicts(t *testing.T) {
	ctx := context.Background()
	s := suite(t, "leader-crash", "healthy")
	base, cases, err := Record(ctx, s, New(), Options{Seeds: 8, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.Passed() {
			t.Fatalf("record: %+v", c)
		}
	}
	cases, err = Evaluate(ctx, s, base, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.Passed() || c.TraceChanged != 0 || len(c.Comparison.Seeds) != 8 {
			t.Fatalf("unchanged suite: %+v", c)
		}
	}
	// Pretend the accepted recoveries were 5 s faster: a significant,
	// practical regression.
	e := base.Scenarios["leader-crash"]
	rec := e.Metrics["recovery.maxSeconds"]
	for i := range rec {
		rec[i] -= 5
	}
	cases, err = Evaluate(ctx, s, base, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if cases[0].Passed() || !strings.Contains(strings.Join(cases[0].Failures, "\n"), "recovery.maxSeconds regressed") || !cases[1].Passed() {
		t.Fatalf("regression not caught: %+v", cases)
	}
	// A baseline scenario missing from the suite fails; so does a suite
	// scenario without a baseline, and one on which nobody leads.
	cases, err = Evaluate(ctx, suite(t, "healthy", "../testdata/no-leader.yaml"), base, Options{Seeds: 3, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"healthy": "", "no-leader": "no node ever led", "leader-crash": "missing from the suite"}
	if len(cases) != 3 {
		t.Fatalf("cases %+v", cases)
	}
	for _, c := range cases {
		got := strings.Join(c.Failures, "\n")
		if w := want[c.Name]; (w == "") != c.Passed() || !strings.Contains(got, w) {
			t.Errorf("%s: failures %q, want %q", c.Name, got, w)
		}
	}
}

func TestReadRejectsBadBaselines(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"kind.yaml":   "kind: Other\n",
		"metric.yaml": "kind: GateBaseline\ntolerances: {metrics: {overlapp: {absolute: 1}}}\n",
		"old.yaml":    "kind: GateBaseline\nscenarios: {a: {seed: 1, traceHash: x, metrics: {overlap.totalSeconds: 0}}}\n",
		"count.yaml":  "kind: GateBaseline\nscenarios: {a: {seeds: [1, 2], traceHashes: [x, y], metrics: {overlap.totalSeconds: [0]}}}\n",
	} {
		path := dir + "/" + name
		if err := writeFile(path, text); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if _, ok := err.(*InputError); !ok {
			t.Errorf("%s: %v, want an InputError", name, err)
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
