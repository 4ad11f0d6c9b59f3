package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lesim/lesim/scenarios"
)

// The examples of docs/simulate.md are checked by what they print and
// write, not only by their exit status: each command line has a check of
// its key output lines and files. Checks run in the examples' scratch
// directory, in document order (later checks may compare with files
// earlier commands wrote).

// wants returns an error naming the first text r does not print (stdout
// and stderr together).
func wants(r result, texts ...string) error {
	out := r.stdout + r.stderr
	for _, w := range texts {
		if !strings.Contains(out, w) {
			return fmt.Errorf("output lacks %q", w)
		}
	}
	return nil
}

func files(paths ...string) error {
	for _, p := range paths {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			return fmt.Errorf("%s not written (%v)", p, err)
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonLines counts the lines of a JSON-lines file, each a trace event.
func jsonLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct{ Kind string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Kind == "" {
			return n, fmt.Errorf("%s line %d is not a trace event: %q", path, n+1, sc.Text())
		}
		n++
	}
	return n, sc.Err()
}

// traceFile checks that the trace file holds as many events as the output
// says it wrote ("trace: FILE (N events)").
func traceFile(r result, path string) error {
	m := regexp.MustCompile(regexp.QuoteMeta(path) + ` \((\d+) events\)`).FindStringSubmatch(r.stdout)
	if m == nil {
		return fmt.Errorf("no %q line with an event count", path)
	}
	n, err := jsonLines(path)
	if err != nil {
		return err
	}
	if want, _ := strconv.Atoi(m[1]); n != want {
		return fmt.Errorf("%s holds %d events, the output says %d", path, n, want)
	}
	return nil
}

func sameFile(a, b string) error {
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	if err := firstErr(err1, err2); err != nil {
		return err
	}
	if !bytes.Equal(x, y) {
		return fmt.Errorf("%s and %s differ", a, b)
	}
	return nil
}

// docOutputChecks is a table, one entry per command line of the document;
// it is as long as the document has examples, and each entry is short.
func docOutputChecks(t *testing.T) map[string]func(result) error {
	sweepOut := []string{"sweep.json", "sweep.csv", "sweep.bench.txt", "overlap-heatmap.png", "overlap-heatmap.svg"}
	in := func(dir string, names []string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	var firstSweep []byte // sweep/sweep.json before --resume
	const grid = "--scenario skew-beyond-bound --lease 11s,13s,15s,20s --renew 10s --skew 1,1.2,1.5,2 --seeds 2"
	return map[string]func(result) error{
		"": func(r result) error {
			m := regexp.MustCompile(`report: (\S+lesim-report-\S+/report\.html)`).FindStringSubmatch(r.stdout)
			if m == nil {
				return fmt.Errorf("no report line")
			}
			return firstErr(wants(r, "scenario default  seed 1", "a lost leadership at 120.000s; -> ", "crash [a] at 120.000s", "partition [b,c] 300.000s-360.000s"), files(m[1]))
		},
		"run --scenario leader-crash": func(r result) error {
			return wants(r, "scenario leader-crash  seed 1", "crashed", "crash at 120.000s: a lost leadership at 120.000s; -> b", "crash [a] at 120.000s", "expect:       passed")
		},
		"run my-scenario.yaml --seed 7 --json": func(r result) error {
			var s struct {
				Scenario  string
				Seed      uint64
				Failovers []struct{ From string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
				return err
			}
			if s.Scenario != "leader-crash" || s.Seed != 7 || len(s.Failovers) != 1 || s.Failovers[0].From != "a" {
				return fmt.Errorf("summary %+v, want leader-crash, seed 7, one failover from a", s)
			}
			return nil
		},
		"run --scenario gc-pause-leader --report report/ --trace events.jsonl": func(r result) error {
			return firstErr(wants(r, "scenario gc-pause-leader", "(paused 20s)", "overlap:      13.573s"),
				files(in("report", []string{"report.html", "summary.json", "timeline.png", "timeline.svg", "belief-vs-truth.svg"})...),
				traceFile(r, "events.jsonl"))
		},
		"run --scenario skew-beyond-bound --leader-elect-lease-duration=20s --leader-elect-renew-deadline=10s": func(r result) error {
			// 20 s / 2 = 10 s < 12 s would still overlap at the bound, but
			// the flags' lease makes this run hand over cleanly.
			return wants(r, "scenario skew-beyond-bound", "overlap:      none")
		},
		"run counterexample.yaml": func(r result) error {
			return wants(r, "scenario skew-beyond-bound  seed 3", "expect:       FAILED", "exceeds maxOverlap 0s")
		},
		"list": func(r result) error {
			for _, e := range scenarios.Library() {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(e.Name) + ` +` + regexp.QuoteMeta(e.Description) + `$`).MatchString(r.stdout) {
					return fmt.Errorf("no line for %s with its description", e.Name)
				}
			}
			return nil
		},
		"schema": func(r result) error {
			if strings.TrimSpace(r.stdout) != strings.TrimSpace(scenarios.SchemaDoc()) {
				return fmt.Errorf("schema output is not SchemaDoc")
			}
			return nil
		},
		"sweep " + grid + " --out sweep/": func(r result) error {
			err := firstErr(wants(r, "16 points × 2 seeds = 32 runs", "points with overlap: 8 of 16", "wrote sweep/sweep.json"), files(in("sweep", sweepOut)...))
			firstSweep, _ = os.ReadFile("sweep/sweep.json")
			return err
		},
		"sweep my-scenario.yaml --lease 10s,15s --renew 5s --latency 1ms,100ms --pause 0s,20s --seeds 2 --out faults/ -j 2": func(r result) error {
			csv, err := os.ReadFile("faults/sweep.csv")
			if err == nil && (!bytes.Contains(csv, []byte("100ms")) || bytes.Count(csv, []byte("\n")) != 9) {
				err = fmt.Errorf("faults/sweep.csv: want a header and 8 points, among them latency 100ms:\n%s", csv)
			}
			return firstErr(err, wants(r, "8 points × 2 seeds = 16 runs", "wrote faults/sweep.csv"), files(in("faults", sweepOut)...))
		},
		"sweep " + grid + " --out sweep/ --resume": func(r result) error {
			now, err := os.ReadFile("sweep/sweep.json")
			if err != nil || !bytes.Equal(now, firstSweep) || len(firstSweep) == 0 {
				return fmt.Errorf("sweep.json after --resume differs from the uninterrupted run's (%v)", err)
			}
			return wants(r, "points with overlap: 8 of 16")
		},
		"sweep " + grid + " --out shards/ --shard-count 3 --shard-index 0": func(r result) error { return files("shards/shard-0-of-3.json") },
		"sweep " + grid + " --out shards/ --shard-count 3 --shard-index 1": func(r result) error { return files("shards/shard-1-of-3.json") },
		"sweep " + grid + " --out shards/ --shard-count 3 --shard-index 2": func(r result) error { return files("shards/shard-2-of-3.json") },
		"merge shards/": func(r result) error {
			// The same bytes an unsharded run writes.
			return firstErr(wants(r, "merged 3 shards", "16 points"), sameFile("shards/sweep.json", "sweep/sweep.json"), sameFile("shards/sweep.csv", "sweep/sweep.csv"))
		},
		"compare --scenario release-on-cancel --variant seed --variant v0.37 --seeds 10": func(r result) error {
			return wants(r, "A: release-on-cancel (variant seed)", "B: release-on-cancel (variant v0.37)", "10 paired runs", "recovery.maxSeconds", "no significant difference above the practical thresholds")
		},
		"compare old.yaml new.yaml --seeds 30 --report compare/": func(r result) error {
			// new.yaml's shorter lease fails over faster.
			return firstErr(wants(r, "A: old.yaml", "B: new.yaml", "30 paired runs", "B is better: recovery.maxSeconds"), files("compare/failover-cdf.png", "compare/failover-cdf.svg"))
		},
		"compare leader-crash skew-beyond-bound --seeds 10 --json": func(r result) error {
			var c struct {
				A, B  string
				Seeds []uint64
			}
			if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
				return err
			}
			if c.A != "leader-crash" || c.B != "skew-beyond-bound" || len(c.Seeds) != 10 {
				return fmt.Errorf("comparison %+v", c)
			}
			// skew-beyond-bound overlaps in every run: significantly worse.
			return wants(r, `"metric": "overlap.occurred"`, `"verdict": "worse"`)
		},
		"gate suite/ --baseline gate-baseline.yaml --update-baseline --seeds 20": func(r result) error {
			return firstErr(wants(r, "updated with 2 scenarios"), files("gate-baseline.yaml"))
		},
		"gate suite/ --baseline gate-baseline.yaml --junit gate.xml": func(r result) error {
			data, err := os.ReadFile("gate.xml")
			var doc struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if err := firstErr(err, xml.Unmarshal(data, &doc)); err != nil {
				return err
			}
			if doc.Tests != 2 || doc.Failures != 0 {
				return fmt.Errorf("gate.xml: %d tests, %d failures", doc.Tests, doc.Failures)
			}
			return wants(r, "ok    healthy", "ok    leader-crash", "gate: passed (2 scenarios)")
		},
		"gate --library --baseline library-baseline.yaml --update-baseline --seeds 5": func(r result) error {
			return firstErr(wants(r, fmt.Sprintf("updated with %d scenarios", len(scenarios.Library()))), files("library-baseline.yaml"))
		},
		"replay counterexample.yaml --trace replay.jsonl": func(r result) error {
			return firstErr(wants(r, "replayed skew-beyond-bound with seed 3", "exceeds maxOverlap 0s"), traceFile(r, "replay.jsonl"))
		},
		"replay report/summary.json": func(r result) error {
			return wants(r, "scenario gc-pause-leader", "reproduced: trace hash")
		},
		"replay --scenario skew-beyond-bound --seed 42": func(r result) error {
			return wants(r, "scenario skew-beyond-bound  seed 42", "replayed skew-beyond-bound with seed 42")
		},
		"explain --scenario skew-beyond-bound --window 2s": func(r result) error {
			return wants(r, "overlap from 127.047s to 130.310s: c last saw a's lease change at 119.32 s", "a (a_", "ended by renew-failed", "local")
		},
		"explain counterexample.yaml": func(r result) error {
			return wants(r, "b last saw a's lease change at 118.40 s; at rate 2 its 15.00 s lease expired after 7.50 s true", "4.29 s of overlap.", "b (b_")
		},
		"search --scenario skew-beyond-bound --budget 300 --out worst.yaml": func(r result) error {
			if m := regexp.MustCompile(`reproduces trace ([0-9a-f]+)`).FindStringSubmatch(r.stdout); m != nil {
				worstTrace = m[1]
			}
			return firstErr(wants(r, "worst total: 4.69", "formula (elector-spec §9)", "= 4.7s (leader a)", "counterexample: worst.yaml", "of overlap."), files("worst.yaml"))
		},
		"run worst.yaml": func(r result) error {
			if worstTrace == "" {
				return fmt.Errorf("the search example printed no trace hash")
			}
			return wants(r, "trace "+worstTrace, "renew-failed") // the search's run, reproduced
		},
		"search --scenario healthy --budget 50": func(r result) error {
			return wants(r, "no overlap found", "covered: 50 runs")
		},
		"tune --max-clock-ratio 1.2 --latency 5ms --latency-max 300ms --lease 6s,10s,15s --renew 3s,5s,10s --retry 2s --search-seeds 2 --seeds 20 --out tune/": func(r result) error {
			return firstErr(tuneAgrees(r), wants(r, "verified on 20 fresh seeds", "overlap: 0 of 20 runs", "in 20 of 20 runs"), files("tune/tune.json", "tune/tune-frontier.svg"))
		},
		"tune --scenario leader-partition-drop-responses --lease 8s,15s --renew 5s,10s --retry 2s --objective api --max-recovery 40s --seeds 20 --out tune-api/": func(r result) error {
			return firstErr(tuneAgrees(r), wants(r, "objective api", "overlap: 0 of 20 runs"), files("tune-api/tune.json"))
		},
		"serve --addr 0.0.0.0:8080": func(r result) error {
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
				return fmt.Errorf("want one line on stderr and nothing on stdout")
			}
			return wants(r, "0.0.0.0 is not a loopback address")
		},
	}
}

