package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/compare"
	"github.com/lesim/lesim/scenarios/gate"
)

type gateOpts struct {
	baseline string
	junit    string
	update   bool
	library  bool
	seeds    int
	jobs     int
}

func newGateCmd(e env) *cobra.Command {
	o := &gateOpts{}
	cmd := &cobra.Command{
		Use:   "gate --baseline FILE [--junit FILE] [--seeds N] [--update-baseline] (DIR | --library)",
		Short: "Run a suite on N seeds and fail on significant regressions against a baseline",
		Long: `Run every scenario of a suite (the *.yaml files of DIR, or the library) on
the baseline's seeds and compare each metric with the baseline run of the
same seed (common random numbers). A metric regresses when its paired
increase is statistically significant (paired t test, McNemar's exact
test for rates; p < 0.05) and larger than its tolerance, max(absolute,
relative × baseline mean), declared in the baseline file. Every metric is
"lower is better" (liveness failures, time to first leader, overlap,
leaderless time, recovery, handover gap, spurious transitions, stale
leadership, API requests per second, unsafe writes).

The gate also fails on: a run that violates spec.expect (which includes
liveness unless requireLeader is false: a run with no leader fails), a
suite scenario without a baseline entry, and a baseline scenario missing
from the suite.

Prints what regressed, writes JUnit XML with --junit (also on bad input:
one failing case naming the error), and on GitHub Actions
(GITHUB_ACTIONS=true) emits ::error annotations and appends a Markdown
table to $GITHUB_STEP_SUMMARY.

--update-baseline records --seeds runs per scenario (keeping the
tolerances) and exits 0 unless an expectation failed.

Exit status: 0 no regression, 1 a regression or a failed expectation, 2 bad
input.`,
		Example: `  simulate gate --library --baseline testdata/gate-baseline.yaml --update-baseline --seeds 30
  simulate gate --library --baseline testdata/gate-baseline.yaml --junit gate.xml
  simulate gate scenarios/ --baseline baseline.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runGate(e, o, args)
			if o.junit != "" && err != nil && !errors.Is(err, errFailed) {
				writeJUnitError(e, o.junit, err)
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.baseline, "baseline", "", "baseline `FILE` (YAML) with accepted metrics and tolerances")
	fs.StringVar(&o.junit, "junit", "", "write JUnit XML to `FILE`")
	fs.BoolVar(&o.update, "update-baseline", false, "write the current metrics to the baseline file instead of failing on differences")
	fs.BoolVar(&o.library, "library", false, "run the embedded scenario library")
	fs.IntVar(&o.seeds, "seeds", 0, fmt.Sprintf("seeds per scenario, 2 to %d (default: the baseline's; %d for a new one)", batch.MaxSeeds, gate.DefaultSeeds))
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), fmt.Sprintf("runs in parallel, 1 to %d", batch.MaxJobs))
	return cmd
}

// writeJUnitError records an error that stopped the gate (bad input
// included) as a failing case, so that CI shows a failure rather than "no
// tests".
func writeJUnitError(e env, path string, cause error) {
	cases := []reports.TestCase{{Name: "gate", Failures: []string{oneLine(cause.Error())}}}
	if err := reports.WriteFileFunc(path, func(w io.Writer) error { return reports.WriteJUnit(w, "lesim gate", cases) }); err != nil {
		fmt.Fprintf(e.stderr, "gate: --junit %s: %v\n", path, err)
	}
}

// readBaseline reads the baseline, or starts one when updating.
func (o *gateOpts) readBaseline() (*gate.Baseline, error) {
	base, err := gate.Read(o.baseline)
	var ie *gate.InputError
	switch {
	case errors.Is(err, os.ErrNotExist) && o.update:
		return gate.New(), nil
	case errors.Is(err, os.ErrNotExist):
		return nil, badInput("%s: no such baseline; expected a file written by simulate gate --update-baseline", o.baseline)
	case errors.As(err, &ie):
		return nil, badInput("%s", ie.Msg)
	case err != nil:
		return nil, badInput("%s: %v", o.baseline, err)
	}
	return base, nil
}

func (o *gateOpts) validate(args []string) error {
	switch {
	case o.baseline == "":
		return badInput("gate: --baseline FILE is required")
	case len(args) == 0 && !o.library:
		return badInput("gate: give a scenario directory or --library")
	case len(args) > 0 && o.library:
		return badInput("gate: give a scenario directory or --library, not both")
	case o.seeds != 0:
		if err := checkSeeds(o.seeds, 2); err != nil {
			return err
		}
	}
	return checkJobs(o.jobs)
}

func runGate(e env, o *gateOpts, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	base, err := o.readBaseline()
	if err != nil {
		return err
	}
	dir := ""
	if len(args) > 0 {
		dir = args[0]
	}
	suite, err := loadSuite(dir, o.library)
	if err != nil {
		return err
	}
	if !o.update && o.seeds != 0 {
		for name, en := range base.Scenarios {
			if len(en.Seeds) != o.seeds {
				return badInput("--seeds %d: the baseline recorded %d seeds for %s; expected --seeds %d, or --update-baseline to record %d", o.seeds, len(en.Seeds), name, len(en.Seeds), o.seeds)
			}
		}
	}
	opts := gate.Options{Seeds: o.seeds, Jobs: o.jobs}
	if o.update {
		return updateBaseline(e, o, base, suite, opts)
	}
	cases, err := gate.Evaluate(context.Background(), suite, base, opts)
	if err != nil {
		return err
	}
	return reportGate(e, o, cases)
}

// reportGate prints the verdicts and writes JUnit and the step summary.
func reportGate(e env, o *gateOpts, cases []gate.Case) error {
	var out strings.Builder
	var junit []reports.TestCase
	var rows []summaryRow
	failedN := 0
	fmt.Fprintf(&out, "gate: %d scenarios against %s\n", len(cases), o.baseline)
	for _, c := range cases {
		seeds := 0
		if c.Comparison != nil {
			seeds = len(c.Comparison.Seeds)
			rows = append(rows, diffRows(c)...)
		}
		if c.Passed() {
			note := ""
			if c.TraceChanged > 0 {
				note = fmt.Sprintf(" (behaviour changed within tolerances: %d of %d traces differ)", c.TraceChanged, seeds)
			}
			fmt.Fprintf(&out, "ok    %s (%d seeds)%s\n", c.Name, seeds, note)
		} else {
			failedN++
			fmt.Fprintf(&out, "FAIL  %s\n", c.Name)
			for _, f := range c.Failures {
				fmt.Fprintf(&out, "        %s\n", f)
			}
		}
		if e.getenv("GITHUB_ACTIONS") == "true" {
			for _, f := range c.Failures {
				fmt.Fprintf(&out, "::error title=lesim gate %s::%s\n", ghEscapeProp(c.Name), ghEscapeData(f))
			}
		}
		junit = append(junit, reports.TestCase{Name: c.Name, Failures: c.Failures, Elapsed: c.Elapsed})
	}
	if failedN == 0 {
		fmt.Fprintf(&out, "gate: passed (%d scenarios)\n", len(cases))
	} else {
		fmt.Fprintf(&out, "gate: FAILED: %d of %d scenarios\n", failedN, len(cases))
	}
	io.WriteString(e.stdout, out.String())
	if o.junit != "" {
		err := reports.WriteFileFunc(o.junit, func(w io.Writer) error { return reports.WriteJUnit(w, "lesim gate", junit) })
		if err != nil {
			return fmt.Errorf("--junit %s: %w", o.junit, err)
		}
	}
	if p := e.getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendStepSummary(p, rows, failedN, len(cases)); err != nil {
			fmt.Fprintf(e.stderr, "gate: GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
	if failedN > 0 {
		return errFailed
	}
	return nil
}

func diffRows(c gate.Case) []summaryRow {
	var rows []summaryRow
	for _, d := range c.Comparison.Diffs {
		rows = append(rows, summaryRow{c.Name, d.Metric, d.MeanA, d.MeanB, d.Threshold, d.Judged && d.Verdict == compare.Worse})
	}
	return rows
}

func updateBaseline(e env, o *gateOpts, base *gate.Baseline, suite []gate.Scenario, opts gate.Options) error {
	nb, cases, err := gate.Record(context.Background(), suite, base, opts)
	if err != nil {
		return err
	}
	expectFailed := 0
	for _, c := range cases {
		if !c.Passed() {
			expectFailed++
			fmt.Fprintf(e.stdout, "FAIL  %s: %s\n", c.Name, strings.Join(c.Failures, "; "))
		}
	}
	data, err := nb.Marshal()
	if err != nil {
		return err
	}
	if err := reports.WriteFile(o.baseline, data); err != nil {
		return fmt.Errorf("--baseline %s: %w", o.baseline, err)
	}
	fmt.Fprintf(e.stdout, "gate: baseline %s updated with %d scenarios\n", o.baseline, len(suite))
	if expectFailed > 0 {
		return errFailed
	}
	return nil
}

// summaryRow is a line of the GitHub step summary table.
type summaryRow struct {
	scenario, metric     string
	base, cur, practical float64
	regressed            bool
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
		b.WriteString("| scenario | metric | baseline mean | current mean | threshold | |\n| --- | --- | ---: | ---: | ---: | --- |\n")
		for _, r := range shown {
			status := "changed"
			if r.regressed {
				status = "**regressed**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.scenario, r.metric, num(r.base), num(r.cur), num(r.practical), status)
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

// GitHub workflow commands need %, CR, LF (and in properties : and ,)
// escaped.
func ghEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghEscapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
