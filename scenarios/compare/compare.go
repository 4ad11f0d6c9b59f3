// Package compare judges two configurations run on the same seeds (common
// random numbers): per metric, the paired difference B − A with a
// confidence interval, and a verdict that calls a change worse or better
// only when it is both statistically significant and larger than a
// practical threshold.
//
// Continuous metrics take the paired t test (gonum's Student's t), rate
// metrics (0 or 1 per run) McNemar's exact test on the discordant pairs
// (gonum's binomial) with a Wald interval for the paired difference of
// proportions. A run that fails liveness (nobody led, or leadership was
// not restored) is a failure of its side whatever the statistics say.
package compare

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/check"
)

// Threshold is the smallest difference that matters in practice:
// max(Absolute, Relative × |mean of A|).
type Threshold struct {
	Absolute float64 `json:"absolute"`
	Relative float64 `json:"relative"`
}

// Of is the threshold for a baseline mean.
func (t Threshold) Of(meanA float64) float64 {
	return max(t.Absolute, t.Relative*math.Abs(meanA))
}

// DefaultThresholds are the practical thresholds by metric: any
// significant increase in liveness failures, overlap, stale leadership or
// unsafe writes; half a second or 5% for recovery and leaderless times;
// 5% (and at least 0.01/s) of API traffic.
func DefaultThresholds() map[string]Threshold {
	timing := Threshold{Absolute: 0.5, Relative: 0.05}
	return map[string]Threshold{
		"liveness.failed":                   {},
		"liveness.timeToFirstLeaderSeconds": timing,
		"overlap.occurred":                  {},
		"overlap.totalSeconds":              {Absolute: 0.001},
		"overlap.maxSeconds":                {Absolute: 0.001},
		"overlap.episodes":                  {},
		"leaderless.totalSeconds":           timing,
		"leaderless.maxSeconds":             timing,
		"recovery.maxSeconds":               timing,
		"recovery.meanSeconds":              timing,
		"handoverGap.maxSeconds":            timing,
		"spuriousTransitions":               {Absolute: 0.5},
		"staleLeaderSeconds":                {Absolute: 0.001},
		"api.requestsPerSecond":             {Absolute: 0.01, Relative: 0.05},
		"workload.unsafeWrites":             {},
	}
}

// Verdict is a metric's (or a comparison's) conclusion about B.
type Verdict string

const (
	Worse  Verdict = "worse"
	Better Verdict = "better"
	// Same: no difference that is both significant and practical.
	Same Verdict = "same"
	// Fails: B has runs that fail liveness.
	Fails Verdict = "fails"
)

// Diff is the paired difference B − A of one metric over N pairs.
type Diff struct {
	Metric string  `json:"metric"`
	Test   string  `json:"test"`
	N      int     `json:"n"`
	MeanA  float64 `json:"meanA"`
	MeanB  float64 `json:"meanB"`
	// Diff is the mean paired difference B − A (for a rate: the
	// difference of proportions), with its confidence interval.
	Diff   float64 `json:"diff"`
	CILow  float64 `json:"ciLow"`
	CIHigh float64 `json:"ciHigh"`
	P      float64 `json:"p"`
	// Threshold is the practical threshold the difference must exceed.
	Threshold   float64 `json:"threshold"`
	Significant bool    `json:"significant"`
	Verdict     Verdict `json:"verdict"`
	// BWorse/BBetter count the pairs in which B was higher or lower.
	BWorse  int `json:"bWorse"`
	BBetter int `json:"bBetter"`
	// Judged is false for a diagnostic metric (check.MetricInfo):
	// its verdict decides nothing.
	Judged bool `json:"judged"`
}

// Confidence is the level of every interval and test.
const Confidence = 0.95

