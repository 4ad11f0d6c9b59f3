package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios/gate"
)

// suiteDir writes a small suite of two scenarios.
func suiteDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"leader-crash", "healthy"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "library", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name+".yaml", string(data))
	}
	return dir
}

func TestGateUpdateThenPass(t *testing.T) {
	suite := suiteDir(t)
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	r := simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline", "--seeds", "6")
	if r.code != 0 || !strings.Contains(r.stdout, "updated with 2 scenarios") {
		t.Fatal(r)
	}
	b, err := gate.Read(baseline)
	data, _ := os.ReadFile(baseline)
	if err != nil || b.Kind != gate.Kind || len(b.Scenarios) != 2 || len(b.Scenarios["leader-crash"].Seeds) != 6 || b.Scenarios["leader-crash"].Metrics["recovery.maxSeconds"][0] == 0 {
		t.Errorf("baseline (%v):\n%s", err, data)
	}
	junit := filepath.Join(t.TempDir(), "gate.xml")
	r = simulate(t, nil, "gate", suite, "--baseline", baseline, "--junit", junit)
	if r.code != 0 || !strings.Contains(r.stdout, "gate: passed (2 scenarios)") || !strings.Contains(r.stdout, "ok    healthy (6 seeds)") {
		t.Fatal(r)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(x, &doc); err != nil || doc.Tests != 2 || doc.Failures != 0 {
		t.Errorf("junit (%v):\n%s", err, x)
	}
	// Updating again gives the same file: baselines diff cleanly.
	again := filepath.Join(t.TempDir(), "baseline.yaml")
	simulate(t, nil, "gate", suite, "--baseline", again, "--update-baseline", "--seeds", "6")
	data2, _ := os.ReadFile(again)
	if string(data) != string(data2) {
		t.Error("baseline not byte-stable")
	}
}

func TestGateRegression(t *testing.T) {
	suite := suiteDir(t)
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.yaml")
	simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline", "--seeds", "6")
	// Pretend the accepted recoveries were 10 s faster than today's.
	b, err := gate.Read(baseline)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"recovery.maxSeconds", "recovery.meanSeconds"} {
		for i := range b.Scenarios["leader-crash"].Metrics[name] {
			b.Scenarios["leader-crash"].Metrics[name][i] -= 10
		}
	}
	out, _ := b.Marshal()
	os.WriteFile(baseline, out, 0o644)

	summary := filepath.Join(dir, "step-summary.md")
	junit := filepath.Join(dir, "gate.xml")
	r := simulate(t, map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary},
		"gate", suite, "--baseline", baseline, "--junit", junit)
	if r.code != 1 {
		t.Fatal(r)
	}
	for _, want := range []string{
		"FAIL  leader-crash",
		"recovery.maxSeconds regressed: mean ",
		"+10 [10, 10] (paired t, n=6, p=0; threshold 0.5)",
		"ok    healthy",
		"::error title=lesim gate leader-crash::recovery.maxSeconds regressed",
		"gate: FAILED: 1 of 2 scenarios",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gate output lacks %q:\n%s", want, r)
		}
	}
	md, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "| leader-crash | recovery.maxSeconds | ") || !strings.Contains(string(md), "**regressed**") {
		t.Errorf("step summary (%v):\n%s", err, md)
	}
	x, _ := os.ReadFile(junit)
	if !strings.Contains(string(x), `failures="1"`) || !strings.Contains(string(x), "recovery.maxSeconds regressed") {
		t.Errorf("junit:\n%s", x)
	}
}

func TestGateMissingEntryAndBadInput(t *testing.T) {
	suite := suiteDir(t)
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.yaml")
	simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline", "--seeds", "3")
	data, _ := os.ReadFile(filepath.Join("..", "..", "scenarios", "library", "lost-ack.yaml"))
	writeFile(t, suite, "lost-ack.yaml", string(data))
	r := simulate(t, nil, "gate", suite, "--baseline", baseline)
	if r.code != 1 || !strings.Contains(r.stdout, "no baseline for this scenario") {
		t.Error(r)
	}
	writeFile(t, dir, "bad.yaml", "kind: GateBaseline\ntolerances: {metrics: {overlapp: {absolute: 1}}}\n")
	for _, args := range [][]string{
		{"gate", suite},                  // no --baseline
		{"gate", "--baseline", baseline}, // no suite
		{"gate", suite, "--library", "--baseline", baseline},
		{"gate", suite, "--baseline", filepath.Join(dir, "missing.yaml")},
		{"gate", suite, "--baseline", filepath.Join(dir, "bad.yaml")},
		{"gate", filepath.Join(dir, "nowhere"), "--baseline", baseline},
		{"gate", suite, "--baseline", baseline, "--seeds", "5"}, // the baseline has 3
		{"gate", suite, "--baseline", baseline, "--seeds", "100001"},
		{"gate", suite, "--baseline", baseline, "-j", "0"},
	} {
		junit := filepath.Join(dir, "bad-input.xml")
		os.Remove(junit)
		r := simulate(t, nil, append(args, "--junit", junit)...)
		if r.code != 2 {
			t.Errorf("%v: %s", args, r)
			continue
		}
		oneErrorLine(t, r)
		// CI shows a failure naming the error, not "no tests".
		x, err := os.ReadFile(junit)
		if err != nil || !strings.Contains(string(x), `failures="1"`) || !strings.Contains(string(x), strings.TrimSpace(r.stderr)[:20]) {
			t.Errorf("%v: junit (%v):\n%s", args, err, x)
		}
	}
	// A baseline scenario the suite no longer runs fails the gate.
	os.Remove(filepath.Join(suite, "healthy.yaml"))
	if r := simulate(t, nil, "gate", suite, "--baseline", baseline); r.code != 1 || !strings.Contains(r.stdout, "FAIL  healthy") || !strings.Contains(r.stdout, "missing from the suite") {
		t.Error(r)
	}
}

// A suite scenario on which nobody leads fails the gate, baseline or not.
func TestGateNoLeaderFails(t *testing.T) {
	suite := t.TempDir()
	data, _ := os.ReadFile(filepath.Join("..", "..", "scenarios", "testdata", "no-leader.yaml"))
	writeFile(t, suite, "no-leader.yaml", string(data))
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	r := simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline", "--seeds", "3")
	if r.code != 1 || !strings.Contains(r.stdout, "no node ever led") {
		t.Fatal(r)
	}
	r = simulate(t, nil, "gate", suite, "--baseline", baseline)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  no-leader") || !strings.Contains(r.stdout, "spec.expect violated in 3 of 3 runs") {
		t.Error(r)
	}
}

func TestGateLibrary(t *testing.T) {
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if r := simulate(t, nil, "gate", "--library", "--baseline", baseline, "--update-baseline", "--seeds", "2"); r.code != 0 {
		t.Fatal(r)
	}
	if r := simulate(t, nil, "gate", "--library", "--baseline", baseline); r.code != 0 {
		t.Fatal(r)
	}
}
