package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

type result struct {
	stdout, stderr string
	code           int
}

// simulate runs the CLI in-process with the given environment variables.
func simulate(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	code := execute(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: getenv})
	return result{out.String(), errb.String(), code}
}

func (r result) String() string {
	return "exit " + itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
}

func itoa(i int) string { return strconv.Itoa(i) }

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// oneErrorLine checks that stderr is exactly one line.
func oneErrorLine(t *testing.T, r result) string {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Fatalf("want exactly one line on stderr:\n%s", r)
	}
	return strings.TrimSuffix(r.stderr, "\n")
}

func TestNoArgumentsRunsDefault(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r := simulate(t, nil)
	if r.code != 0 {
		t.Fatal(r)
	}
	if !strings.HasPrefix(r.stdout, "scenario default  seed 1") || !strings.Contains(r.stdout, "expect:       passed") {
		t.Errorf("summary:\n%s", r)
	}
	i := strings.LastIndex(r.stdout, "report: ")
	if i < 0 {
		t.Fatalf("no report line:\n%s", r)
	}
	path := strings.TrimSpace(r.stdout[i+len("report: "):])
	if !strings.HasPrefix(path, tmp) {
		t.Errorf("report %s not in the temporary directory %s", path, tmp)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}

func TestRunJSONIsOneObject(t *testing.T) {
	r := simulate(t, nil, "run", "--scenario", "leader-crash", "--json")
	if r.code != 0 {
		t.Fatal(r)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one JSON value on stdout:\n%s", r.stdout)
	}
	if m["scenario"] != "leader-crash" || m["expect"].(map[string]any)["passed"] != true {
		t.Errorf("summary: %v", m)
	}
	if len(m["failovers"].([]any)) == 0 {
		t.Errorf("leader-crash without a failover: %v", m)
	}
}

func TestRunSeedChangesTheRun(t *testing.T) {
	a := simulate(t, nil, "run", "--scenario", "leader-crash", "--json")
	b := simulate(t, nil, "run", "--scenario", "leader-crash", "--json", "--seed", "7")
	c := simulate(t, nil, "run", "--scenario", "leader-crash", "--json", "--seed", "7")
	var sa, sb struct {
		Seed      uint64
		TraceHash string
	}
	if err := json.Unmarshal([]byte(a.stdout), &sa); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b.stdout), &sb); err != nil {
		t.Fatal(err)
	}
	if sa.Seed != 1 || sb.Seed != 7 || sa.TraceHash == sb.TraceHash {
		t.Errorf("--seed 7: %+v vs %+v", sa, sb)
	}
	if b.stdout != c.stdout {
		t.Error("equal seeds gave different summaries")
	}
}

func TestRunReportAndTrace(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report")
	trace := filepath.Join(dir, "trace.jsonl")
	r := simulate(t, nil, "run", "--scenario", "gc-pause-leader", "--report", report, "--trace", trace)
	if r.code != 0 && r.code != 1 {
		t.Fatal(r)
	}
	for _, f := range []string{"report.html", "summary.json", "timeline.png", "timeline.svg"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Error(err)
		}
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 100 {
		t.Errorf("only %d trace lines", len(lines))
	}
	for _, l := range lines {
		var ev check.TraceEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Kind == "" {
			t.Fatalf("bad trace line %q: %v", l, err)
		}
	}
	if !strings.Contains(r.stdout, "report: "+report+"/report.html") || !strings.Contains(r.stdout, "trace: "+trace) {
		t.Errorf("where the outputs went:\n%s", r)
	}
}

func TestRunJSONNotesGoToStderr(t *testing.T) {
	dir := t.TempDir()
	r := simulate(t, nil, "run", "--json", "--report", filepath.Join(dir, "r"))
	if r.code != 0 {
		t.Fatal(r)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r)
	}
	if !strings.Contains(r.stderr, "report: ") {
		t.Errorf("report location not on stderr:\n%s", r)
	}
}

func TestExpectViolatedExitsOne(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "strict.yaml", `apiVersion: lesim.dev/v1alpha1
kind: Scenario
metadata: {name: strict}
spec:
  duration: 3m
  faults:
  - {type: crash, at: 1m, nodes: [a]}
  expect: {maxFailover: 1s}
`)
	r := simulate(t, nil, "run", f)
	if r.code != 1 {
		t.Fatal(r)
	}
	if !strings.Contains(r.stdout, "expect:       FAILED") {
		t.Errorf("no failure in the summary:\n%s", r)
	}
	r = simulate(t, nil, "run", f, "--json")
	if r.code != 1 || !strings.Contains(r.stdout, `"passed": false`) {
		t.Error(r)
	}
}

func TestBadInputIsOneLineAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "bad.yaml", `apiVersion: lesim.dev/v1alpha1
kind: Scenario
spec:
  nodes:
  - {name: a, clock: {rate: -1}}
`)
	report := filepath.Join(dir, "report")
	trace := filepath.Join(dir, "trace.jsonl")
	r := simulate(t, nil, "run", f, "--report", report, "--trace", trace)
	if r.code != 2 {
		t.Fatal(r)
	}
	line := oneErrorLine(t, r)
	if !strings.HasPrefix(line, f+": spec.nodes[0].clock.rate: ") || !strings.Contains(line, "expected") {
		t.Errorf("message: %q", line)
	}
	for _, p := range []string{report, trace} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after bad input", p)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout not empty:\n%s", r.stdout)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"run", "--no-such-flag"},
		{"no-such-command"},
		{"run", "a.yaml", "b.yaml"},
		{"run", "--seed", "minus-one"},
		{"list", "extra"},
		{"run", filepath.Join(dir, "missing.yaml")},
		{"run", "--scenario", "no-such-scenario"},
		{"run", "--scenario", "default", filepath.Join(dir, "x.yaml")},
		{"run", "--leader-elect=false"},
	} {
		r := simulate(t, nil, args...)
		if r.code != 2 {
			t.Errorf("%v: %s", args, r)
			continue
		}
		oneErrorLine(t, r)
	}
}

func TestLeaderElectFlagsOverrideScenario(t *testing.T) {
	dir := t.TempDir()
	// The same scenario with the timings written in the file.
	data, err := scenarios.NamedYAML("leader-crash")
	if err != nil {
		t.Fatal(err)
	}
	withTimings := strings.Replace(string(data), "spec:\n", "spec:\n  elector: {leaseDuration: 20s, renewDeadline: 12s, retryPeriod: 3s}\n", 1)
	f := writeFile(t, dir, "timed.yaml", withTimings)
	fromFile := simulate(t, nil, "run", f, "--json")
	fromFlags := simulate(t, nil, "run", "--scenario", "leader-crash", "--json",
		"--leader-elect-lease-duration=20s", "--leader-elect-renew-deadline=12s", "--leader-elect-retry-period=3s")
	plain := simulate(t, nil, "run", "--scenario", "leader-crash", "--json")
	hash := func(r result) string {
		var s struct{ TraceHash string }
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		return s.TraceHash
	}
	if hash(fromFile) != hash(fromFlags) {
		t.Error("flags do not behave as the same values in spec.elector")
	}
	if hash(plain) == hash(fromFlags) {
		t.Error("flags had no effect")
	}
	// Flags not given leave the file's values alone.
	partial := simulate(t, nil, "run", f, "--json", "--leader-elect-resource-name=other")
	if hash(partial) != hash(fromFile) {
		t.Error("an unrelated flag changed the run")
	}
	// An invalid combination names the flag.
	bad := simulate(t, nil, "run", "--scenario", "leader-crash", "--leader-elect-lease-duration=5s")
	if bad.code != 2 {
		t.Fatal(bad)
	}
	line := oneErrorLine(t, bad)
	if !strings.Contains(line, "--leader-elect-lease-duration") || !strings.Contains(line, "expected") {
		t.Errorf("message: %q", line)
	}
}

func TestList(t *testing.T) {
	r := simulate(t, nil, "list")
	if r.code != 0 {
		t.Fatal(r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	lib := scenarios.Library()
	if len(lines) != len(lib) {
		t.Fatalf("%d lines for %d scenarios:\n%s", len(lines), len(lib), r.stdout)
	}
	for i, e := range lib {
		if !strings.HasPrefix(lines[i], e.Name+" ") || !strings.Contains(lines[i], strings.Fields(e.Description)[0]) {
			t.Errorf("line %q for %s", lines[i], e.Name)
		}
	}
}

func TestSchema(t *testing.T) {
	r := simulate(t, nil, "schema")
	if r.code != 0 || r.stdout != scenarios.SchemaDoc() {
		t.Errorf("schema output differs from scenarios.SchemaDoc()")
	}
}

func mustDur(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}
