package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
)

// Baseline is the gate's record of accepted metrics, with the tolerances a
// change may use before it counts as a regression. It is YAML, written by
// --update-baseline and meant to be reviewed and committed.
type Baseline struct {
	APIVersion string                   `json:"apiVersion"`
	Kind       string                   `json:"kind"`
	Tolerances Tolerances               `json:"tolerances"`
	Scenarios  map[string]BaselineEntry `json:"scenarios"`
}

const baselineKind = "GateBaseline"

// Tolerances say how much worse (higher) a metric may get: a current
// value passes when it is at most baseline + max(absolute, relative ×
// |baseline|). Metrics lists per-metric tolerances; the rest use Default.
type Tolerances struct {
	Default Tolerance            `json:"default"`
	Metrics map[string]Tolerance `json:"metrics,omitempty"`
}

// Tolerance is an allowed increase.
type Tolerance struct {
	Absolute float64 `json:"absolute"`
	Relative float64 `json:"relative"`
}

// BaselineEntry is a scenario's accepted run.
type BaselineEntry struct {
	Seed      uint64             `json:"seed"`
	TraceHash string             `json:"traceHash"`
	Metrics   map[string]float64 `json:"metrics"`
}

// defaultTolerances are those of a new baseline. Runs are deterministic,
// so any difference is a real change of behaviour; the tolerances say
// which changes are worth failing a build over: any new overlap, stale
// leadership or unsafe write; failover and leaderless time 10% or 1 s
// longer; 5% more API traffic.
func defaultTolerances() Tolerances {
	return Tolerances{
		Default: Tolerance{},
		Metrics: map[string]Tolerance{
			"overlap.totalSeconds":    {Absolute: 0.001},
			"overlap.maxSeconds":      {Absolute: 0.001},
			"leaderless.totalSeconds": {Absolute: 1, Relative: 0.1},
			"leaderless.maxSeconds":   {Absolute: 1, Relative: 0.1},
			"failover.maxSeconds":     {Absolute: 1, Relative: 0.1},
			"failover.meanSeconds":    {Absolute: 1, Relative: 0.1},
			"staleLeaderSeconds":      {Absolute: 0.001},
			"api.requestsPerSecond":   {Relative: 0.05},
		},
	}
}

func (t Tolerances) of(metric string) Tolerance {
	if m, ok := t.Metrics[metric]; ok {
		return m
	}
	return t.Default
}

// allowed is the largest passing value.
func (t Tolerance) allowed(base float64) float64 {
	return base + max(t.Absolute, t.Relative*math.Abs(base))
}

type gateOpts struct {
	baseline string
	junit    string
	update   bool
	library  bool
	jobs     int
}

