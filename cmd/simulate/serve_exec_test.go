package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lesim/lesim/cmd/simulate/internal/procs/procstest"
	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// Real processes under serve --exec: the example elector (client-go's
// elector with component-base's flags) through each node fault, on
// sub-second timings (LD 2s, RD 1.5s, RP 300ms: the lease duration is
// written to the Lease in whole seconds, so 2s is as short as it safely
// gets). Every wait is bounded.

// TestMain lets the test binary stand in for the simulate command
// (LESIM_TEST_MAIN=1), so that a test can signal a serve process of its
// own without building one, and removes the example binaries built for
// the tests.
func TestMain(m *testing.M) {
	if os.Getenv("LESIM_TEST_MAIN") == "1" {
		main()
	}
	code := m.Run()
	if examplesDir != "" {
		os.RemoveAll(examplesDir)
	}
	os.Exit(code)
}

// exampleBuildFlags are go build's flags for the examples (race_on_test.go).
var exampleBuildFlags []string

var (
	examplesDir  string
	examplesOnce sync.Once
	examplesErr  error
)

// electorBinary builds the example elector once per test binary, and the
// controller-runtime example with it: every compilation is over before
// the first timed run starts, so none competes with a run for the CPU.
func electorBinary(t *testing.T) string {
	t.Helper()
	examplesOnce.Do(func() {
		examplesDir, examplesErr = os.MkdirTemp("", "lesim-exec-test-")
		if examplesErr != nil {
			return
		}
		args := append(append([]string{"build"}, exampleBuildFlags...), "-o", filepath.Join(examplesDir, "elector"), "./examples/elector")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			examplesErr = fmt.Errorf("go build ./examples/elector: %v\n%s", err, out)
			return
		}
		buildManager()
	})
	if examplesErr != nil {
		t.Fatal(examplesErr)
	}
	return filepath.Join(examplesDir, "elector")
}

var (
	managerBin  string
	managerSkip string
	managerErr  error
)

// buildManager builds the controller-runtime example, a module of its
// own. A module cache that lacks its dependencies (no network to the
// module proxy) makes its test skip, saying so.
func buildManager() {
	managerBin = filepath.Join(examplesDir, "manager")
	cmd := exec.Command("go", append(append([]string{"build"}, exampleBuildFlags...), "-o", managerBin, ".")...)
	cmd.Dir = "examples/manager"
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
	case regexp.MustCompile(`missing go.sum entry|dial tcp|lookup .*proxy|GOFLAGS=-mod=mod|module lookup disabled`).Match(out):
		managerSkip = fmt.Sprintf("the controller-runtime example does not build without its modules (no module proxy?): %s", out)
	default:
		managerErr = fmt.Errorf("go build ./examples/manager: %v\n%s", err, out)
	}
}

func managerBinary(t *testing.T) string {
	t.Helper()
	electorBinary(t)
	if managerSkip != "" {
		t.Skip(managerSkip)
	}
	if managerErr != nil {
		t.Fatal(managerErr)
	}
	return managerBin
}

// A controller-runtime manager, its leader election configured with
// controller-runtime's options, through the same pause: it overlaps too.
func TestExecManagerPauseOverlaps(t *testing.T) {
	t.Parallel()
	bin := managerBinary(t)
	tmpl := bin + " --kubeconfig {kubeconfig} --context {context} --lease-duration {leaseDuration}" +
		" --renew-deadline {renewDeadline} --retry-period {retryPeriod} --release-on-cancel={releaseOnCancel}"
	o := runExecServe(t, managerPauseScenario(t), "--exec", tmpl, "--intervals", "hook")
	s := o.summary(t)
	must(t, o, overlapped(s, 0.5), failedOver(s, "pause", 0, 6), noChildLeft(o.pids))
}

// electorTemplate is the --exec template of the example elector.
func electorTemplate(bin string) string {
	return bin + " --kubeconfig {kubeconfig} --context {context} --identity {identity}" +
		" --leader-elect-lease-duration={leaseDuration} --leader-elect-renew-deadline={renewDeadline}" +
		" --leader-elect-retry-period={retryPeriod} --release-on-cancel={releaseOnCancel}"
}

