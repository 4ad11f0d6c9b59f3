package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var noLeaderFile = filepath.Join("..", "..", "scenarios", "testdata", "no-leader.yaml")

// A run in which nobody leads (LD 8s, RD 2s, RP 1s with 500 ms each way)
// fails run, text and JSON alike; with requireLeader false it passes.
func TestRunNoLeaderFails(t *testing.T) {
	r := simulate(t, nil, "run", noLeaderFile)
	if r.code != 1 || !strings.Contains(r.stdout, "NEVER LED") || !strings.Contains(r.stdout, "no node ever led") {
		t.Error(r)
	}
	r = simulate(t, nil, "run", noLeaderFile, "--json")
	var s struct {
		Liveness struct {
			Failed, NeverLed bool
		}
		Leaderless struct{ MaxSeconds float64 }
		Expect     struct{ Passed bool }
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 1 || !s.Liveness.Failed || !s.Liveness.NeverLed || s.Expect.Passed || s.Leaderless.MaxSeconds != 120 {
		t.Errorf("%v %+v\n%s", err, s, r)
	}
	dir := t.TempDir()
	writeFile(t, dir, "ok.yaml", strings.Replace(readFile(t, noLeaderFile), "expect: {maxOverlap: 0s}", "expect: {maxOverlap: 0s, requireLeader: false}", 1))
	if r := simulate(t, nil, "run", filepath.Join(dir, "ok.yaml")); r.code != 0 {
		t.Error(r)
	}
}

// A sweep point where nobody leads is a failure, never the fastest.
func TestSweepNoLeaderFails(t *testing.T) {
	r := simulate(t, nil, "sweep", noLeaderFile, "--renew", "2s,5s", "--seeds", "2", "--out", t.TempDir(), "--progress", "never")
	if r.code != 1 || !strings.Contains(r.stdout, "FAILED liveness: ") || !strings.Contains(r.stdout, "points failing liveness: 1") || strings.Contains(r.stdout, "fastest recovery without overlap: renew=2s") {
		t.Error(r)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Timings that restore a working leader about 5 s sooner after a
// partition are better; with practical thresholds above that difference
// they are the same: the thresholds decide.
func TestCompareFasterRecoveryAndThresholds(t *testing.T) {
	dir := t.TempDir()
	base := readFile(t, filepath.Join("..", "..", "scenarios", "library", "leader-partition-drop-requests.yaml"))
	fast := writeFile(t, dir, "fast.yaml", strings.Replace(base, "spec:\n", "spec:\n  elector: {leaseDuration: 10s, renewDeadline: 3s, retryPeriod: 2s}\n", 1))
	r := simulate(t, nil, "compare", "leader-partition-drop-requests", fast, "--seeds", "12")
	if r.code != 0 || !strings.Contains(r.stdout, "B is better: recovery.maxSeconds, recovery.meanSeconds") || !strings.Contains(r.stdout, "worse (diagnostic)") {
		t.Error(r)
	}
	r = simulate(t, nil, "compare", "leader-partition-drop-requests", fast, "--seeds", "12", "--threshold", "recovery.maxSeconds=10", "--threshold", "recovery.meanSeconds=50%")
	if r.code != 0 || !strings.Contains(r.stdout, "no significant difference above the practical thresholds") {
		t.Error(r)
	}
}