// Paired compares a[i] with b[i] (the same seed) for one metric. rate
// says the values are 0 or 1 per run. It needs two pairs or more.
func Paired(metric string, a, b []float64, rate bool, th Threshold) Diff {
	n := len(a)
	d := Diff{Metric: metric, N: n, MeanA: stat.Mean(a, nil), MeanB: stat.Mean(b, nil)}
	diffs := make([]float64, n)
	for i := range n {
		diffs[i] = b[i] - a[i]
		switch {
		case diffs[i] > 0:
			d.BWorse++
		case diffs[i] < 0:
			d.BBetter++
		}
	}
	if rate {
		d.Test = "McNemar exact"
		d.Diff, d.CILow, d.CIHigh, d.P = mcNemar(d.BWorse, d.BBetter, n)
	} else {
		d.Test = "paired t"
		d.Diff, d.CILow, d.CIHigh, d.P = pairedT(diffs)
	}
	d.Threshold = th.Of(d.MeanA)
	d.Significant = d.P < 1-Confidence
	d.Verdict = Same
	if d.Significant && math.Abs(d.Diff) > d.Threshold {
		d.Verdict = Better
		if d.Diff > 0 {
			d.Verdict = Worse
		}
	}
	return d
}

// pairedT is the mean difference with its two-sided interval and p-value
// (Student's t, n−1 degrees of freedom). Identical differences have no
// spread: the interval is the point, significant unless it is 0.
func pairedT(diffs []float64) (mean, lo, hi, p float64) {
	n := float64(len(diffs))
	mean, sd := stat.MeanStdDev(diffs, nil)
	se := sd / math.Sqrt(n)
	if se == 0 || math.IsNaN(se) {
		if mean == 0 {
			return 0, 0, 0, 1
		}
		return mean, mean, mean, 0
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}
	h := t.Quantile(1-(1-Confidence)/2) * se
	return mean, mean - h, mean + h, 2 * t.Survival(math.Abs(mean/se))
}

// mcNemar compares paired proportions: worse pairs went 0 → 1 from A to
// B, better ones 1 → 0. The p-value is the exact two-sided binomial test
// of the discordant pairs; the interval is Wald's for paired proportions.
func mcNemar(worse, better, n int) (diff, lo, hi, p float64) {
	m := worse + better
	if m == 0 {
		return 0, 0, 0, 1
	}
	nf := float64(n)
	diff = float64(worse-better) / nf
	p = min(1, 2*distuv.Binomial{N: float64(m), P: 0.5}.CDF(float64(min(worse, better))))
	se := math.Sqrt(float64(m)-float64((worse-better)*(worse-better))/nf) / nf
	z := distuv.UnitNormal.Quantile(1 - (1-Confidence)/2)
	return diff, diff - z*se, diff + z*se, p
}

// Comparison is the paired comparison of two sides.
type Comparison struct {
	A     string   `json:"a"`
	B     string   `json:"b"`
	Seeds []uint64 `json:"seeds"`
	// LivenessFailuresA/B count each side's runs that fail liveness.
	LivenessFailuresA int     `json:"livenessFailuresA"`
	LivenessFailuresB int     `json:"livenessFailuresB"`
	Diffs             []Diff  `json:"diffs"`
	Verdict           Verdict `json:"verdict"`
	// Reasons names the metrics behind the verdict.
	Reasons []string `json:"reasons"`
}

// Compare judges the runs b[i] against a[i] (run on the same seed) on
// every metric, with thresholds by metric name (absent: DefaultThresholds).
func Compare(nameA, nameB string, a, b []*check.Result, thresholds map[string]Threshold) (*Comparison, error) {
	if len(a) != len(b) || len(a) < 2 {
		return nil, fmt.Errorf("compare: %d and %d runs; expected the same number of paired runs, two or more", len(a), len(b))
	}
	for i := range a {
		if a[i].Seed != b[i].Seed {
			return nil, fmt.Errorf("compare: pair %d ran seeds %d and %d; expected the same seed", i, a[i].Seed, b[i].Seed)
		}
	}
	return compareRuns(nameA, nameB, a, b, thresholds), nil
}