// execScenario is a two-node scenario on the fast timings: a leads (b
// starts a second later, time enough for a binary to start even on a
// loaded machine), then the faults.
func execScenario(t *testing.T, dir, name, duration, extra string) string {
	t.Helper()
	path := filepath.Join(dir, name+".yaml")
	yaml := fmt.Sprintf(`apiVersion: lesim.dev/v1alpha1
kind: Scenario
metadata: {name: %s}
spec:
  duration: %s
  elector: {leaseDuration: 2s, renewDeadline: 1500ms, retryPeriod: 300ms}
  restart: {policy: Never}
  nodes:
  - {name: a}
  - {name: b, start: 1s}
%s`, name, duration, extra)
	if strings.HasPrefix(extra, "  elector:") {
		// extra's elector replaces the default one.
		first, rest, _ := strings.Cut(extra, "\n")
		yaml = strings.Replace(yaml, "  elector: {leaseDuration: 2s, renewDeadline: 1500ms, retryPeriod: 300ms}", first, 1)
		yaml = strings.TrimSuffix(yaml, extra) + rest
	}
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// execOutcome is what one serve --exec left: exit status, stdout, the
// log, its results file and where its report went.
type execOutcome struct {
	code        int
	stdout, log string
	results     *execResults
	out, report string
	pids        []int
}

var startedPid = regexp.MustCompile(`process \d+ \(pid (\d+)\) started`)

// runExecServe runs serve --exec in this process, bounded by a deadline.
func runExecServe(t *testing.T, scenario string, extra ...string) *execOutcome {
	t.Helper()
	dir := t.TempDir()
	o := &execOutcome{out: filepath.Join(dir, "out"), report: filepath.Join(dir, "report")}
	args := append([]string{"serve", scenario, "--addr", "127.0.0.1:0", "--kubeconfig", filepath.Join(dir, "k.kubeconfig"),
		"--out", o.out, "--report", o.report}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stdout, log := &procstest.SyncBuffer{}, &procstest.SyncBuffer{}
	o.code = execute(ctx, args, env{stdout: stdout, stderr: log, getenv: func(string) string { return "" }})
	o.stdout, o.log = stdout.String(), log.String()
	if ctx.Err() != nil {
		t.Fatalf("serve --exec did not end within 60s\n%s", o.log)
	}
	for _, m := range startedPid.FindAllStringSubmatch(o.log, -1) {
		pid, _ := strconv.Atoi(m[1])
		o.pids = append(o.pids, pid)
	}
	if b, err := os.ReadFile(filepath.Join(o.out, "results.json")); err == nil {
		o.results = &execResults{}
		if err := json.Unmarshal(b, o.results); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// summary is the single run's summary, or a fatal error with the output.
func (o *execOutcome) summary(t *testing.T) reports.Summary {
	t.Helper()
	if o.results == nil || len(o.results.Runs) != 1 {
		t.Fatalf("exit %d, no results of one run\n--- stdout\n%s--- log\n%s", o.code, o.stdout, o.log)
	}
	return o.results.Runs[0].Summary
}

// noChildLeft checks that every process serve started is gone.
func noChildLeft(pids []int) error {
	if len(pids) == 0 {
		return errors.New("no process was started")
	}
	for _, pid := range pids {
		if !procstest.Gone(pid) {
			return fmt.Errorf("process %d still runs after serve exited", pid)
		}
	}
	return nil
}

// The checks of the tests below, each a function of a summary so that a
// wrong summary is shown to fail it (TestExecChecksCanFail).

// overlapped: two nodes led at once for at least min.
func overlapped(s reports.Summary, min float64) error {
	if s.Overlap.TotalSeconds < min {
		return fmt.Errorf("overlap %.3fs, want at least %.3fs", s.Overlap.TotalSeconds, min)
	}
	return nil
}

// noOverlap: never two leaders.
func noOverlap(s reports.Summary) error {
	if s.Overlap.TotalSeconds > 0 {
		return fmt.Errorf("overlap %.3fs, want none", s.Overlap.TotalSeconds)
	}
	return nil
}

// failedOver: the first failover has this cause, went from a to b and was
// restored within maxRecovery.
func failedOver(s reports.Summary, cause string, minRecovery, maxRecovery float64) error {
	if len(s.Failovers) == 0 {
		return errors.New("no failover")
	}
	f := s.Failovers[0]
	switch {
	case f.Cause != cause:
		return fmt.Errorf("failover cause %q, want %q", f.Cause, cause)
	case f.From != "a" || f.To != "b" || !f.Restored:
		return fmt.Errorf("failover %s -> %s (restored %v), want a -> b restored", f.From, f.To, f.Restored)
	case f.RecoverySeconds < minRecovery || f.RecoverySeconds > maxRecovery:
		return fmt.Errorf("recovery %.3fs, want %.3fs to %.3fs", f.RecoverySeconds, minRecovery, maxRecovery)
	}
	return nil
}

// endedBy: a's first interval ended for this reason.
func endedBy(s reports.Summary, reason string) error {
	for _, l := range s.Leadership {
		if l.Node == "a" {
			if l.EndReason != reason {
				return fmt.Errorf("a's first interval ended by %q, want %q", l.EndReason, reason)
			}
			return nil
		}
	}
	return errors.New("a never led")
}

func must(t *testing.T, o *execOutcome, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Errorf("%v\n--- stdout\n%s", err, o.stdout)
		}
	}
}

func TestExecCrash(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	sc := execScenario(t, t.TempDir(), "exec-crash", "7s", `  faults:
  - {type: crash, at: 2500ms, nodes: [a], restartAfter: 1s}
`)
	o := runExecServe(t, sc, "--exec", electorTemplate(bin))
	s := o.summary(t)
	// a restarts a second after the crash, a fresh process with a fresh
	// identity (the restart policy alone, Never, would not restart it).
	if len(s.Nodes) == 0 || strings.Join(s.Nodes[0].Processes, ",") != "a_1,a_2" {
		t.Errorf("node a ran %v, want a_1,a_2", s.Nodes)
	}
	// API requests per node and verb: b created nothing (a did), both read
	// and wrote.
	req := o.results.Runs[0].Requests
	if req["a"]["create"] != 1 || req["b"]["create"] != 0 || req["a"]["update"] == 0 || req["b"]["update"] == 0 || req["b"]["get"] == 0 {
		t.Errorf("requests per node and verb: %v", req)
	}
	// b takes over once a's lease expires: LD after the last renewal b saw
	// change, which is up to a second before the crash (see stopScenario).
	must(t, o, endedBy(s, "crashed"), failedOver(s, "crash", 0.5, 3.5), noOverlap(s), noChildLeft(o.pids))
	if o.code != 0 {
		t.Errorf("exit %d\n%s", o.code, o.log)
	}
	// The same summary as a simulated run's, and the per-node logs.
	for _, f := range []string{"out/run-1/a.log", "out/run-1/b.log", "report/report.html", "report/summary.json"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(o.out), f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(o.stdout, "leadership (true time):") || !strings.Contains(o.stdout, "crashed") {
		t.Errorf("stdout lacks the run's summary:\n%s", o.stdout)
	}
}

// pauseScenario freezes the leader for 4s, twice its lease: b takes the
// lease while a sleeps, and a leads on until its first renewal after
// the pause fails.
func pauseScenario(t *testing.T) string {
	return execScenario(t, t.TempDir(), "exec-pause", "9s", `  faults:
  - {type: pause, at: 2s, duration: 4s, nodes: [a]}
`)
}

// managerPauseScenario is pauseScenario for a binary that takes longer
// to start (controller-runtime's manager): b starts at 2.5s, a is paused
// from 3.5s.
func managerPauseScenario(t *testing.T) string {
	path := execScenario(t, t.TempDir(), "exec-manager-pause", "10s", `  faults:
  - {type: pause, at: 3500ms, duration: 4s, nodes: [a]}
`)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "{name: b, start: 1s}", "{name: b, start: 2500ms}", 1)), 0o644)
	return path
}

