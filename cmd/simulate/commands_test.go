package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/compare"
)

func TestCompareVariants(t *testing.T) {
	r := simulate(t, nil, "compare", "--scenario", "release-on-cancel", "--variant", "seed", "--variant", "v0.37", "--seeds", "4", "--json")
	if r.code != 0 && r.code != 1 {
		t.Fatal(r)
	}
	var c compare.Comparison
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if len(c.Seeds) != 4 || len(c.Diffs) != len(check.MetricInfos()) || !strings.Contains(c.A, "variant seed") || !strings.Contains(c.B, "variant v0.37") {
		t.Errorf("comparison: %+v", c)
	}
	if (c.Verdict == compare.Worse || c.Verdict == compare.Fails) != (r.code == 1) {
		t.Errorf("verdict %s with exit %d", c.Verdict, r.code)
	}
}

// Common random numbers: a scenario compared with itself differs by
// exactly zero in every pair, and is the same; one that overlaps in every
// run is worse.
func TestCompareSameIsZero(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("..", "..", "scenarios", "library", "leader-crash.yaml"))
	a := writeFile(t, dir, "a.yaml", string(data))
	r := simulate(t, nil, "compare", a, "leader-crash", "--seeds", "3", "--json", "--report", filepath.Join(dir, "r"))
	if r.code != 0 {
		t.Fatal(r)
	}
	var c compare.Comparison
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || len(c.Diffs) == 0 {
		t.Fatalf("no comparison read (%v):\n%s", err, r)
	}
	for _, d := range c.Diffs {
		if d.Diff != 0 || d.CILow != 0 || d.CIHigh != 0 || d.BWorse != 0 || d.BBetter != 0 || d.Verdict != compare.Same {
			t.Errorf("%+v", d)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r", "failover-cdf.png")); err != nil {
		t.Error(err)
	}
	text := simulate(t, nil, "compare", a, "skew-beyond-bound", "--seeds", "10")
	if text.code != 1 || !strings.Contains(text.stdout, "B is worse on ") || !strings.Contains(text.stdout, "overlap.occurred") {
		t.Error(text)
	}
}

// A side on which nobody leads fails compare, exit 1.
func TestCompareNoLeaderFails(t *testing.T) {
	nl := filepath.Join("..", "..", "scenarios", "testdata", "no-leader.yaml")
	r := simulate(t, nil, "compare", "leader-partition-drop-requests", nl, "--seeds", "3")
	if r.code != 1 || !strings.Contains(r.stdout, "B FAILS: 3 of 3 runs of B fail liveness") {
		t.Error(r)
	}
}

func TestCompareUsage(t *testing.T) {
	for _, args := range [][]string{
		{"compare"},
		{"compare", "a.yaml"},
		{"compare", "--variant", "seed"},
		{"compare", "--variant", "seed", "--variant", "v9"},
		{"compare", "leader-crash", "healthy", "--seeds", "1"},
		{"compare", "leader-crash", "healthy", "--seeds", "100001"},
		{"compare", "leader-crash", "healthy", "-j", "0"},
		{"compare", "leader-crash", "healthy", "--threshold", "nosuch=1"},
		{"compare", "leader-crash", "healthy", "--threshold", "overlap.maxSeconds=-1"},
	} {
		r := simulate(t, nil, args...)
		if r.code != 2 {
			t.Errorf("%v: %s", args, r)
			continue
		}
		oneErrorLine(t, r)
	}
}

func TestReplaySummaryReproduces(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "out")
	if r := simulate(t, nil, "run", "--scenario", "lost-ack", "--seed", "11", "--report", report); r.code != 0 {
		t.Fatal(r)
	}
	r := simulate(t, nil, "replay", filepath.Join(report, "summary.json"))
	if r.code != 0 || !strings.Contains(r.stdout, "reproduced: trace hash") || !strings.Contains(r.stdout, "seed 11") {
		t.Fatal(r)
	}
	// A recorded hash that does not match is a failure.
	var s map[string]any
	data, _ := os.ReadFile(filepath.Join(report, "summary.json"))
	if err := json.Unmarshal(data, &s); err != nil || s["traceHash"] == nil {
		t.Fatalf("summary.json (%v):\n%s", err, data)
	}
	s["traceHash"] = "0000000000000000"
	data, _ = json.Marshal(s)
	bad := writeFile(t, dir, "tampered.json", string(data))
	r = simulate(t, nil, "replay", bad)
	if r.code != 1 || !strings.Contains(r.stdout, "NOT reproduced") {
		t.Fatal(r)
	}
}