func newGateCmd(e env) *cobra.Command {
	o := &gateOpts{}
	cmd := &cobra.Command{
		Use:   "gate --baseline FILE [--junit FILE] [--update-baseline] (DIR | --library)",
		Short: "Run a suite and fail on regressions against a baseline",
		Long: `Run every scenario of a suite (the *.yaml files of DIR, or the library)
and compare each metric with the baseline file under the tolerances it
declares. Every metric is "lower is better" (overlap, leaderless and
failover time, spurious transitions, stale leadership, API requests per
second, unsafe writes): a value above baseline + max(absolute, relative ×
baseline) is a regression. A violated spec.expect fails too.

Prints what regressed with a diff, writes JUnit XML with --junit, and on
GitHub Actions (GITHUB_ACTIONS=true) emits ::error annotations and appends a
Markdown table to $GITHUB_STEP_SUMMARY.

--update-baseline records the current metrics (keeping the tolerances) and
exits 0 unless an expectation failed.

Exit status: 0 no regression, 1 a regression or a failed expectation, 2 bad
input.`,
		Example: `  simulate gate --library --baseline testdata/gate-baseline.yaml --update-baseline
  simulate gate --library --baseline testdata/gate-baseline.yaml --junit gate.xml
  simulate gate scenarios/ --baseline baseline.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGate(e, o, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.baseline, "baseline", "", "baseline `FILE` (YAML) with accepted metrics and tolerances")
	fs.StringVar(&o.junit, "junit", "", "write JUnit XML to `FILE`")
	fs.BoolVar(&o.update, "update-baseline", false, "write the current metrics to the baseline file instead of failing on differences")
	fs.BoolVar(&o.library, "library", false, "run the embedded scenario library")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "scenarios run in parallel")
	return cmd
}

func readBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := yaml.UnmarshalStrict(data, &b); err != nil {
		return nil, badInput("%s: %s; expected a baseline written by simulate gate --update-baseline", path, oneLine(err.Error()))
	}
	if b.Kind != baselineKind {
		return nil, badInput("%s: kind %q; expected kind: %s", path, b.Kind, baselineKind)
	}
	for name, t := range b.Tolerances.Metrics {
		if !slices.Contains(reports.MetricNames, name) {
			return nil, badInput("%s: tolerances.metrics.%s: unknown metric; expected one of: %s", path, name, strings.Join(reports.MetricNames, ", "))
		}
		if t.Absolute < 0 || t.Relative < 0 {
			return nil, badInput("%s: tolerances.metrics.%s: negative tolerance; expected 0 or more", path, name)
		}
	}
	if b.Tolerances.Default.Absolute < 0 || b.Tolerances.Default.Relative < 0 {
		return nil, badInput("%s: tolerances.default: negative tolerance; expected 0 or more", path)
	}
	return &b, nil
}

// regression is one metric over its allowance.
type regression struct {
	metric             string
	base, cur, allowed float64
}

func runGate(e env, o *gateOpts, args []string) error {
	switch {
	case o.baseline == "":
		return badInput("gate: --baseline FILE is required")
	case len(args) == 0 && !o.library:
		return badInput("gate: give a scenario directory or --library")
	case len(args) > 0 && o.library:
		return badInput("gate: give a scenario directory or --library, not both")
	}
	base, err := readBaseline(o.baseline)
	if errors.Is(err, os.ErrNotExist) {
		if !o.update {
			return badInput("%s: no such baseline; expected a file written by simulate gate --update-baseline", o.baseline)
		}
		base = &Baseline{APIVersion: scenarios.APIVersion, Kind: baselineKind, Tolerances: defaultTolerances()}
	} else if err != nil {
		var xe *exitError
		if errors.As(err, &xe) {
			return err
		}
		return badInput("%s: %v", o.baseline, err)
	}
	dir := ""
	if len(args) > 0 {
		dir = args[0]
	}
	suite, err := loadSuite(dir, o.library)
	if err != nil {
		return err
	}
	results, err := runSuite(suite, o.jobs)
	if err != nil {
		return badInput("gate: %v", err)
	}

	if o.update {
		return updateBaseline(e, o, base, suite, results)
	}

	var cases []reports.TestCase
	var rows []summaryRow
	failedN := 0
	var out strings.Builder
	fmt.Fprintf(&out, "gate: %d scenarios against %s\n", len(suite), o.baseline)
	var diffs []string
	for i, en := range suite {
		s := &results[i].summary
		cur := s.MetricMap()
		entry, ok := base.Scenarios[en.name]
		tc := reports.TestCase{Name: en.name, Elapsed: results[i].elapsed}
		var regs []regression
		if !ok {
			tc.Failures = append(tc.Failures, "no baseline for this scenario; record one with --update-baseline")
		} else {
			for _, m := range reports.MetricNames {
				b, had := entry.Metrics[m]
				if !had {
					continue // a metric newer than the baseline
				}
				allowed := base.Tolerances.of(m).allowed(b)
				if cur[m] > allowed+1e-9 {
					regs = append(regs, regression{m, b, cur[m], allowed})
					tc.Failures = append(tc.Failures, fmt.Sprintf("%s regressed: %s -> %s (allowed up to %s)", m, num(b), num(cur[m]), num(allowed)))
				}
				rows = append(rows, summaryRow{en.name, m, b, cur[m], allowed, cur[m] > allowed+1e-9})
			}
		}
		if !s.Expect.Passed {
			for _, v := range s.Expect.Violations {
				tc.Failures = append(tc.Failures, "spec.expect: "+v)
			}
		}
		if len(tc.Failures) == 0 {
			note := ""
			if entry.TraceHash != "" && entry.TraceHash != s.TraceHash {
				note = " (behaviour changed within tolerances: trace " + entry.TraceHash + " -> " + s.TraceHash + ")"
			}
			fmt.Fprintf(&out, "ok    %s%s\n", en.name, note)
		} else {
			failedN++
			fmt.Fprintf(&out, "FAIL  %s\n", en.name)
			for _, f := range tc.Failures {
				fmt.Fprintf(&out, "        %s\n", f)
			}
		}
		if len(regs) > 0 {
			bm, cm := map[string]float64{}, map[string]float64{}
			for _, r := range regs {
				bm[r.metric], cm[r.metric] = r.base, r.cur
			}
			d := cmp.Diff(bm, cm)
			tc.Detail = "-baseline +current\n" + d
			diffs = append(diffs, fmt.Sprintf("%s (-baseline +current):\n%s", en.name, indent(d, "  ")))
		}
		if e.getenv("GITHUB_ACTIONS") == "true" {
			for _, f := range tc.Failures {
				fmt.Fprintf(&out, "::error title=lesim gate %s::%s\n", ghEscapeProp(en.name), ghEscapeData(f))
			}
		}
		cases = append(cases, tc)
	}
	for name := range base.Scenarios {
		if !slices.ContainsFunc(suite, func(s suiteEntry) bool { return s.name == name }) {
			fmt.Fprintf(e.stderr, "gate: baseline has %s, which the suite does not run\n", name)
		}
	}
	if len(diffs) > 0 {
		out.WriteString("\nregressed metrics:\n")
		for _, d := range diffs {
			out.WriteString(d)
		}
	}
	if failedN == 0 {
		fmt.Fprintf(&out, "gate: passed (%d scenarios)\n", len(suite))
	} else {
		fmt.Fprintf(&out, "gate: FAILED: %d of %d scenarios\n", failedN, len(suite))
	}
	io.WriteString(e.stdout, out.String())

	if o.junit != "" {
		err := reports.WriteFileFunc(o.junit, func(w io.Writer) error { return reports.WriteJUnit(w, "lesim gate", cases) })
		if err != nil {
			return badInput("--junit %s: %v", o.junit, err)
		}
	}
	if p := e.getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendStepSummary(p, rows, failedN, len(suite)); err != nil {
			fmt.Fprintf(e.stderr, "gate: GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
	if failedN > 0 {
		return errFailed
	}
	return nil
}

func updateBaseline(e env, o *gateOpts, base *Baseline, suite []suiteEntry, results []suiteResult) error {
	if base.Scenarios == nil {
		base.Scenarios = map[string]BaselineEntry{}
	}
	expectFailed := 0
	for i, en := range suite {
		s := &results[i].summary
		base.Scenarios[en.name] = BaselineEntry{Seed: s.Seed, TraceHash: s.TraceHash, Metrics: s.MetricMap()}
		if !s.Expect.Passed {
			expectFailed++
			fmt.Fprintf(e.stdout, "FAIL  %s: spec.expect: %s\n", en.name, strings.Join(s.Expect.Violations, "; "))
		}
	}
	data, err := yaml.Marshal(base)
	if err != nil {
		return err
	}
	header := "# lesim gate baseline: accepted metrics per scenario and the tolerances a\n# change may use. Written by simulate gate --update-baseline; review diffs.\n"
	if err := reports.WriteFile(o.baseline, append([]byte(header), data...)); err != nil {
		return badInput("--baseline %s: %v", o.baseline, err)
	}
	fmt.Fprintf(e.stdout, "gate: baseline %s updated with %d scenarios\n", o.baseline, len(suite))
	if expectFailed > 0 {
		return errFailed
	}
	return nil
}

// summaryRow is a line of the GitHub step summary table.
type summaryRow struct {
	scenario, metric   string
	base, cur, allowed float64
	regressed          bool
}

func appendStepSummary(path string, rows []summaryRow, failedN, total int) error {
	var b strings.Builder
	if failedN == 0 {
		fmt.Fprintf(&b, "### lesim gate: passed (%d scenarios)\n\n", total)
	} else {
		fmt.Fprintf(&b, "### lesim gate: %d of %d scenarios failed\n\n", failedN, total)
	}
	// Only what changed: a table of 200 unchanged metrics hides the news.
	var shown []summaryRow
	for _, r := range rows {
		if r.regressed || r.cur != r.base {
			shown = append(shown, r)
		}
	}
	sort.SliceStable(shown, func(i, j int) bool { return shown[i].regressed && !shown[j].regressed })
	if len(shown) == 0 {
		b.WriteString("No metric changed.\n")
	} else {
		b.WriteString("| scenario | metric | baseline | current | allowed | |\n| --- | --- | ---: | ---: | ---: | --- |\n")
		for _, r := range shown {
			status := "changed"
			if r.regressed {
				status = "**regressed**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.scenario, r.metric, num(r.base), num(r.cur), num(r.allowed), status)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, b.String()+"\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func num(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), ".")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// GitHub workflow commands need %, CR, LF (and in properties : and ,)
// escaped.
func ghEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghEscapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