func TestExecPauseLongerThanTheLeaseOverlaps(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	o := runExecServe(t, pauseScenario(t), "--exec", electorTemplate(bin), "--intervals", "hook")
	s := o.summary(t)
	must(t, o, overlapped(s, 0.5), failedOver(s, "pause", 0, 6), noChildLeft(o.pids))
	page, err := os.ReadFile(filepath.Join(o.report, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), html.EscapeString("overlap: two leaders at once")) {
		t.Errorf("the report does not say that two nodes led at once")
	}
	if !strings.Contains(o.stdout, "intervals from hook") {
		t.Errorf("stdout does not name the hook as the intervals' source:\n%s", o.stdout)
	}
}

// The same pause, the intervals read from client-go's log lines.
func TestExecPauseFromLogLines(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	o := runExecServe(t, pauseScenario(t), "--exec", electorTemplate(bin), "--intervals", "logs")
	s := o.summary(t)
	must(t, o, overlapped(s, 0.5), noChildLeft(o.pids))
	if !strings.Contains(o.stdout, "intervals from logs") {
		t.Errorf("stdout does not name the logs as the intervals' source:\n%s", o.stdout)
	}
}

// A mutant: a binary that ignores the pause (serve sends no signal) keeps
// renewing, so the overlap assertion of the pause test fails.
func TestExecPauseIgnoredShowsNoOverlap(t *testing.T) {
	// Not parallel: it changes what every pause sends, and the parallel
	// tests only start once the sequential ones are done.
	bin := electorBinary(t)
	pauseSignal = 0
	defer func() { pauseSignal = syscall.SIGSTOP }()
	o := runExecServe(t, pauseScenario(t), "--exec", electorTemplate(bin), "--intervals", "hook")
	s := o.summary(t)
	if err := overlapped(s, 0.5); err == nil {
		t.Fatalf("a binary that was never frozen overlapped:\n%s", o.stdout)
	}
	must(t, o, noChildLeft(o.pids))
}

