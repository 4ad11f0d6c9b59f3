package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
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
	r := simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline")
	if r.code != 0 || !strings.Contains(r.stdout, "updated with 2 scenarios") {
		t.Fatal(r)
	}
	var b Baseline
	data, _ := os.ReadFile(baseline)
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.Kind != baselineKind || len(b.Scenarios) != 2 || b.Scenarios["leader-crash"].Metrics["failover.maxSeconds"] == 0 {
		t.Errorf("baseline:\n%s", data)
	}
	junit := filepath.Join(t.TempDir(), "gate.xml")
	r = simulate(t, nil, "gate", suite, "--baseline", baseline, "--junit", junit)
	if r.code != 0 || !strings.Contains(r.stdout, "gate: passed (2 scenarios)") {
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
	simulate(t, nil, "gate", suite, "--baseline", again, "--update-baseline")
	data2, _ := os.ReadFile(again)
	if string(data) != string(data2) {
		t.Error("baseline not byte-stable")
	}
}

func TestGateRegression(t *testing.T) {
	suite := suiteDir(t)
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.yaml")
	simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline")
	// Pretend the accepted failover was much faster than today's.
	var b Baseline
	data, _ := os.ReadFile(baseline)
	yaml.UnmarshalStrict(data, &b)
	e := b.Scenarios["leader-crash"]
	e.Metrics["failover.maxSeconds"] = 5
	b.Scenarios["leader-crash"] = e
	out, _ := yaml.Marshal(&b)
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
		"failover.maxSeconds regressed: 5 -> ",
		"(allowed up to 6)",
		"ok    healthy",
		"::error title=lesim gate leader-crash::failover.maxSeconds regressed",
		"-baseline +current",
		`"failover.maxSeconds": 5,`,
		"gate: FAILED: 1 of 2 scenarios",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("gate output lacks %q:\n%s", want, r)
		}
	}
	md, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "| leader-crash | failover.maxSeconds | 5 |") || !strings.Contains(string(md), "**regressed**") {
		t.Errorf("step summary (%v):\n%s", err, md)
	}
	x, _ := os.ReadFile(junit)
	if !strings.Contains(string(x), `failures="1"`) || !strings.Contains(string(x), "failover.maxSeconds regressed") {
		t.Errorf("junit:\n%s", x)
	}
}

func TestGateMissingEntryAndBadInput(t *testing.T) {
	suite := suiteDir(t)
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.yaml")
	simulate(t, nil, "gate", suite, "--baseline", baseline, "--update-baseline")
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
	} {
		r := simulate(t, nil, args...)
		if r.code != 2 {
			t.Errorf("%v: %s", args, r)
			continue
		}
		oneErrorLine(t, r)
	}
}

func TestGateLibrary(t *testing.T) {
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if r := simulate(t, nil, "gate", "--library", "--baseline", baseline, "--update-baseline"); r.code != 0 {
		t.Fatal(r)
	}
	if r := simulate(t, nil, "gate", "--library", "--baseline", baseline); r.code != 0 {
		t.Fatal(r)
	}
}
