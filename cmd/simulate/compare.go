package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/sim"
)

type compareOpts struct {
	scenarioSource
	seedFlag
	variants []string
	seeds    int
	json     bool
	report   string
}

func newCompareCmd(e env) *cobra.Command {
	o := &compareOpts{}
	cmd := &cobra.Command{
		Use:   "compare A B | compare [FILE | --scenario NAME] --variant V1 --variant V2",
		Short: "Compare two scenarios or two elector variants on the same seeds",
		Long: `Run two configurations on the same seeds (common random numbers: run i of
A and run i of B share every random stream) and report the paired
differences B - A in overlap, failover, leaderless time and API load, with
a 95% confidence interval. Pairing cancels the noise the two share, so
small differences show with few seeds.

Either two scenarios (files, or library names), or one scenario and two
--variant values (seed, v0.37) that replace spec.elector.variant.`,
		Example: `  simulate compare --scenario release-on-cancel --variant seed --variant v0.37
  simulate compare old.yaml new.yaml --seeds 50`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(e, o, args)
		},
	}
	fs := cmd.Flags()
	o.scenarioSource.addFlags(fs)
	o.seedFlag.addFlags(fs, "the seed the paired runs' seeds derive from (default: A's spec.seed)")
	fs.StringArrayVar(&o.variants, "variant", nil, "an elector variant to compare (give two): "+strings.Join(variantNames(), ", "))
	fs.IntVar(&o.seeds, "seeds", 20, "paired runs")
	fs.BoolVar(&o.json, "json", false, "print the comparison as one JSON object")
	fs.StringVar(&o.report, "report", "", "write the failover CDF of both sides (PNG, SVG) to `DIR`")
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

// side is one configuration of a comparison.
type side struct {
	Name string `json:"name"`
	sc   *scenarios.Scenario
	runs []reports.Summary
}

// compareMetrics are compared, in this order.
var compareMetrics = []string{"overlap.totalSeconds", "overlap.maxSeconds", "failover.maxSeconds", "failover.meanSeconds", "leaderless.totalSeconds", "leaderless.maxSeconds", "api.requestsPerSecond", "spuriousTransitions"}

// PairedDiff is the paired difference B - A of one metric.
type PairedDiff struct {
	Metric   string  `json:"metric"`
	MeanA    float64 `json:"meanA"`
	MeanB    float64 `json:"meanB"`
	MeanDiff float64 `json:"meanDiff"`
	CILow    float64 `json:"ciLow"`
	CIHigh   float64 `json:"ciHigh"`
	// BWorse/BBetter count the pairs in which B was worse (higher) or
	// better than A.
	BWorse  int `json:"bWorse"`
	BBetter int `json:"bBetter"`
}

// Comparison is the output of compare.
type Comparison struct {
	A     string       `json:"a"`
	B     string       `json:"b"`
	Seeds []uint64     `json:"seeds"`
	Diffs []PairedDiff `json:"diffs"`
}