// stopScenario sends a SIGTERM to the leader at 2.5s. Its lease lasts
// 3s here: followers notice a renewal only when the renew time's whole
// second changes (client-go compares the record's JSON, which has
// seconds), so without a release b may take over as early as LD − 1s
// after a's last renewal it saw change — 2s is clear of a release's
// handover within a retry period or two.
func stopScenario(t *testing.T, release bool) string {
	return execScenario(t, t.TempDir(), fmt.Sprintf("exec-stop-%v", release), "7s", fmt.Sprintf(`  elector: {leaseDuration: 3s, renewDeadline: 2s, retryPeriod: 300ms, releaseOnCancel: %v}
  faults:
  - {type: stop, at: 2500ms, nodes: [a]}
`, release))
}

// With ReleaseOnCancel the stopped leader hands the lease over at once:
// b takes it at its next retry. Without, b waits for the lease to expire.
func TestExecStopWithAndWithoutRelease(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	for _, tc := range []struct {
		release  bool
		min, max float64
	}{{true, 0, 1.2}, {false, 1.5, 4.0}} {
		t.Run(fmt.Sprintf("release=%v", tc.release), func(t *testing.T) {
			t.Parallel()
			o := runExecServe(t, stopScenario(t, tc.release), "--exec", electorTemplate(bin), "--stop-grace", "3s")
			s := o.summary(t)
			must(t, o, endedBy(s, "stopped"), failedOver(s, "stop", tc.min, tc.max), noOverlap(s), noChildLeft(o.pids))
		})
	}
}

