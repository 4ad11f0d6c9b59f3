package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/compare"
)

type compareOpts struct {
	scenarioSource
	seedFlag
	variants   []string
	seeds      int
	jobs       int
	thresholds []string
	json       bool
	report     string
	real       string
}

func newCompareCmd(e env) *cobra.Command {
	o := &compareOpts{}
	cmd := &cobra.Command{
		Use:   "compare A B | compare [FILE | --scenario NAME] --variant V1 --variant V2",
		Short: "Compare two scenarios or two elector variants on the same seeds, with statistics",
		Long: `Run two configurations on the same seeds (common random numbers: run i of
A and run i of B share every random stream) and report, per metric, the
paired difference B - A with a 95% confidence interval: the paired t test
for continuous metrics, McNemar's exact test for rates (overlap occurred,
liveness failed). A metric is worse or better only when the difference is
both significant (p < 0.05) and larger than its practical threshold,
max(absolute, relative × mean of A); --threshold overrides the defaults
(see docs/simulate.md).

A side with a run that fails liveness (nobody ever led, or leadership was
not restored) fails, whatever its other metrics: no failover is not a fast
failover.

Either two scenarios (files, or library names), or one scenario and two
--variant values (seed, v0.37) that replace spec.elector.variant.

With --real RESULTS (the results.json of 'simulate serve --exec --runs
N'), the real processes' runs are put beside --seeds simulated runs of
the same scenario instead: two independent samples, tested per metric
with the two-proportion z test (overlap occurred) or the two-sample
Kolmogorov-Smirnov test (overlap, recovery, time to first leader, API
load), each with both sample sizes and its effect size; it exits 0.

Exit status: 0 when B is not worse, 1 when B is worse or fails liveness,
2 on bad input.`,
		Example: `  simulate compare --scenario release-on-cancel --variant seed --variant v0.37
  simulate compare old.yaml new.yaml --seeds 50 --threshold recovery.maxSeconds=1 --threshold api.requestsPerSecond=10%
  simulate compare --real lesim-exec/results.json --seeds 200`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.real != "" {
				return runCompareReal(cmd.Context(), e, o, args)
			}
			return runCompare(e, o, args)
		},
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	o.seedFlag.addFlags(fs, "the seed the paired runs' seeds derive from (default: A's spec.seed)")
	fs.StringArrayVar(&o.variants, "variant", nil, "an elector variant to compare (give two): "+strings.Join(variantNames(), ", "))
	fs.IntVar(&o.seeds, "seeds", 30, fmt.Sprintf("paired runs, 2 to %d", batch.MaxSeeds))
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.GOMAXPROCS(0), fmt.Sprintf("runs in parallel, 1 to %d", batch.MaxJobs))
	fs.StringArrayVar(&o.thresholds, "threshold", nil, "a metric's practical threshold: `METRIC=ABS` or METRIC=REL% (repeatable)")
	fs.BoolVar(&o.json, "json", false, "print the comparison as one JSON object")
	fs.StringVar(&o.report, "report", "", "write the recovery-time CDF of both sides (PNG, SVG) to `DIR`")
	fs.StringVar(&o.real, "real", "", "put the runs of real processes in `RESULTS` (the results.json of 'simulate serve --exec --runs N') beside --seeds simulated runs of the same scenario, with two-sample tests")
	return cmd
}

func variantNames() []string {
	var out []string
	for _, v := range scenarios.Variants() {
		out = append(out, string(v))
	}
	return out
}

// loadNamedOrFile loads a scenario file, or a library scenario when no
// such file exists and the name is in the library.
func loadNamedOrFile(arg string) (*scenarios.Scenario, error) {
	if _, err := os.Stat(arg); err != nil {
		if slices.ContainsFunc(scenarios.Library(), func(e scenarios.Entry) bool { return e.Name == arg }) {
			return scenarios.Named(arg)
		}
	}
	return scenarios.Load(arg)
}

// parseThresholds reads --threshold METRIC=ABS or METRIC=REL%.
func parseThresholds(flag string, specs []string) (map[string]compare.Threshold, error) {
	out := compare.DefaultThresholds()
	for _, s := range specs {
		name, val, ok := strings.Cut(s, "=")
		if _, known := check.MetricInfoOf(name); !ok || !known {
			return nil, badInput("%s %q: expected METRIC=ABS or METRIC=REL%% with METRIC one of: %s", flag, s, strings.Join(check.MetricNames(), ", "))
		}
		rel := strings.HasSuffix(val, "%")
		v, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		if err != nil || v < 0 || v != v {
			return nil, badInput("%s %q: expected a number of 0 or more, optionally with %%", flag, s)
		}
		if rel {
			out[name] = compare.Threshold{Relative: v / 100}
		} else {
			out[name] = compare.Threshold{Absolute: v}
		}
	}
	return out, nil
}

