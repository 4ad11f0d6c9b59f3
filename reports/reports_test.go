package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios/check"
)

func TestSummaryJSONKeys(t *testing.T) {
	b, err := SummaryJSON(sampleResult())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The documented keys, as dotted paths into the object.
	for _, path := range []string{
		"scenario", "seed", "traceHash",
		"overlap.totalSeconds", "overlap.maxSeconds", "overlap.episodes",
		"leaderless.totalSeconds", "leaderless.maxSeconds",
		"liveness.neverLed", "liveness.timeToFirstLeaderSeconds", "liveness.unrestored",
		"failovers", "transitions", "spuriousTransitions", "staleLeaderSeconds",
		"api.requests", "api.requestsPerSecond",
		"workload.unsafeWrites", "workload.fencedWrites",
		"leadership", "expect.passed", "expect.violations",
	} {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %v is not an object", path, v)
			}
			if v, ok = obj[k]; !ok {
				t.Fatalf("missing key %s in %s", path, b)
			}
		}
	}
	s := NewSummary(sampleResult())
	if s.Overlap.Episodes != 1 || s.Overlap.TotalSeconds != 1.2 || s.Failovers[0].RecoverySeconds != 16.5 || s.Failovers[0].OnsetSeconds != 120 || s.Failovers[0].HandoverGapSeconds != 16.5 {
		t.Errorf("summary numbers: %+v", s)
	}
	if s.Leadership[1].Node != "b" || s.Leadership[1].StartSeconds != 136.5 || s.Leadership[1].EndReason != "renew-failed" {
		t.Errorf("leadership: %+v", s.Leadership[1])
	}
	b2, _ := SummaryJSON(sampleResult())
	if !bytes.Equal(b, b2) {
		t.Error("summary JSON not byte-stable")
	}
}

func TestSummaryJSONEmptyListsAreArrays(t *testing.T) {
	r := sampleResult()
	r.Leadership, r.Failovers, r.Faults, r.Expect.Violations, r.Overlap.Episodes = nil, nil, nil, nil, nil
	b, _ := SummaryJSON(r)
	if bytes.Contains(b, []byte("null")) {
		t.Errorf("null in %s", b)
	}
}

func TestTextSummary(t *testing.T) {
	txt := TextSummary(sampleResult())
	for _, want := range []string{
		"scenario sample  seed 42",
		"  b     b_1       136.500s  310.400s  2m53.9s    renew-failed (paused 12s) (draining 400ms)\n",
		"overlap:      1.2s in 1 episode(s), longest 1.2s (from 309.200s)",
		"crash at 120.000s: a lost leadership at 120.000s; -> b, recovery 16.5s, gap 16.5s",
		"API:          870 requests, 1.45/s (create 20, get 250, update 600)",
		"expect:       FAILED",
		"overlap 1.2s exceeds maxOverlap 0s",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("text summary lacks %q:\n%s", want, txt)
		}
	}
}

// A scenario without spec.expect is judged only on requireLeader's
// default: the text and the JSON summary say that no expectations were set
// instead of "passed", and a run without a leader still fails.
func TestSummaryWithoutExpectations(t *testing.T) {
	r := sampleResult()
	r.ExpectSet, r.Expect = false, check.ExpectResult{Passed: true}
	txt := TextSummary(r)
	if !strings.Contains(txt, "expect:       no expectations set (a leader came, as required by default)\n") || strings.Contains(txt, "expect:       passed") {
		t.Errorf("text summary of a run without spec.expect:\n%s", txt)
	}
	b, err := SummaryJSON(r)
	if err != nil || !bytes.Contains(b, []byte(`"expect": {
    "set": false,
    "passed": true,`)) {
		t.Errorf("JSON summary of a run without spec.expect: %v\n%s", err, b)
	}
	r.Expect = check.ExpectResult{Violations: []string{"liveness: no node ever led"}}
	if txt := TextSummary(r); !strings.Contains(txt, "expect:       FAILED: no expectations set, but a leader is required by default\n  liveness: no node ever led\n") {
		t.Errorf("text summary of a leaderless run without spec.expect:\n%s", txt)
	}
	r.ExpectSet, r.Expect = true, check.ExpectResult{Passed: true}
	if txt := TextSummary(r); !strings.Contains(txt, "expect:       passed\n") {
		t.Errorf("text summary of a run that met its spec.expect:\n%s", txt)
	}
}

