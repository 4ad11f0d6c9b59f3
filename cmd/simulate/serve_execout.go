package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios/check"
)

// execOnce is one run: a fresh server and fresh processes for the
// scenario's duration, measured with the checkers of a simulated run.
func execOnce(ctx context.Context, so *serveOpts, p *servePlan, log *lineLog, run int, dir string) (*check.Result, string, error) {
	si, err := startInstance(p, so.addr, log)
	if err != nil {
		return nil, "", err
	}
	defer si.shutdown()
	r, err := newExecRun(p, &so.execFlags, si, log, run, dir)
	if err != nil {
		return nil, "", err
	}
	// finish kills every child; this covers a panic on the way there.
	defer r.set.KillAll(killWait)
	log.printf("serve: run %d: %d node(s) for %v, logs in %s", run, len(r.nodes), p.sc.Duration(), dir)
	end, err := r.runFor(ctx)
	if err != nil {
		return nil, "", failed("serve: run %d interrupted at %s: %v; every process was killed", run, reports.FormatAt(end), context.Cause(ctx))
	}
	o, source := r.observation(end)
	return check.Observed(p.sc, o), source, nil
}

func writeTextSummary(e env, res *check.Result) error {
	return reports.WriteText(e.stdout, res)
}

// oneRunLine is a run in one line, for --runs.
func oneRunLine(r *check.Result) string {
	m := r.MetricMap()
	return fmt.Sprintf("overlap %s in %d episode(s); %d failover(s), longest recovery %s; first leader after %s; %.1f requests/s; expect %s",
		reports.FormatDuration(r.Overlap.Total), len(r.Overlap.Episodes), len(r.Failovers), fmtSec(m["recovery.maxSeconds"]),
		reports.FormatDuration(r.Liveness.TimeToFirstLeader), r.API.PerSecond, passFail(r.Expect.Passed))
}

func passFail(ok bool) string {
	if ok {
		return "passed"
	}
	return "FAILED"
}

func fmtSec(s float64) string { return fmt.Sprintf("%.3fs", s) }

// execResults is the file --out DIR/results.json: every run's metrics and
// summary, with the scenario as run so that `simulate compare --real`
// simulates the same one.
type execResults struct {
	Kind      string        `json:"kind"`
	Scenario  string        `json:"scenario"`
	YAML      string        `json:"scenarioYAML"`
	Command   string        `json:"command"`
	Intervals string        `json:"intervals"`
	Runs      []execRunJSON `json:"runs"`
}

type execRunJSON struct {
	Run int `json:"run"`
	// Intervals is where the run's leading intervals came from: hook or logs.
	Intervals string `json:"intervals"`
	// Requests counts each node's API requests per verb.
	Requests map[string]map[string]int `json:"requests"`
	Metrics  map[string]float64        `json:"metrics"`
	Summary  reports.Summary           `json:"summary"`
}

const execResultsKind = "ServeExecResults"

// finishExec writes the results file and the reports, prints the
// distribution of several runs, and fails when a run violated spec.expect.
func finishExec(cmd *cobra.Command, e env, so *serveOpts, p *servePlan, args []string, results []*check.Result, sources []string) error {
	f := &so.execFlags
	yaml, err := p.sc.Marshal()
	if err != nil {
		return failed("serve: %v", err)
	}
	out := execResults{Kind: execResultsKind, Scenario: p.name, YAML: string(yaml), Command: cmdLine(cmd, args), Intervals: f.intervals}
	for i, r := range results {
		byNode := map[string]map[string]int{}
		for _, n := range r.Nodes {
			byNode[n.Name] = n.ByOp.ByVerb()
		}
		out.Runs = append(out.Runs, execRunJSON{Run: i + 1, Intervals: sources[i], Requests: byNode, Metrics: r.MetricMap(), Summary: reports.NewSummary(r)})
	}
	path := filepath.Join(f.out, "results.json")
	if err := reports.WriteFileFunc(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}); err != nil {
		return failed("--out %s: %v", f.out, err)
	}
	if f.report != "" {
		if err := writeExecReports(cmd, p, f, args, yaml, results); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "report: %s\n", f.report)
	}
	if len(results) > 1 {
		fmt.Fprint(e.stdout, newRealDistribution(metricsOf(results)).text())
	}
	fmt.Fprintf(e.stdout, "results: %s\n", path)
	for _, r := range results {
		if !r.Expect.Passed {
			return errFailed
		}
	}
	return nil
}