// compareRuns is Compare without the check that pairs share their seed.
func compareRuns(nameA, nameB string, a, b []*check.Result, thresholds map[string]Threshold) *Comparison {
	seeds := make([]uint64, len(a))
	va := make([]map[string]float64, len(a))
	vb := make([]map[string]float64, len(b))
	for i := range a {
		seeds[i] = a[i].Seed
		va[i], vb[i] = a[i].MetricMap(), b[i].MetricMap()
	}
	return CompareMetrics(nameA, nameB, seeds, va, vb, thresholds)
}

// CompareMetrics judges per-run metric values (check.Result.MetricMap)
// paired by index: a[i] and b[i] ran seeds[i]. A metric missing from a
// side's maps counts as 0 there. There must be two pairs or more.
func CompareMetrics(nameA, nameB string, seeds []uint64, a, b []map[string]float64, thresholds map[string]Threshold) *Comparison {
	c := &Comparison{A: nameA, B: nameB, Seeds: seeds, Reasons: []string{}}
	defaults := DefaultThresholds()
	for i := range a {
		c.LivenessFailuresA += int(a[i]["liveness.failed"])
		c.LivenessFailuresB += int(b[i]["liveness.failed"])
	}
	for _, m := range check.MetricInfos() {
		th, ok := thresholds[m.Name]
		if !ok {
			th = defaults[m.Name]
		}
		d := Paired(m.Name, column(a, m.Name), column(b, m.Name), m.Rate, th)
		d.Judged = !m.Diagnostic
		c.Diffs = append(c.Diffs, d)
	}
	c.Verdict, c.Reasons = c.judge()
	return c
}

func column(rows []map[string]float64, name string) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = r[name]
	}
	return out
}

// judge: B fails when any of its runs fails liveness; it is better when
// A's runs fail liveness and B's do not (A's other metrics measure a
// degenerate run: no failover is not a fast failover); else it is worse
// when any metric is, better when some metric is and none is worse, and
// the same otherwise.
func (c *Comparison) judge() (Verdict, []string) {
	if c.LivenessFailuresB > 0 {
		return Fails, []string{fmt.Sprintf("%d of %d runs of B fail liveness (no leader, or leadership not restored)", c.LivenessFailuresB, len(c.Seeds))}
	}
	if c.LivenessFailuresA > 0 {
		return Better, []string{fmt.Sprintf("%d of %d runs of A fail liveness, none of B", c.LivenessFailuresA, len(c.Seeds))}
	}
	var worse, better []string
	for _, d := range c.Diffs {
		if !d.Judged {
			continue
		}
		switch d.Verdict {
		case Worse:
			worse = append(worse, d.Metric)
		case Better:
			better = append(better, d.Metric)
		}
	}
	switch {
	case len(worse) > 0:
		return Worse, worse
	case len(better) > 0:
		return Better, better
	}
	return Same, []string{}
}

// Get returns the diff of a metric.
func (c *Comparison) Get(metric string) (Diff, bool) {
	i := slices.IndexFunc(c.Diffs, func(d Diff) bool { return d.Metric == metric })
	if i < 0 {
		return Diff{}, false
	}
	return c.Diffs[i], true
}

// Run runs a and b on the same seeds on jobs workers and compares them.
// It returns the runs too, A's then B's.
func Run(ctx context.Context, nameA, nameB string, a, b *scenarios.Scenario, seeds []uint64, jobs int, thresholds map[string]Threshold) (*Comparison, [2][]*check.Result, error) {
	res, err := batch.Run(ctx, jobs, []*scenarios.Scenario{a, b}, seeds)
	if err != nil {
		return nil, [2][]*check.Result{}, err
	}
	c, err := Compare(nameA, nameB, res[0], res[1], thresholds)
	return c, [2][]*check.Result{res[0], res[1]}, err
}