func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := withObservations(sampleResult())
	if err := WriteReport(dir, r, ReportOptions{ScenarioYAML: []byte("kind: Scenario\n"), Command: "simulate run x.yaml"}); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "data:image/png;base64,", "expectations violated", "Belief vs truth", "kind: Scenario",
		"1 failover(s): 16.5s (fewer than 10: no distribution drawn)", `class="findings"`, "overlap: two leaders at once for 1.2s", "<h2>Episodes</h2>", `class="sentence"`} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// Self-contained: no external resources.
	for _, bad := range []string{`src="http`, `href="http`, `<script src`, `<link`} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("report.html refers outside: %q", bad)
		}
	}
	js, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := SummaryJSON(r)
	if !bytes.Equal(js, want) {
		t.Error("summary.json differs from SummaryJSON")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// Byte-stable across writes.
	dir2 := filepath.Join(t.TempDir(), "out")
	WriteReport(dir2, r, ReportOptions{ScenarioYAML: []byte("kind: Scenario\n"), Command: "simulate run x.yaml"})
	html2, _ := os.ReadFile(filepath.Join(dir2, "report.html"))
	if !bytes.Equal(html, html2) {
		t.Error("report.html not byte-stable")
	}
}

func TestWriteFileFuncFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.json")
	err := WriteFileFunc(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	err := WriteJUnit(&b, "lesim gate", []TestCase{
		{Name: "healthy"},
		{Name: "leader-crash", Failures: []string{"failover.maxSeconds: 31.2 > baseline 17.1 + tolerance 2"}, Detail: "-a\n+b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 2 || doc.Failures != 1 || doc.Suites[0].Cases[1].Failure == nil || doc.Suites[0].Cases[0].Failure != nil {
		t.Errorf("junit: %s", b.String())
	}
}

func TestSweepOutputs(t *testing.T) {
	pts := samplePoints()
	f := &SweepFile{Kind: SweepKind, Sweep: SweepSpec{Scenario: "default", Seed: 1, Seeds: 4, Points: len(pts)}, Points: pts}
	var csvb, bench bytes.Buffer
	if err := WriteSweepCSV(&csvb, pts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvb.String()), "\n")
	if len(lines) != len(pts)+1 || !strings.HasPrefix(lines[1], "0,lease=10s/renew=8s/retry=2s/skew=1,10,8,2,1,,,,4,") {
		t.Errorf("csv:\n%s", csvb.String())
	}
	f.Points[0].Runs = []SweepRun{{Seed: 7, OverlapSeconds: 0.5, FailoverSeconds: []float64{17.25, 12}}}
	if err := WriteSweepBench(&bench, f); err != nil {
		t.Fatal(err)
	}
	if want := "BenchmarkSweep/lease=10s/renew=8s/retry=2s/skew=1 1 0.5 overlap-s 17.25 failover-s 0 leaderless-s 0 api-req/s\n"; !strings.Contains(bench.String(), want) {
		t.Errorf("bench output lacks %q:\n%s", want, bench.String())
	}
}

func TestAggregate(t *testing.T) {
	st := Aggregate([]SweepRun{
		{OverlapSeconds: 0, FailoverSeconds: []float64{10, 20}, APIRequestsPerSecond: 1, ExpectPassed: true},
		{OverlapSeconds: 2, FailoverSeconds: []float64{30}, APIRequestsPerSecond: 3, UnsafeWrites: 1},
	})
	want := SweepStats{Runs: 2, RunsWithOverlap: 1, OverlapMeanSeconds: 1, OverlapMaxSeconds: 2, Failovers: 3, FailoverMeanSeconds: 20,
		FailoverP50Seconds: 20, FailoverP99Seconds: 30, FailoverMaxSeconds: 30, APIRequestsPerSecondMean: 2, UnsafeWrites: 1, ExpectFailures: 1}
	if st != want {
		t.Errorf("Aggregate = %+v, want %+v", st, want)
	}
}
