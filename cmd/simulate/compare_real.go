package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"

	"gonum.org/v1/gonum/stat"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/scenarios/conformance"
)

// realComparison is one metric of real processes beside lesim's
// simulation of the same scenario: two independent samples (the real
// runs share no random streams with the simulated ones), so a two-sample
// test, not a paired one.
type realComparison struct {
	Metric     string
	Rate       bool // a proportion (two-proportion z) rather than a distribution (KS)
	NReal      int
	NSim       int
	Real, Sim  float64 // the rate, or the median
	Test       conformance.TestResult
	EffectUnit string
}

// realMetrics are compared: how often two nodes led at once, and the
// distributions of recovery, time to first leader and API load.
var realMetrics = []string{"overlap.occurred", "overlap.totalSeconds", "recovery.maxSeconds", "liveness.timeToFirstLeaderSeconds", "api.requestsPerSecond"}

// runCompareReal is `simulate compare --real RESULTS`: the scenario the
// real runs went through, simulated on --seeds seeds, and each metric's
// two samples tested.
func runCompareReal(ctx context.Context, e env, o *compareOpts, args []string) error {
	if len(args) > 0 || len(o.variants) > 0 || o.scenario != "" {
		return badInput("compare --real: the scenario comes from the results file; expected no other scenario or --variant")
	}
	if err := checkSeeds(o.seeds, 2); err != nil {
		return err
	}
	if err := checkJobs(o.jobs); err != nil {
		return err
	}
	res, err := readExecResults(o.real)
	if err != nil {
		return err
	}
	sc, err := scenarios.Parse(o.real+": scenarioYAML", []byte(res.YAML))
	if err != nil {
		return err
	}
	base := sc.Seed()
	if s := o.seedFlag.get(); s != nil {
		base = *s
	}
	runs, err := batch.Run(ctx, o.jobs, []*scenarios.Scenario{sc}, batch.Seeds(base, "compare-real", o.seeds))
	if err != nil {
		return err
	}
	real := make([]map[string]float64, len(res.Runs))
	for i, r := range res.Runs {
		real[i] = r.Metrics
	}
	cs := compareReal(real, metricsOf(runs[0]))
	fmt.Fprintf(e.stdout, "real: %s (%d runs of %s, intervals from %s)\nsimulated: %d seeds of the same scenario\n\n", o.real, len(real), res.Scenario, res.Intervals, o.seeds)
	printRealComparison(e.stdout, cs)
	return nil
}

// compareReal tests each metric's real sample against the simulated one.
func compareReal(real, sim []map[string]float64) []realComparison {
	var out []realComparison
	for _, m := range realMetrics {
		x, y := column(real, m), column(sim, m)
		info, _ := check.MetricInfoOf(m)
		c := realComparison{Metric: m, Rate: info.Rate, NReal: len(x), NSim: len(y), EffectUnit: info.Unit}
		if c.Rate {
			k1, k2 := ones(x), ones(y)
			c.Real, c.Sim = float64(k1)/float64(len(x)), float64(k2)/float64(len(y))
			c.Test, c.EffectUnit = conformance.TwoProportion(k1, len(x), k2, len(y)), "pp"
		} else {
			c.Real, c.Sim = median(x), median(y)
			c.Test = conformance.KS(x, y)
		}
		out = append(out, c)
	}
	return out
}

func column(ms []map[string]float64, m string) []float64 {
	out := make([]float64, 0, len(ms))
	for _, r := range ms {
		out = append(out, r[m])
	}
	return out
}

func ones(xs []float64) int {
	n := 0
	for _, x := range xs {
		if x > 0 {
			n++
		}
	}
	return n
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(0.5, stat.Empirical, s, nil)
}

// printRealComparison writes the table: per metric the test, both sample
// sizes, both values, the statistic, the p-value and the effect size.
func printRealComparison(w io.Writer, cs []realComparison) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\treal\tsimulated\ttest\tn real\tn sim\tstatistic\tp\teffect size\t")
	for _, c := range cs {
		what := "median "
		if c.Rate {
			what = "rate "
		}
		fmt.Fprintf(tw, "%s\t%s%.4g\t%s%.4g\t%s\t%d\t%d\t%.3g\t%.3g\t%.3g %s\t\n", c.Metric, what, c.Real, what, c.Sim, c.Test.Test, c.NReal, c.NSim, c.Test.Statistic, c.Test.P, c.Test.Effect, c.EffectUnit)
	}
	tw.Flush()
	fmt.Fprintln(w, "\np: two-sided, no correction for the several metrics; the real runs carry wall-clock noise (scheduling, signals, HTTP) that the simulation does not.")
	fmt.Fprintln(w, "effect size: |difference of rates| in percentage points (two-proportion z), the largest gap between matching deciles (KS).")
}
