package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
)

// Clopper–Pearson against values computed by hand: 0 of 3 gives
// [0, 1 − 0.025^(1/3)], n of n its mirror, and 5 of 10 is symmetric
// around 0.5 with the textbook bounds 0.187 and 0.813.
func TestClopperPearson(t *testing.T) {
	for _, tc := range []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 3, 0, 1 - math.Pow(0.025, 1.0/3)},
		{3, 3, math.Pow(0.025, 1.0/3), 1},
		{5, 10, 0.18709, 0.81291},
	} {
		lo, hi := clopperPearson(tc.k, tc.n, 0.05)
		if math.Abs(lo-tc.lo) > 1e-4 || math.Abs(hi-tc.hi) > 1e-4 {
			t.Errorf("clopperPearson(%d, %d) = [%.5f, %.5f], want [%.5f, %.5f]", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	d := newRealDistribution([]map[string]float64{
		{"overlap.occurred": 1, "recovery.maxSeconds": 2},
		{"overlap.occurred": 0, "recovery.maxSeconds": 4},
	})
	if d.Overlaps != 1 || d.N != 2 || !strings.Contains(d.text(), "overlap in 1") || !strings.Contains(d.text(), "p50 2.000s") {
		t.Errorf("distribution of two runs:\n%s", d.text())
	}
}

// writeResults writes a results file of runs of sc, as serve --exec
// would, from simulated runs on seeds derived from label.
func writeResults(t *testing.T, sc *scenarios.Scenario, label string, n int) string {
	t.Helper()
	runs, err := batch.Run(t.Context(), 2, []*scenarios.Scenario{sc}, batch.Seeds(1, label, n))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := sc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out := execResults{Kind: execResultsKind, Scenario: sc.Metadata.Name, YAML: string(yaml), Intervals: "hook"}
	for i, r := range runs[0] {
		out.Runs = append(out.Runs, execRunJSON{Run: i + 1, Intervals: "hook", Metrics: r.MetricMap(), Summary: reports.NewSummary(r)})
	}
	b, _ := json.Marshal(out)
	path := filepath.Join(t.TempDir(), "results.json")
	os.WriteFile(path, b, 0o644)
	return path
}

// Real runs that behave as the simulation does show no difference; runs
// of a scenario that overlaps every time, put beside a simulation of one
// that never does, differ in the overlap rate with a tiny p and an effect
// of 100 percentage points.
func TestCompareRealTellsSameFromDifferent(t *testing.T) {
	same, err := scenarios.Named("leader-crash")
	if err != nil {
		t.Fatal(err)
	}
	path := writeResults(t, same, "real", 20)
	code, out, errs := runCLI(t, "compare", "--real", path, "--seeds", "40")
	if code != 0 || !strings.Contains(out, "two-proportion z") || !strings.Contains(out, "KS") || !strings.Contains(out, "n real") {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	cs := compareReal(metricsOfFile(t, path), metricsOfFile(t, writeResults(t, same, "sim", 40)))
	for _, c := range cs {
		if c.Metric == "overlap.occurred" && c.Test.P < 0.05 {
			t.Errorf("the same scenario differs in overlap: %+v", c)
		}
	}
	// A mutant of the real side: every run overlapped.
	real := metricsOfFile(t, path)
	for _, m := range real {
		m["overlap.occurred"] = 1
	}
	for _, c := range compareReal(real, metricsOfFile(t, writeResults(t, same, "sim", 40))) {
		if c.Metric == "overlap.occurred" && (c.Test.P > 0.001 || c.Test.Effect != 100 || c.NReal != 20 || c.NSim != 40) {
			t.Errorf("always against never overlapping: %+v", c)
		}
	}
	if code, _, errs := runCLI(t, "compare", "--real", filepath.Join(t.TempDir(), "missing.json")); code != 2 || !strings.Contains(errs, "--real") {
		t.Errorf("a missing results file: exit %d, %s", code, errs)
	}
}

func metricsOfFile(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	r, err := readExecResults(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]float64
	for _, run := range r.Runs {
		out = append(out, run.Metrics)
	}
	return out
}
