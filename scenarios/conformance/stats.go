package conformance

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// The two-sample tests of the suite. Each returns its statistic, a
// two-sided p-value and an effect size in the quantity's own unit, so that
// a verdict can require both significance (after Holm across the corpus)
// and an effect above a floor: at N in the hundreds a test finds
// differences far below anything that matters, and those are not failures.

// testResult is one test's numbers.
type testResult struct {
	test      string  // "KS", "sign", "McNemar exact", "two-proportion z", "chi-square"
	statistic float64 // D, z, χ², or for the paired tests the excess of one sign
	p         float64 // two-sided p-value before correction
	effect    float64 // in the quantity's unit (seconds, requests, percentage points)
}

// ksTest is the two-sample Kolmogorov–Smirnov test: gonum's statistic D on
// the empirical distribution functions and its asymptotic p-value (the
// Kolmogorov distribution at λ = (√nₑ + 0.12 + 0.11/√nₑ)·D, nₑ = nm/(n+m),
// Stephens' small-sample correction; gonum has the statistic, not its
// distribution). With ties (request counts) the p-value is conservative.
//
// Its effect size is the largest gap between matching deciles of the two
// samples (10th … 90th percentile), in the samples' unit: a shift, a
// stretch or a changed tail all show as a gap in time or in requests, which
// is what a floor can be stated in.
//
// For request counts the effect size is the difference of the means
// instead: counts are discrete, and one request more in half of the runs
// (a tick and a deadline at one instant, which the Go scheduler orders at
// random in a bubble) moves a decile by a whole request but the mean by
// half of one.
func ksTest(x, y []float64) testResult {
	xs, ys := sortedCopy(x), sortedCopy(y)
	d := stat.KolmogorovSmirnov(xs, nil, ys, nil)
	n, m := float64(len(xs)), float64(len(ys))
	ne := n * m / (n + m)
	lambda := (math.Sqrt(ne) + 0.12 + 0.11/math.Sqrt(ne)) * d
	return testResult{test: "KS", statistic: d, p: kolmogorovQ(lambda), effect: decileGap(xs, ys)}
}

// ksCountTest is ksTest with the difference of means as its effect size.
func ksCountTest(x, y []float64) testResult {
	r := ksTest(x, y)
	r.effect = math.Abs(stat.Mean(x, nil) - stat.Mean(y, nil))
	return r
}

// kolmogorovQ is P(K > λ) for the Kolmogorov distribution:
// 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
func kolmogorovQ(lambda float64) float64 {
	if lambda < 0.2 {
		return 1 // the series converges slowly here; Q is 1 to 9 digits
	}
	var sum float64
	sign := 1.0
	for k := 1; k <= 100; k++ {
		term := sign * math.Exp(-2*float64(k*k)*lambda*lambda)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return min(max(2*sum, 0), 1)
}

// decileGap is the largest |Q_x(q) − Q_y(q)| over q = 0.1, …, 0.9 of two
// sorted samples.
func decileGap(xs, ys []float64) float64 {
	var gap float64
	for q := 1; q <= 9; q++ {
		p := float64(q) / 10
		gap = max(gap, math.Abs(stat.Quantile(p, stat.Empirical, xs, nil)-stat.Quantile(p, stat.Empirical, ys, nil)))
	}
	return gap
}

// proportionTest is the two-proportion z-test (pooled) of k1 of n1 against
// k2 of n2; its effect size is |p1 − p2| in percentage points.
func proportionTest(k1, n1, k2, n2 int) testResult {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	pool := float64(k1+k2) / float64(n1+n2)
	r := testResult{test: "two-proportion z", effect: 100 * math.Abs(p1-p2)}
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		r.p = 1 // both all-zero or both all-one
		return r
	}
	r.statistic = (p1 - p2) / se
	r.p = min(1, 2*distuv.UnitNormal.Survival(math.Abs(r.statistic)))
	return r
}

