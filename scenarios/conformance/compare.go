package conformance

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/lesim/lesim/scenarios"
)

// alpha is the family-wise error rate of a whole suite run: after Holm's
// correction over every comparison of the corpus, a comparison is
// significant when its adjusted p-value is below alpha.
const alpha = 0.001

// Effect-size floors: a significant difference smaller than these is
// reported but is not a disagreement.
const (
	floorSeconds  = 0.050 // 50 ms on any time quantity
	floorRequests = 1.0   // one request per run, on the mean
	floorPoints   = 1.0   // one percentage point of a rate or of a distribution over sequences
	// Paired comparisons differ only where a race went differently, and
	// the races are the same on both sides: half a point of the seeds.
	floorPairedPoints = 0.5
)

// comparison is one compared quantity of one scenario.
type comparison struct {
	scenario string
	quantity string
	testResult
	nReal, nLesim int
	unit          string // "s", "requests", "pp"
	floor         float64
	real, lesim   string  // a summary of each side (median, or rate)
	pHolm         float64 // p after Holm's correction over the suite run
}

// differs is the verdict: significant after correction and above the floor.
func (c *comparison) differs() bool { return c.pHolm < alpha && c.effect >= c.floor }

// fastRuns is the make-test sample size: enough for the paired
// comparisons and for large shifts, small enough for the time budget.
const fastRuns = 24

// minSample is the least number of runs on each side in which a quantity
// must occur for it to be compared: at n runs, max(10, n/10).
func minSample(n int) int { return max(10, n/10) }

// compareScenario compares n real runs of a prepared scenario with n lesim
// runs (real[i] and lesim[i] ran on the same seed).
func compareScenario(sc *scenarios.Scenario, real, lesim []*outcome) []comparison {
	name := sc.Metadata.Name
	var out []comparison
	add := func(quantity, unit string, floor float64, r testResult, nr, nl int, rs, ls string) {
		out = append(out, comparison{scenario: name, quantity: quantity, testResult: r, nReal: nr, nLesim: nl,
			unit: unit, floor: floor, real: rs, lesim: ls})
	}

	seqR, seqL := leaderSeqs(real), leaderSeqs(lesim)
	add("leader sequence", "pp", floorPoints, chiSquareTest(seqR, seqL), len(real), len(lesim), modeOf(seqR), modeOf(seqL))

	kr, kl := overlapping(real), overlapping(lesim)
	add("overlap > 0 (rate)", "pp", floorPoints, proportionTest(kr, len(real), kl, len(lesim)), len(real), len(lesim),
		pct(kr, len(real)), pct(kl, len(lesim)))
	if b, c := discordantOverlap(real, lesim); b+c > 0 {
		add(overlapPaired, "pp", floorPairedPoints, mcnemarTest(b, c, len(real)), len(real), len(lesim),
			fmt.Sprintf("only real: %d", b), fmt.Sprintf("only lesim: %d", c))
	}

	mr, ml := measuresOf(sc, real), measuresOf(sc, lesim)
	for _, q := range measureNames(mr, ml) {
		x, y := valuesOf(mr, q), valuesOf(ml, q)
		if len(x) < minSample(len(real)) || len(y) < minSample(len(lesim)) || constantAndEqual(x, y) {
			continue
		}
		unit, floor, test := "s", floorSeconds, ksTest
		if isCount(q) {
			unit, floor, test = "requests", floorRequests, ksCountTest
		}
		add(q, unit, floor, test(x, y), len(x), len(y), median(x, unit), median(y, unit))
		// Paired on the seeds where both sides measured q. A quantity on
		// which every pair is equal is left out: its test cannot reject at
		// any level, and leaving it out of Holm's family is Tarone's
		// refinement, which keeps the family-wise error rate.
		px, py := pairsOf(mr, ml, q)
		if above, below := signs(px, py); above+below > 0 {
			add(q+" (paired)", "pp", floorPairedPoints, signTest(px, py), len(px), len(py),
				fmt.Sprintf("later: %d", above), fmt.Sprintf("later: %d", below))
		}
	}
	return out
}

// overlapPaired names the paired comparison of the overlap indicator.
const overlapPaired = "overlap > 0 (paired)"

// discordantOverlap counts the seeds on which only the real run (b) or
// only lesim's (c) had any overlap.
func discordantOverlap(real, lesim []*outcome) (b, c int) {
	for i := range min(len(real), len(lesim)) {
		r, _ := real[i].overlap()
		l, _ := lesim[i].overlap()
		switch {
		case r > 0 && l == 0:
			b++
		case r == 0 && l > 0:
			c++
		}
	}
	return b, c
}

// signs counts the pairs with x above y and with x below y.
func signs(x, y []float64) (above, below int) {
	for i := range x {
		switch {
		case x[i] > y[i]:
			above++
		case x[i] < y[i]:
			below++
		}
	}
	return above, below
}

// applyHolm sets pHolm on every comparison of one suite run.
func applyHolm(cs []comparison) {
	p := make([]float64, len(cs))
	for i := range cs {
		p[i] = cs[i].p
	}
	for i, a := range holm(p) {
		cs[i].pHolm = a
	}
}

func leaderSeqs(os []*outcome) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.leaders()
	}
	return out
}

func overlapping(os []*outcome) int {
	k := 0
	for _, o := range os {
		if total, _ := o.overlap(); total > 0 {
			k++
		}
	}
	return k
}

func measuresOf(sc *scenarios.Scenario, os []*outcome) []map[string]float64 {
	out := make([]map[string]float64, len(os))
	for i, o := range os {
		out[i] = o.measures(sc)
	}
	return out
}

// measureNames is every quantity either side measured, in a stable order.
func measureNames(a, b []map[string]float64) []string {
	seen := map[string]bool{}
	var names []string
	for _, side := range [][]map[string]float64{a, b} {
		for _, m := range side {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					names = append(names, k)
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

func valuesOf(ms []map[string]float64, q string) []float64 {
	var out []float64
	for _, m := range ms {
		if v, ok := m[q]; ok {
			out = append(out, v)
		}
	}
	return out
}

// pairsOf is the values of q on the seeds where both sides measured it.
func pairsOf(a, b []map[string]float64, q string) (x, y []float64) {
	for i := range min(len(a), len(b)) {
		va, oka := a[i][q]
		vb, okb := b[i][q]
		if oka && okb {
			x, y = append(x, va), append(y, vb)
		}
	}
	return x, y
}

func constantAndEqual(x, y []float64) bool {
	v := x[0]
	for _, s := range [][]float64{x, y} {
		for _, w := range s {
			if w != v {
				return false
			}
		}
	}
	return true
}

func median(x []float64, unit string) string {
	m := stat.Quantile(0.5, stat.Empirical, sortedCopy(x), nil)
	if unit == "s" {
		return fmtSeconds(m)
	}
	return fmt.Sprintf("%.0f", m)
}

func modeOf(xs []string) string {
	c := counts(xs)
	best := ""
	for k, n := range c {
		if n > c[best] || n == c[best] && k < best {
			best = k
		}
	}
	return fmt.Sprintf("%s (%s)", best, pct(c[best], len(xs)))
}

func pct(k, n int) string { return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n)) }

// fmtSeconds prints seconds to the millisecond.
func fmtSeconds(s float64) string {
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%.3fs", s)
}