// tuneAgrees checks that tune prints a winner and the same timings as
// component-base flags and controller-runtime options.
func tuneAgrees(r result) error {
	m := regexp.MustCompile(`pick: LeaseDuration (\S+), RenewDeadline (\S+), RetryPeriod (\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		return fmt.Errorf("no winner line")
	}
	return wants(r, fmt.Sprintf("--leader-elect-lease-duration=%s --leader-elect-renew-deadline=%s --leader-elect-retry-period=%s", m[1], m[2], m[3]),
		fmt.Sprintf("LeaseDuration: ptr.To(%s * time.Second)", strings.TrimSuffix(m[1], "s")))
}

// Every check rejects an empty output, and the leader-crash check rejects
// the healthy scenario's output: checks that demand nothing would pass
// both.
func TestDocOutputChecksFailOnWrongOutput(t *testing.T) {
	t.Chdir(t.TempDir())
	for cmd, check := range docOutputChecks(t) {
		if check(result{}) == nil {
			t.Errorf("%q: the check accepts an empty output", cmd)
		}
	}
	healthy := simulate(t, nil, "run", "--scenario", "healthy")
	if docOutputChecks(t)["run --scenario leader-crash"](healthy) == nil {
		t.Error("the leader-crash check accepts healthy's output")
	}
}

// worstTrace is the trace hash the search example's counterexample
// reproduces, for the check of the example that runs it.
var worstTrace string