// A partition cuts a off the API: its renewals fail, it steps down at its
// renew deadline, and b takes the lease once it expires.
func TestExecPartition(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	sc := execScenario(t, t.TempDir(), "exec-partition", "8s", `  faults:
  - {type: partition, at: 2s, duration: 4s, nodes: [a], mode: drop-requests}
`)
	// The elector exits when it loses its lease; restart policy Always
	// brings a fresh process back half a second later.
	b, _ := os.ReadFile(sc)
	os.WriteFile(sc, []byte(strings.Replace(string(b), "restart: {policy: Never}", "restart: {policy: Always, delay: 500ms}", 1)), 0o644)
	o := runExecServe(t, sc, "--exec", electorTemplate(bin))
	s := o.summary(t)
	must(t, o, failedOver(s, "partition", 0.5, 4.0), noChildLeft(o.pids))
	if len(s.Nodes) == 0 || len(s.Nodes[0].Processes) < 2 {
		t.Errorf("node a ran %v; want a restart after it lost its lease", s.Nodes)
	}
}

// --runs repeats the run with fresh processes: one line per run, the
// distribution, every run in results.json and a report per run.
func TestExecRuns(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	sc := execScenario(t, t.TempDir(), "exec-runs", "2500ms", "")
	o := runExecServe(t, sc, "--exec", electorTemplate(bin), "--runs", "2")
	if o.code != 0 || o.results == nil || len(o.results.Runs) != 2 {
		t.Fatalf("exit %d\n--- stdout\n%s--- log\n%s", o.code, o.stdout, o.log)
	}
	for _, want := range []string{"run 1: overlap 0s", "run 2: overlap 0s", "runs: 2; overlap in 0 (rate 0.00, 95% Clopper-Pearson interval [0.00, 0.84])"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, o.stdout)
		}
	}
	for _, f := range []string{"run-1/report.html", "run-2/report.html"} {
		if _, err := os.Stat(filepath.Join(o.report, f)); err != nil {
			t.Error(err)
		}
	}
	// Fresh processes each run: four pids for two nodes and two runs.
	if len(o.pids) != 4 {
		t.Errorf("started %d processes, want 4", len(o.pids))
	}
	must(t, o, noChildLeft(o.pids))
}

// Every check of these tests fails on a summary that violates it.
func TestExecChecksCanFail(t *testing.T) {
	sc := scenarios.New()
	scenarios.Default(sc)
	iv := func(node string, start, end time.Duration, reason string) check.Interval {
		return check.Interval{Node: node, Identity: node + "_1", Start: start, End: end, Cancelled: end, EndReason: reason}
	}
	summary := func(faults []check.FaultWindow, ivs ...check.Interval) reports.Summary {
		return reports.NewSummary(check.Observed(sc, check.Observation{Duration: 10 * time.Second, Leadership: ivs, Faults: faults}))
	}
	crash := []check.FaultWindow{{Type: "crash", Nodes: []string{"a"}, Start: 2 * time.Second, End: 2 * time.Second}}
	// a crashed at 2s, b led from 4s: a good crash run.
	good := summary(crash, iv("a", 0, 2*time.Second, "crashed"), iv("b", 4*time.Second, -1, ""))
	if err := errors.Join(endedBy(good, "crashed"), failedOver(good, "crash", 1, 3), noOverlap(good)); err != nil {
		t.Fatalf("a good run fails: %v", err)
	}
	overlapping := summary(nil, iv("a", 0, 5*time.Second, "renew-failed"), iv("b", 4*time.Second, -1, ""))
	for name, err := range map[string]error{
		"overlapped on a run without overlap": overlapped(good, 0.5),
		"noOverlap on an overlapping run":     noOverlap(overlapping),
		"endedBy with the wrong reason":       endedBy(good, "stopped"),
		"endedBy when a never led":            endedBy(summary(nil, iv("b", 0, -1, "")), "crashed"),
		"failedOver with the wrong cause":     failedOver(good, "pause", 1, 3),
		"failedOver too slow":                 failedOver(good, "crash", 0, 1),
		"failedOver too fast":                 failedOver(good, "crash", 2.5, 3),
		"failedOver without a failover":       failedOver(summary(nil, iv("a", 0, -1, "")), "crash", 0, 10),
		"failedOver never restored":           failedOver(summary(crash, iv("a", 0, 2*time.Second, "crashed")), "crash", 0, 10),
		"noChildLeft of a live process":       noChildLeft([]int{os.Getpid()}),
		"noChildLeft with no process":         noChildLeft(nil),
	} {
		if err == nil {
			t.Errorf("%s: passed", name)
		}
	}
}