func runCompare(e env, o *compareOpts, args []string) error {
	if o.seeds < 2 {
		return badInput("--seeds %d: expected 2 or more paired runs (a confidence interval needs two)", o.seeds)
	}
	var a, b side
	switch {
	case len(o.variants) == 0 && len(args) == 2 && o.scenario == "":
		sa, err := loadNamedOrFile(args[0])
		if err != nil {
			return err
		}
		sb, err := loadNamedOrFile(args[1])
		if err != nil {
			return err
		}
		a, b = side{Name: args[0], sc: sa}, side{Name: args[1], sc: sb}
	case len(o.variants) == 2 && len(args) <= 1:
		sc, _, err := o.load(args)
		if err != nil {
			return err
		}
		for _, v := range o.variants {
			if !slices.Contains(variantNames(), v) {
				return badInput("--variant %q: expected one of: %s", v, strings.Join(variantNames(), ", "))
			}
		}
		name := scenarioName(args, &o.scenarioSource)
		sa, sb := sc.Clone(), sc.Clone()
		sa.Spec.Elector.Variant, sb.Spec.Elector.Variant = scenarios.Variant(o.variants[0]), scenarios.Variant(o.variants[1])
		for _, s := range []*scenarios.Scenario{sa, sb} {
			for i := range s.Spec.Nodes {
				if s.Spec.Nodes[i].Elector != nil {
					s.Spec.Nodes[i].Elector.Variant = ""
				}
			}
		}
		a = side{Name: name + " (variant " + o.variants[0] + ")", sc: sa}
		b = side{Name: name + " (variant " + o.variants[1] + ")", sc: sb}
	default:
		return badInput("compare: give two scenarios (A B), or one scenario and two --variant flags")
	}
	base := a.sc.Seed()
	if s := o.seedFlag.get(); s != nil {
		base = *s
	}
	cmpRes := Comparison{A: a.Name, B: b.Name}
	for i := range o.seeds {
		seed := sim.DeriveSeed(base, fmt.Sprintf("compare/%d", i))
		cmpRes.Seeds = append(cmpRes.Seeds, seed)
		for _, s := range []*side{&a, &b} {
			res, err := scenarios.RunWith(s.sc, scenarios.RunOptions{Seed: &seed})
			if err != nil {
				return err
			}
			s.runs = append(s.runs, reports.NewSummary(res))
		}
	}
	for _, m := range compareMetrics {
		va, vb := make([]float64, o.seeds), make([]float64, o.seeds)
		for i := range o.seeds {
			va[i], vb[i] = a.runs[i].MetricMap()[m], b.runs[i].MetricMap()[m]
		}
		cmpRes.Diffs = append(cmpRes.Diffs, pairedDiff(m, va, vb))
	}
	if o.report != "" {
		if err := os.MkdirAll(o.report, 0o755); err != nil {
			return badInput("--report %s: %v", o.report, err)
		}
		fig := reports.FailoverCDF("Failover time: "+a.Name+" vs "+b.Name, reports.Series{Name: "A: " + a.Name, Values: failovers(a.runs)}, reports.Series{Name: "B: " + b.Name, Values: failovers(b.runs)})
		if err := fig.Save(o.report); err != nil {
			return badInput("--report %s: %v", o.report, err)
		}
	}
	if o.json {
		return writeJSONIndent(e.stdout, &cmpRes)
	}
	fmt.Fprintf(e.stdout, "A: %s\nB: %s\n%d paired runs (common random numbers), differences B - A, 95%% confidence interval\n\n", a.Name, b.Name, o.seeds)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tmean A\tmean B\tB - A\t95% CI\tB worse\tB better\t")
	for _, d := range cmpRes.Diffs {
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%+.4g\t[%+.4g, %+.4g]\t%d\t%d\t\n", d.Metric, d.MeanA, d.MeanB, d.MeanDiff, d.CILow, d.CIHigh, d.BWorse, d.BBetter)
	}
	tw.Flush()
	for _, d := range cmpRes.Diffs {
		if d.CILow > 0 {
			fmt.Fprintf(e.stdout, "B is worse on %s (the interval excludes 0)\n", d.Metric)
		} else if d.CIHigh < 0 {
			fmt.Fprintf(e.stdout, "B is better on %s (the interval excludes 0)\n", d.Metric)
		}
	}
	if o.report != "" {
		fmt.Fprintf(e.stdout, "wrote %s/failover-cdf.png and .svg\n", o.report)
	}
	return nil
}

func failovers(runs []reports.Summary) []float64 {
	var out []float64
	for _, r := range runs {
		for _, f := range r.Failovers {
			out = append(out, f.DurationSeconds)
		}
	}
	return out
}

// pairedDiff is the mean of b[i]-a[i] with a Student-t 95% interval.
func pairedDiff(metric string, a, b []float64) PairedDiff {
	n := len(a)
	d := PairedDiff{Metric: metric}
	var sa, sb, sd float64
	diffs := make([]float64, n)
	for i := range n {
		sa += a[i]
		sb += b[i]
		diffs[i] = b[i] - a[i]
		sd += diffs[i]
		switch {
		case diffs[i] > 0:
			d.BWorse++
		case diffs[i] < 0:
			d.BBetter++
		}
	}
	d.MeanA, d.MeanB, d.MeanDiff = sa/float64(n), sb/float64(n), sd/float64(n)
	var ss float64
	for _, x := range diffs {
		ss += (x - d.MeanDiff) * (x - d.MeanDiff)
	}
	se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	h := tQuantile975(n-1) * se
	d.CILow, d.CIHigh = d.MeanDiff-h, d.MeanDiff+h
	return d
}

// tQuantile975 is Student's t 0.975 quantile for df degrees of freedom:
// exact table values to 30, then the Cornish-Fisher expansion around the
// normal quantile, accurate to 1e-3 there.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df < len(table) {
		return table[max(df, 1)]
	}
	z := 1.959964
	v := float64(df)
	return z + (z*z*z+z)/(4*v) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*v*v)
}