// chiSquareTest is Pearson's chi-square test of homogeneity of two samples
// of categories (here: sequences of leaders). Categories with an expected
// count below 5 on either side are pooled into one, as the test's
// approximation requires. Its effect size is the total variation distance
// between the two empirical distributions, in percentage points.
func chiSquareTest(x, y []string) testResult {
	cx, cy := counts(x), counts(y)
	keys := make([]string, 0, len(cx)+len(cy))
	for k := range cx {
		keys = append(keys, k)
	}
	for k := range cy {
		if _, ok := cx[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	nx, ny := float64(len(x)), float64(len(y))
	var tvd float64
	for _, k := range keys {
		tvd += math.Abs(float64(cx[k])/nx - float64(cy[k])/ny)
	}
	r := testResult{test: "chi-square", effect: 100 * tvd / 2}
	var obsX, obsY []float64
	var restX, restY float64
	for _, k := range keys {
		tot := float64(cx[k] + cy[k])
		if tot*min(nx, ny)/(nx+ny) < 5 {
			restX, restY = restX+float64(cx[k]), restY+float64(cy[k])
			continue
		}
		obsX, obsY = append(obsX, float64(cx[k])), append(obsY, float64(cy[k]))
	}
	if restX+restY > 0 {
		obsX, obsY = append(obsX, restX), append(obsY, restY)
	}
	if len(obsX) < 2 {
		r.p = 1 // one category: nothing to compare
		return r
	}
	expX, expY := make([]float64, len(obsX)), make([]float64, len(obsY))
	for i := range obsX {
		tot := obsX[i] + obsY[i]
		expX[i], expY[i] = tot*nx/(nx+ny), tot*ny/(nx+ny)
	}
	r.statistic = stat.ChiSquare(obsX, expX) + stat.ChiSquare(obsY, expY)
	r.p = distuv.ChiSquared{K: float64(len(obsX) - 1)}.Survival(r.statistic)
	return r
}

func counts(xs []string) map[string]int {
	m := map[string]int{}
	for _, x := range xs {
		m[x]++
	}
	return m
}

func sortedCopy(x []float64) []float64 {
	c := slices.Clone(x)
	slices.Sort(c)
	return c
}

// holm sets adjusted[i] to Holm's step-down adjusted p-value of p[i]: the
// family-wise error rate over all of p stays at the level it is compared
// with, without Bonferroni's loss of power on the smaller p-values.
func holm(p []float64) []float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	adjusted := make([]float64, len(p))
	m := float64(len(p))
	running := 0.0
	for rank, i := range idx {
		running = max(running, min(1, (m-float64(rank))*p[i]))
		adjusted[i] = running
	}
	return adjusted
}

// signTest is the exact two-sided sign test of paired samples (x_i, y_i),
// the two sides run on the same seed and sharing every draw: under the
// hypothesis that lesim is client-go, a seed on which they differ is as
// likely to differ one way as the other (the two differ only where a race
// no seed reaches went differently, and the race is the same on both
// sides), so among the k pairs that differ the number with x > y is
// Binomial(k, ½). Pairs that are equal carry no information and are left
// out; most are, which is why a paired t-test (whose variance estimate
// they would dominate) is not used.
//
// Its effect size is |#(x > y) − #(x < y)| / n in percentage points of all
// n pairs: how much more often one side is later than the other.
func signTest(x, y []float64) testResult {
	above, below := signs(x, y)
	r := exactBinomialSign("sign", above, below)
	r.effect = 100 * math.Abs(float64(above-below)) / float64(max(len(x), 1))
	return r
}

// mcnemarTest is McNemar's exact test on paired indicators: b seeds on
// which only the real run had the property, c on which only lesim's had
// it, of n seeds. Under the hypothesis b ~ Binomial(b+c, ½). Its effect
// size is the difference of the two rates, |b − c| / n, in points.
func mcnemarTest(b, c, n int) testResult {
	r := exactBinomialSign("McNemar exact", b, c)
	r.effect = 100 * math.Abs(float64(b-c)) / float64(max(n, 1))
	return r
}

// exactBinomialSign is the two-sided exact binomial test of a against b
// successes out of a+b at probability ½ (gonum's distuv.Binomial); the
// statistic is a − b.
func exactBinomialSign(name string, a, b int) testResult {
	r := testResult{test: name, statistic: float64(a - b), p: 1}
	k := a + b
	if k == 0 {
		return r
	}
	bin := distuv.Binomial{N: float64(k), P: 0.5}
	lo := float64(min(a, b))
	r.p = min(1, 2*bin.CDF(lo))
	return r
}

// minDiscordant is the least number of seeds that must differ, all the same
// way, for an exact sign or McNemar test to reach level: 2·(½)^k < level.
func minDiscordant(level float64) int { return minPairedExcess(0, level) }

// minPairedExcess is the least number e of seeds that must differ one way,
// on top of background seeds that differ evenly both ways (races), for the
// exact sign or McNemar test to reach level.
func minPairedExcess(background int, level float64) int {
	half := background / 2
	for e := 1; ; e++ {
		bin := distuv.Binomial{N: float64(2*half + e), P: 0.5}
		if 2*bin.CDF(float64(half)) < level {
			return e
		}
	}
}