// client-go's own log lines, as the example elector writes them, and
// lines that only look alike.
func TestLeaderLogEvents(t *testing.T) {
	for line, want := range map[string]string{
		`I1203 10:42:41.388432   18454 leaderelection.go:272] "Successfully acquired lease" lock="kube-system/lesim-example"`:   "started-leading",
		`I0102 15:04:05.000000       1 leaderelection.go:258] successfully acquired lease kube-system/kcm`:                      "started-leading",
		`I1203 10:42:48.779617   18454 leaderelection.go:304] "Failed to renew lease" lock="kube-system/lesim-example" err="x"`: "stopped-leading",
		`E0102 15:04:05.000000       1 main.go:1] "leaderelection lost"`:                                                        "stopped-leading",
		`I1203 10:42:41.361994   18454 leaderelection.go:258] "Attempting to acquire leader lease..." lock="kube-system/l"`:     "",
		`2026-12-03T10:42:31.008Z new-leader b_1`:                                                                               "",
	} {
		if got := leaderLogEvent(line); got != want {
			t.Errorf("leaderLogEvent(%q) = %q, want %q", line, got, want)
		}
	}
}

// The log parser turns a transcript into the intervals the checkers
// measure; fed lines that are not client-go's, it finds no leader, and
// the overlap check fails.
func TestLogTranscriptIntervals(t *testing.T) {
	acquired := `I1203 10:42:41.388432 1 leaderelection.go:272] "Successfully acquired lease" lock="kube-system/x"`
	lost := `I1203 10:42:48.779617 1 leaderelection.go:304] "Failed to renew lease" lock="kube-system/x" err="context deadline exceeded"`
	replay := func(lines map[string][]string) reports.Summary {
		b := newIntervalBook()
		at := time.Duration(0)
		for _, step := range []struct{ node, line string }{{"a", lines["a"][0]}, {"b", lines["b"][0]}, {"a", lines["a"][1]}} {
			at += time.Second
			w := &leaderLineWriter{w: io.Discard, onLine: func(l string) {
				switch leaderLogEvent(l) {
				case "started-leading":
					b.start(step.node, step.node+"#1", at)
				case "stopped-leading":
					b.stop(step.node+"#1", at, "renew-failed")
				}
			}}
			w.Write([]byte(step.line + "\n"))
		}
		sc := scenarios.New()
		scenarios.Default(sc)
		return reports.NewSummary(check.Observed(sc, check.Observation{Duration: 5 * time.Second, Leadership: b.snapshot()}))
	}
	good := replay(map[string][]string{"a": {acquired, lost}, "b": {acquired}})
	if err := overlapped(good, 0.9); err != nil {
		t.Fatalf("client-go's lines: %v", err)
	}
	wrong := replay(map[string][]string{"a": {"acquired the lease", "lost the lease"}, "b": {"acquired the lease"}})
	if err := overlapped(wrong, 0.9); err == nil {
		t.Fatal("lines that are not client-go's still gave an overlap")
	}
}

