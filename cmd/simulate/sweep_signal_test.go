package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lesim/lesim/reports"
)

// TestSweepHelperProcess is the sweep a signal test interrupts, run in a
// child process (a signal to the test binary itself would reach every
// test).
func TestSweepHelperProcess(t *testing.T) {
	args := os.Getenv("LESIM_SWEEP_HELPER_ARGS")
	if args == "" {
		t.Skip("run by the signal tests")
	}
	os.Exit(execute(context.Background(), strings.Split(args, " "), env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// startSweep starts a sweep in a child process and returns it with its
// stderr, read line by line.
func startSweep(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepHelperProcess$")
	cmd.Env = append(os.Environ(), "LESIM_SWEEP_HELPER_ARGS="+strings.Join(args, " "))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewScanner(stderr)
}

// waitLine reads stderr until a line containing want, or fails.
func waitLine(t *testing.T, sc *bufio.Scanner, want string) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				found <- true
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("stderr ended without %q", want)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no %q on stderr within a minute", want)
	}
}

func exitCode(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("still running %v after the signal", within)
		return -1
	}
}

// One point with many seeds: Ctrl-C during it says "stopping…", stops
// within a run's time, keeps the finished seeds in the journal and exits
// 130.
func TestSweepSIGINTStopsAPointsSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd, stderr := startSweep(t, "sweep", "--scenario", "healthy", "--duration", "10m", "--lease", "15s", "--renew", "10s",
		"--seeds", "5000", "-j", "2", "--progress", "never", "--out", dir)
	journal := filepath.Join(dir, "sweep.journal.jsonl")
	waitFor(t, "three runs journaled", func() bool {
		data, _ := os.ReadFile(journal)
		return bytes.Count(data, []byte(`"seedRun":`)) >= 3
	})
	cmd.Process.Signal(syscall.SIGINT)
	waitLine(t, stderr, "stopping…")
	if code := exitCode(t, cmd, 5*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want %d", code, exitInterrupted)
	}
	data, _ := os.ReadFile(journal)
	if n := bytes.Count(data, []byte(`"seedRun":`)); n < 3 || n >= 5000 {
		t.Errorf("%d runs kept in the journal", n)
	}
}

// A second Ctrl-C exits at once, without waiting for the run in flight
// (here a run of 2,000 simulated hours, far longer than the test waits).
func TestSweepSecondSIGINTExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd, stderr := startSweep(t, "sweep", "--scenario", "healthy", "--duration", "2000h", "--lease", "15s", "--renew", "10s",
		"--seeds", "2", "-j", "1", "--progress", "never", "--out", dir)
	// The journal is opened just before the signals are taken over.
	waitFor(t, "the sweep's journal", func() bool {
		_, err := os.Stat(filepath.Join(dir, "sweep.journal.jsonl"))
		return err == nil
	})
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	waitLine(t, stderr, "stopping…")
	cmd.Process.Signal(syscall.SIGINT)
	if code := exitCode(t, cmd, 3*time.Second); code != exitInterrupted {
		t.Fatalf("exit %d, want %d", code, exitInterrupted)
	}
}

func TestSweepSummaryWording(t *testing.T) {
	one := &reports.SweepFile{Sweep: reports.SweepSpec{Scenario: "s", ID: "x", Seeds: 1, Points: 1}, Points: []reports.SweepPoint{{Key: "k", Runs: []reports.SweepRun{{}}}}}
	var b bytes.Buffer
	printSweepSummary(&b, one, 1, time.Second, 2, nil)
	if !strings.Contains(b.String(), "1 point × 1 seed = 1 run; 1 run now") {
		t.Errorf("summary: %s", b.String())
	}
	// Printed paths are clean whatever the flag's spelling.
	dir := t.TempDir()
	r := simulate(t, nil, "sweep", "--scenario", "healthy", "--duration", "1m", "--seeds", "1", "--progress", "never", "--out", dir+"//")
	if r.code != 0 || strings.Contains(r.stdout, "//") || !strings.Contains(r.stdout, "wrote "+filepath.Join(dir, "sweep.json")) {
		t.Error(r)
	}
}

// The fastest row is an elector setting judged over every environment: a
// timing that is fastest at skew 1 but overlaps at skew 2 is not chosen,
// and a point's skew never is the reason for a choice.
func TestFastestSettingIgnoresEnvironment(t *testing.T) {
	pt := func(lease time.Duration, skew, maxFailover float64, overlap int) reports.SweepPoint {
		return reports.SweepPoint{Params: reports.SweepParams{LeaseDuration: reports.Dur(lease), RenewDeadline: reports.Dur(5 * time.Second), RetryPeriod: reports.Dur(2 * time.Second), ClockRatio: skew},
			Stats: reports.SweepStats{Failovers: 1, FailoverMaxSeconds: maxFailover, RunsWithOverlap: overlap}}
	}
	points := []reports.SweepPoint{
		pt(10*time.Second, 1, 8, 0), pt(10*time.Second, 2, 9, 1), // fast, but overlaps at skew 2
		pt(15*time.Second, 1, 12, 0), pt(15*time.Second, 2, 16, 0),
		pt(20*time.Second, 1, 14, 0), pt(20*time.Second, 2, 15, 0),
	}
	got, ok := fastestSetting(points)
	if !ok || got.key != "lease=20s/renew=5s/retry=2s" || got.maxFailover != 15 || got.points != 2 {
		t.Fatalf("fastest %+v, want lease=20s (worst 15 s) over 15s (worst 16 s)", got)
	}
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
	}
}