func metricsOf(rs []*check.Result) []map[string]float64 {
	out := make([]map[string]float64, len(rs))
	for i, r := range rs {
		out[i] = r.MetricMap()
	}
	return out
}

// writeExecReports stages the report directory and writes each run's
// report into it (into run-N with several runs); it appears whole or not
// at all.
func writeExecReports(cmd *cobra.Command, p *servePlan, f *execFlags, args []string, yaml []byte, results []*check.Result) error {
	s, err := reports.StageDir(f.report)
	if err != nil {
		return badInput("--report %s: %v", f.report, err)
	}
	defer s.Abort()
	for i, r := range results {
		dir := s.Dir
		if len(results) > 1 {
			dir = filepath.Join(s.Dir, fmt.Sprintf("run-%d", i+1))
		}
		err := reports.WriteReport(dir, r, reports.ReportOptions{ScenarioYAML: yaml, Command: cmdLine(cmd, args), ExpectationsSet: expectationsSet(p.sc)})
		if err != nil {
			return failed("--report %s: %v", f.report, err)
		}
	}
	return s.Commit()
}

// realDistribution summarises runs of real processes: how often two
// nodes led at once, with a 95% Clopper–Pearson interval, and the
// quantiles of the longest recovery per run.
type realDistribution struct {
	N, Overlaps, LivenessFailed int
	Lo, Hi                      float64 // the overlap rate's interval
	Recovery                    []float64
}

func newRealDistribution(ms []map[string]float64) realDistribution {
	d := realDistribution{N: len(ms)}
	for _, m := range ms {
		if m["overlap.occurred"] > 0 {
			d.Overlaps++
		}
		if m["liveness.failed"] > 0 {
			d.LivenessFailed++
		}
		if r := m["recovery.maxSeconds"]; r > 0 {
			d.Recovery = append(d.Recovery, r)
		}
	}
	d.Lo, d.Hi = clopperPearson(d.Overlaps, d.N, 0.05)
	slices.Sort(d.Recovery)
	return d
}

// clopperPearson is the exact (Clopper–Pearson) 1−alpha interval of a
// binomial proportion k/n, from the Beta distribution's quantiles.
func clopperPearson(k, n int, alpha float64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(alpha / 2)
	}
	hi = 1
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - alpha/2)
	}
	return lo, hi
}

// quantile is the empirical p-quantile of sorted xs (NaN when empty).
func quantile(p float64, xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return stat.Quantile(p, stat.Empirical, xs, nil)
}

func (d realDistribution) text() string {
	s := fmt.Sprintf("runs: %d; overlap in %d (rate %.2f, 95%% Clopper-Pearson interval [%.2f, %.2f]); liveness failed in %d\n",
		d.N, d.Overlaps, float64(d.Overlaps)/float64(d.N), d.Lo, d.Hi, d.LivenessFailed)
	if len(d.Recovery) == 0 {
		return s + "recovery: no failover in any run\n"
	}
	return s + fmt.Sprintf("recovery (longest per run, %d runs with a failover): p50 %s, p99 %s\n",
		len(d.Recovery), fmtSec(quantile(0.5, d.Recovery)), fmtSec(quantile(0.99, d.Recovery)))
}

// readExecResults reads a results file of serve --exec.
func readExecResults(path string) (*execResults, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput("--real %s: %v", path, errors.Unwrap(err))
	}
	var r execResults
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, badInput("--real %s: %v; expected the results.json that 'simulate serve --exec' writes", path, err)
	}
	if r.Kind != execResultsKind || len(r.Runs) == 0 {
		return nil, badInput("--real %s: kind %q with %d run(s); expected kind %s with at least one run", path, r.Kind, len(r.Runs), execResultsKind)
	}
	return &r, nil
}