// compareSides loads the two sides: two scenarios, or one with two variants.
func compareSides(o *compareOpts, args []string) (nameA, nameB string, a, b *scenarios.Scenario, err error) {
	switch {
	case len(o.variants) == 0 && len(args) == 2 && o.scenario == "":
		if a, err = loadNamedOrFile(args[0]); err != nil {
			return
		}
		b, err = loadNamedOrFile(args[1])
		return args[0], args[1], a, b, err
	case len(o.variants) == 2 && len(args) <= 1:
		var sc *scenarios.Scenario
		if sc, _, err = o.load(args); err != nil {
			return
		}
		for _, v := range o.variants {
			if !slices.Contains(variantNames(), v) {
				err = badInput("--variant %q: expected one of: %s", v, strings.Join(variantNames(), ", "))
				return
			}
		}
		name := scenarioName(args, &o.scenarioSource)
		a, b = withVariant(sc, o.variants[0]), withVariant(sc, o.variants[1])
		return name + " (variant " + o.variants[0] + ")", name + " (variant " + o.variants[1] + ")", a, b, nil
	}
	err = badInput("compare: give two scenarios (A B), or one scenario and two --variant flags")
	return
}

func withVariant(sc *scenarios.Scenario, v string) *scenarios.Scenario {
	s := sc.Clone()
	s.Spec.Elector.Variant = scenarios.Variant(v)
	for i := range s.Spec.Nodes {
		if s.Spec.Nodes[i].Elector != nil {
			s.Spec.Nodes[i].Elector.Variant = ""
		}
	}
	return s
}

func runCompare(e env, o *compareOpts, args []string) error {
	if err := checkSeeds(o.seeds, 2); err != nil {
		return err
	}
	if err := checkJobs(o.jobs); err != nil {
		return err
	}
	th, err := parseThresholds("--threshold", o.thresholds)
	if err != nil {
		return err
	}
	nameA, nameB, a, b, err := compareSides(o, args)
	if err != nil {
		return err
	}
	base := a.Seed()
	if s := o.seedFlag.get(); s != nil {
		base = *s
	}
	c, runs, err := compare.Run(context.Background(), nameA, nameB, a, b, batch.Seeds(base, "compare", o.seeds), o.jobs, th)
	if err != nil {
		return err
	}
	if o.report != "" {
		if err := os.MkdirAll(o.report, 0o755); err != nil {
			return fmt.Errorf("--report %s: %w", o.report, err)
		}
		fig := reports.FailoverCDF("Recovery time: "+nameA+" vs "+nameB, reports.Series{Name: "A: " + nameA, Values: recoveries(runs[0])}, reports.Series{Name: "B: " + nameB, Values: recoveries(runs[1])})
		if err := fig.Save(o.report); err != nil {
			return fmt.Errorf("--report %s: %w", o.report, err)
		}
	}
	if o.json {
		if err := writeJSONIndent(e.stdout, c); err != nil {
			return err
		}
	} else {
		printComparison(e.stdout, c)
		if o.report != "" {
			fmt.Fprintf(e.stdout, "wrote %s/failover-cdf.png and .svg\n", o.report)
		}
	}
	if c.Verdict == compare.Worse || c.Verdict == compare.Fails {
		return errFailed
	}
	return nil
}

func recoveries(runs []*check.Result) []float64 {
	var out []float64
	for _, r := range runs {
		for _, f := range r.Failovers {
			out = append(out, f.Recovery.Seconds())
		}
	}
	return out
}

// printComparison writes the table of paired differences and the verdict.
func printComparison(w io.Writer, c *compare.Comparison) {
	fmt.Fprintf(w, "A: %s\nB: %s\n%d paired runs (common random numbers), differences B - A, %.0f%% confidence intervals\n", c.A, c.B, len(c.Seeds), 100*compare.Confidence)
	fmt.Fprintf(w, "liveness failures (no leader, or leadership not restored): A %d, B %d\n\n", c.LivenessFailuresA, c.LivenessFailuresB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tmean A\tmean B\tB - A\t95% CI\tp\ttest\tthreshold\tverdict\t")
	for _, d := range c.Diffs {
		v := string(d.Verdict)
		if !d.Judged {
			v += " (diagnostic)"
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%+.4g\t[%+.4g, %+.4g]\t%.3g\t%s\t%.4g\t%s\t\n", d.Metric, d.MeanA, d.MeanB, d.Diff, d.CILow, d.CIHigh, d.P, d.Test, d.Threshold, v)
	}
	tw.Flush()
	switch c.Verdict {
	case compare.Fails:
		fmt.Fprintf(w, "\nB FAILS: %s\n", strings.Join(c.Reasons, "; "))
	case compare.Worse:
		fmt.Fprintf(w, "\nB is worse on %s (significant and above the practical threshold)\n", strings.Join(c.Reasons, ", "))
	case compare.Better:
		fmt.Fprintf(w, "\nB is better: %s (significant and above the practical threshold; none worse)\n", strings.Join(c.Reasons, ", "))
	default:
		fmt.Fprintln(w, "\nno significant difference above the practical thresholds")
	}
}