// serve, stopped by SIGTERM in the middle of a run, or killed outright,
// leaves no child behind. serve here is this test binary standing in for
// the command (TestMain).
func TestExecLeavesNoChildOnSignal(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sc := execScenario(t, dir, "exec-signal", "60s", "")
			cmd := exec.Command(os.Args[0], "serve", sc, "--addr", "127.0.0.1:0", "--kubeconfig", filepath.Join(dir, "k.kubeconfig"),
				"--out", filepath.Join(dir, "out"), "--exec", electorTemplate(bin))
			cmd.Env = append(os.Environ(), "LESIM_TEST_MAIN=1")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			pids := make(chan int, 4)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					if m := startedPid.FindStringSubmatch(sc.Text()); m != nil {
						pid, _ := strconv.Atoi(m[1])
						pids <- pid
					}
				}
			}()
			var started []int
			deadline := time.After(20 * time.Second)
			for len(started) < 2 {
				select {
				case pid := <-pids:
					started = append(started, pid)
				case <-deadline:
					t.Fatalf("serve started %d of 2 processes within 20s", len(started))
				}
			}
			// Should the check fail, the children must not outlive the test.
			defer func() {
				for _, pid := range started {
					if !procstest.Gone(pid) {
						syscall.Kill(-pid, syscall.SIGKILL)
					}
				}
			}()
			cmd.Process.Signal(sig)
			if sig == syscall.SIGTERM {
				// Interrupted in its first run, serve keeps no result.
				defer func() {
					if _, err := os.Stat(filepath.Join(dir, "out", "results.json")); !os.IsNotExist(err) {
						t.Errorf("an interrupted first run left results.json (%v)", err)
					}
				}()
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Fatalf("serve did not exit within 15s of %v", sig)
			}
			end := time.Now().Add(5 * time.Second)
			for noChildLeft(started) != nil && time.Now().Before(end) {
				time.Sleep(20 * time.Millisecond)
			}
			if err := noChildLeft(started); err != nil {
				t.Fatalf("after %v to serve: %v", sig, err)
			}
		})
	}
}

// Interrupted in its second run, serve keeps the first, complete one:
// results.json holds it alone, and the exit status is 1.
func TestExecInterruptedKeepsCompleteRuns(t *testing.T) {
	t.Parallel()
	bin := electorBinary(t)
	dir := t.TempDir()
	sc := execScenario(t, dir, "exec-interrupted", "2s", "")
	cmd := exec.Command(os.Args[0], "serve", sc, "--addr", "127.0.0.1:0", "--kubeconfig", filepath.Join(dir, "k.kubeconfig"),
		"--out", filepath.Join(dir, "out"), "--runs", "3", "--exec", electorTemplate(bin))
	cmd.Env = append(os.Environ(), "LESIM_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	first := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "run 1: ") {
				first <- true
			}
		}
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatal("no first run within 30s")
	}
	time.Sleep(300 * time.Millisecond) // into the second run
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("interrupted serve: %v, want exit status 1", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit within 15s of SIGTERM")
	}
	r, err := readExecResults(filepath.Join(dir, "out", "results.json"))
	if err != nil || len(r.Runs) != 1 {
		t.Fatalf("results after an interrupted second run: %v, %+v", err, r)
	}
}

func TestExecBadInput(t *testing.T) {
	dir := t.TempDir()
	sc := execScenario(t, dir, "exec-bad", "5s", "")
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--exec", "true"}, "no scenario"},
		{[]string{"serve", sc, "--exec", "true {kubecfg}"}, "unknown placeholder {kubecfg}"},
		{[]string{"serve", sc, "--exec", "./no-such-program {kubeconfig}"}, "no-such-program"},
		{[]string{"serve", sc, "--exec", `x "unterminated`}, "--exec"},
		{[]string{"serve", sc, "--exec", "true", "--runs", "0"}, "--runs 0"},
		{[]string{"serve", sc, "--exec", "true", "--intervals", "guess"}, "--intervals"},
		{[]string{"serve", sc, "--exec", "true", "--nodes", "a"}, "--nodes"},
		{[]string{"serve", sc, "--runs", "3"}, "only with --exec"},
		{[]string{"serve", sc, "--exec", "true", "--out", filepath.Join(dir, "no", "such")}, "--out"},
	} {
		args := append(tc.args, "--kubeconfig", filepath.Join(dir, "k.kubeconfig"))
		if !slices.Contains(args, "--out") {
			args = append(args, "--out", out)
		}
		code, _, errs := runCLI(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errs, tc.want)
		}
	}
	for _, f := range []string{out, filepath.Join(dir, "k.kubeconfig")} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("bad input left %s behind", f)
		}
	}
}