func TestReplayScenarioFileAndSeed(t *testing.T) {
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("..", "..", "scenarios", "library", "skew-beyond-bound.yaml"))
	f := writeFile(t, dir, "counterexample.yaml", strings.Replace(string(data), "spec:\n", "spec:\n  seed: 5\n  expect: {maxOverlap: 0s}\n", 1))
	// The trace's directory need not exist yet (it is the report's).
	trace := filepath.Join(dir, "out", "events.jsonl")
	r := simulate(t, nil, "replay", f, "--trace", trace, "--report", filepath.Join(dir, "out"))
	if r.code != 1 || !strings.Contains(r.stdout, "replayed skew-beyond-bound with seed 5") {
		t.Fatal(r)
	}
	if _, err := os.Stat(trace); err != nil {
		t.Error(err)
	}
	a := simulate(t, nil, "replay", "--scenario", "leader-crash", "--seed", "9", "--json")
	b := simulate(t, nil, "run", "--scenario", "leader-crash", "--seed", "9", "--json")
	if a.code != 0 || a.stdout != b.stdout {
		t.Errorf("replay --seed differs from run --seed:\n%s\n%s", a, b)
	}
	if r := simulate(t, nil, "replay"); r.code != 2 {
		t.Error(r)
	}
	if r := simulate(t, nil, "replay", "--scenario", "leader-crash", "--seed", "9", "--expect-hash", "nope"); r.code != 1 {
		t.Error(r)
	}
}

func TestExplainWorstOverlap(t *testing.T) {
	r := simulate(t, nil, "explain", "--scenario", "skew-beyond-bound", "--window", "1s")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{
		"1. overlap from 127.047s to 130.310s: c last saw a's lease change at 119.32 s; at rate 2 its 15.00 s lease expired after 7.50 s true, at 126.82 s; c took the lease at 127.05 s;",
		"and it stepped down at its renew deadline, 130.31 s: 3.26 s of overlap.",
		"events around the overlap", ">>> overlap begins", "<<< overlap ends", "<- starts leading", "<- stops leading",
		"true     a local  b local  c local  node",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "leading-cancelled"); n != 1 {
		t.Errorf("leading-cancelled shown %d times:\n%s", n, r.stdout)
	}
	// Without overlap it explains the longest failover.
	r = simulate(t, nil, "explain", "--scenario", "leader-crash")
	if r.code != 0 || !strings.Contains(r.stdout, "1. failover from ") || !strings.Contains(r.stdout, "a crashed at ") || !strings.Contains(r.stdout, ">>> failover begins") {
		t.Error(r)
	}
	r = simulate(t, nil, "explain", "--scenario", "healthy")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to explain") {
		t.Error(r)
	}
}

func TestTune(t *testing.T) {
	dir := t.TempDir()
	r := simulate(t, nil, "tune", "--lease", "6s,10s,15s", "--renew", "3s,5s,10s", "--retry", "2s", "--search-seeds", "2", "--seeds", "20", "--max-clock-ratio", "1.2", "--out", dir, "--progress", "never")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{
		"pick: LeaseDuration ",
		"verified on 20 fresh seeds:",
		"overlap: 0 of 20 runs: overlap probability < 14% (95% upper bound, Clopper-Pearson)",
		"leader elected and restored after every fault in 20 of 20 runs",
		"--leader-elect-lease-duration=",
		"LeaseDuration: ptr.To(",
		"evidence",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tune output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, f := range []string{"tune.json", "tune-frontier.png", "tune-frontier.svg", "environment.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	for _, args := range [][]string{
		{"tune", "--max-clock-ratio", "0.5"},
		{"tune", "--seeds", "5"},
		{"tune", "--seeds", "100001"},
		{"tune", "-j", "100000"},
		{"tune", "--objective", "speed"},
		{"tune", "--scenario", "healthy", "--latency", "5ms"},
	} {
		if r := simulate(t, nil, args...); r.code != 2 {
			t.Errorf("%v: %s", args, r)
		}
	}
}

// In the environment where LD 8s, RD 2s, RP 1s elects nobody, tune never
// picks them: alone in the grid, there is no pick (exit 1); in a wider
// grid, the pick elects a leader in every verification run.
func TestTuneNoLeaderEnvironment(t *testing.T) {
	nl := filepath.Join("..", "..", "scenarios", "testdata", "no-leader.yaml")
	r := simulate(t, nil, "tune", nl, "--lease", "8s", "--renew", "2s", "--retry", "1s", "--search-seeds", "2", "--seeds", "10", "--out", t.TempDir(), "--progress", "never")
	if r.code != 1 || !strings.Contains(r.stdout, "no timing passed every constraint") || !strings.Contains(r.stdout, "1 rejected by the round-trip check") {
		t.Error(r)
	}
	r = simulate(t, nil, "tune", nl, "--lease", "8s,15s", "--renew", "2s,5s", "--retry", "1s", "--search-seeds", "2", "--seeds", "20", "--out", t.TempDir(), "--progress", "never")
	if r.code != 0 || !strings.Contains(r.stdout, "in 20 of 20 runs") || strings.Contains(r.stdout, "RenewDeadline 2s") {
		t.Error(r)
	}
}

func TestGoDuration(t *testing.T) {
	for d, want := range map[string]string{"10s": "10 * time.Second", "1m30s": "90 * time.Second", "1500ms": "1500 * time.Millisecond", "2m": "2 * time.Minute"} {
		if got := goDuration(mustDur(d)); got != want {
			t.Errorf("goDuration(%s) = %s, want %s", d, got, want)
		}
	}
}
