package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/bound"
)

// writeRateScenario writes the safety bound's partitioned-leader scenario
// (15s/10s/2s, two followers at rate) to a file.
func writeRateScenario(t *testing.T, dir string, rate float64) string {
	t.Helper()
	tm := scenarios.Timings{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	sc := bound.PartitionedLeaderScenario(tm, 2)
	bound.FollowerRate().Apply(sc, rate)
	data, err := sc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "env.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSearchCounterexampleReproduces: just outside the bound the search
// exits 1 with the overlap, the formula and the causal sentence, and
// 'simulate run' on the counterexample reproduces the trace it names;
// just inside it exits 0 and says how close the best schedule came.
func TestSearchCounterexampleReproduces(t *testing.T) {
	dir := t.TempDir()
	env := writeRateScenario(t, dir, 1.251)
	cx := filepath.Join(dir, "cx.yaml")
	code, out, errOut := runCLI(t, "search", env, "--budget", "200", "--out", cx)
	if code != exitFailed {
		t.Fatalf("search outside the bound: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"worst total: 9.5", "formula (elector-spec §9)", "= 9.592ms", "overlap from", "counterexample: " + cx} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	i := strings.Index(out, "reproduces trace ")
	if i < 0 {
		t.Fatalf("no trace hash in:\n%s", out)
	}
	hash := strings.Fields(out[i+len("reproduces trace "):])[0]
	hash = strings.TrimSuffix(hash, ")")
	code, runOut, errOut := runCLI(t, "run", cx, "--json")
	if code != exitOK && code != exitFailed {
		t.Fatalf("run counterexample: exit %d, %s", code, errOut)
	}
	if !strings.Contains(runOut, `"traceHash": "`+hash+`"`) {
		t.Errorf("run of the counterexample does not give trace %s:\n%.400s", hash, runOut)
	}

	inside := writeRateScenario(t, t.TempDir(), 1.249)
	cx2 := filepath.Join(dir, "none.yaml")
	code, out, errOut = runCLI(t, "search", inside, "--budget", "200", "--out", cx2)
	if code != exitOK || !strings.Contains(out, "no overlap found; closest handover 9.6") {
		t.Errorf("search inside the bound: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
}

// TestSearchDegenerateFails: a scenario in which nobody can lead has no
// worst case: the search says so and exits 1.
func TestSearchDegenerateFails(t *testing.T) {
	code, _, errOut := runCLI(t, "search", filepath.Join("..", "..", "scenarios", "testdata", "no-leader.yaml"), "--objective", "leaderless", "--budget", "5")
	if code != exitFailed || !strings.Contains(errOut, "every run was degenerate") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
