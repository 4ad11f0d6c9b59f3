package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// The README's quick start: no arguments runs the embedded default.
func TestQuickStartNoArguments(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	code, out, errs := runCLI(t)
	if code != 0 || !strings.Contains(out, "scenario default") || !strings.Contains(out, "report: ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestRunJSONHasDocumentedKeys(t *testing.T) {
	code, out, errs := runCLI(t, "run", "--scenario", "leader-crash", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	for _, path := range []string{"scenario", "seed", "traceHash", "overlap.totalSeconds", "overlap.maxSeconds", "overlap.episodes", "leaderless.totalSeconds", "leaderless.maxSeconds", "failovers", "transitions", "spuriousTransitions", "staleLeaderSeconds", "api.requests", "api.requestsPerSecond", "workload.unsafeWrites", "workload.fencedWrites", "leadership", "expect.passed", "expect.violations"} {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			mm, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %v is not an object", path, v)
			}
			if v, ok = mm[k]; !ok {
				t.Fatalf("JSON lacks %s", path)
			}
		}
	}
}

func TestRunFileWithFlagsTraceAndReport(t *testing.T) {
	dir := t.TempDir()
	trace, report := filepath.Join(dir, "trace.jsonl"), filepath.Join(dir, "report")
	code, out, errs := runCLI(t, "run", "../../scenarios/library/healthy.yaml", "--seed", "7", "--trace", trace, "--report", report, "--leader-elect-lease-duration=20s")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	if b, err := os.ReadFile(trace); err != nil || bytes.Count(b, []byte("\n")) < 100 {
		t.Fatalf("trace: %v, %d bytes", err, len(b))
	}
	for _, f := range []string{"report.html", "summary.json"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBadInputIsOneLineAndExitTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n  elector: {leaseDuration: 10s, renewDeadline: 10s}\n"), 0o644)
	trace := filepath.Join(dir, "trace.jsonl")
	code, _, errs := runCLI(t, "run", bad, "--trace", trace)
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "bad.yaml: spec.elector.leaseDuration") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(trace); !os.IsNotExist(err) {
		t.Fatal("an output file was left behind")
	}
	if code, _, _ := runCLI(t, "run", "--no-such-flag"); code != 2 {
		t.Fatalf("usage error exit %d", code)
	}
}

func TestListAndSchema(t *testing.T) {
	_, out, _ := runCLI(t, "list")
	if !strings.Contains(out, "leader-crash") || strings.Count(out, "\n") < 17 {
		t.Fatalf("list:\n%s", out)
	}
	_, out, _ = runCLI(t, "schema")
	if !strings.Contains(out, "spec.elector.leaseDuration") {
		t.Fatalf("schema lacks spec.elector.leaseDuration")
	}
}

func TestExpectationFailureExitsOne(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "strict.yaml")
	os.WriteFile(f, []byte("apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n  faults:\n  - {type: crash, at: 60s, nodes: [a]}\n  expect: {maxLeaderless: 1s}\n"), 0o644)
	if code, _, errs := runCLI(t, "run", f); code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
