package conformance

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/renameio/v2"
	"gonum.org/v1/gonum/stat/distuv"
)

// scenarioResult is one scenario's part of a suite run.
type scenarioResult struct {
	name, description string
	n                 int
	comparisons       []comparison
	pairs             pairing // seed by seed
	// speeds in simulated seconds per wall second, one run at a time
	realSpeed, lesimSpeed float64
}

// mutantResult is the verdict on one mutant: killed when some comparison
// of the corpus differs, or when lesim failed to run under it.
type mutantResult struct {
	mutant    string
	killed    bool
	by        comparison // the differing comparison with the smallest adjusted p
	differing int        // how many comparisons differ
	runError  string
	// overlapShift is the paired overlap comparison ("overlap > 0
	// (paired)") with the largest effect over the corpus: how far the
	// mutant moves the rate of runs with any overlap, seed by seed.
	overlapShift *comparison
}

// suiteReport is what docs/conformance.md is written from.
type suiteReport struct {
	n          int
	scenarios  []scenarioResult
	mutants    []mutantResult
	wall       time.Duration
	comparison int // comparisons in the baseline family (Holm's m)
	// jitterDraws acquire waits drawn through goOneSource at the corpus's
	// retry periods, of which jitterMismatches differed from Go 1's.
	jitterDraws, jitterMismatches int
}

// minDetectableD is the smallest Kolmogorov–Smirnov distance D that is
// significant at Holm's strictest level alpha/m with n runs a side.
func minDetectableD(n, m int) float64 {
	level := alpha / float64(max(m, 1))
	lo, hi := 0.0, 1.0
	for range 60 {
		mid := (lo + hi) / 2
		ne := float64(n) / 2
		if kolmogorovQ((math.Sqrt(ne)+0.12+0.11/math.Sqrt(ne))*mid) < level {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// minDetectableRate is the smallest difference of two rates near p, in
// percentage points, that the two-proportion test finds with 80 % power at
// Holm's strictest level alpha/m with n runs a side.
func minDetectableRate(p float64, n, m int) float64 {
	level := alpha / float64(max(m, 1))
	z := distuv.UnitNormal.Quantile(1-level/2) + distuv.UnitNormal.Quantile(0.8)
	return 100 * z * math.Sqrt(2*p*(1-p)/float64(n))
}

// writeReport writes the conformance document atomically (renameio: a
// reader never sees half a file).
func writeReport(path string, r *suiteReport) error {
	var b strings.Builder
	writeHeader(&b, r)
	writeMutants(&b, r)
	writeSummary(&b, r)
	for i := range r.scenarios {
		writeScenario(&b, &r.scenarios[i])
	}
	return renameio.WriteFile(path, []byte(b.String()), 0o644)
}

func writeHeader(b *strings.Builder, r *suiteReport) {
	b.WriteString(docIntro)
	fmt.Fprintf(b, "\nThis run: **N = %d** runs a side per scenario, %d scenarios, %d comparisons in the baseline family, "+
		"family-wise α = %.2g (Holm), wall time %s.\n", r.n, len(r.scenarios), r.comparison, alpha, r.wall.Round(time.Second))
	if r.n < 500 {
		fmt.Fprintf(b, "\n**Reduced N.** This document was generated at N = %d, below the N = 500 that `make conformance` "+
			"runs by default. "+
			"Power is lower accordingly (see the detectable effects below).\n", r.n)
	}
	fmt.Fprintf(b, "\nSmallest effects this N detects at Holm's strictest level (α/m = %.2g): a Kolmogorov–Smirnov "+
		"distance D ≥ %.3f between two distributions of a time or a count; a difference of rates of %.1f points near 5 %%, "+
		"%.1f points near 20 %% and %.1f points near 50 %% (80 %% power). A difference also has to exceed its floor "+
		"(%.0f ms, %.0f request, %.0f point) to count.\n",
		alpha/float64(max(r.comparison, 1)), minDetectableD(r.n, r.comparison),
		minDetectableRate(0.05, r.n, r.comparison), minDetectableRate(0.2, r.n, r.comparison), minDetectableRate(0.5, r.n, r.comparison),
		floorSeconds*1000, floorRequests, floorPoints)
	level := alpha / float64(max(r.comparison, 1))
	k := minPairedExcess(0, level)
	kHalf := minPairedExcess(r.n/2, level)
	fmt.Fprintf(b, "\nPaired (sign and McNemar exact tests on the same seeds): where no race parts the two sides, %d seeds "+
		"differing all the same way are significant at α/m (%.1f %% of N); on a scenario where half of the seeds part "+
		"evenly on a tie race, %d seeds more one way than the other (%.1f %% of N). A paired difference also has to "+
		"exceed %.1f points of the seeds to count. An effect confined to fewer seeds than that (a rate moved by one "+
		"point moves 1 %% of the seeds) is out of reach of this N on that quantity alone; a mutant with such an effect "+
		"on the overlap rate is killed through the acquisition or step-down times it moves on more seeds (see "+
		"early-takeover-20ms below).\n", k, 100*float64(k)/float64(r.n), kHalf, 100*float64(kHalf)/float64(r.n), floorPairedPoints)
	fmt.Fprintf(b, "\nFalse failures: Holm keeps the family-wise error rate of each suite run at α = %.0e, and every test "+
		"used is exact or conservative (KS with its asymptotic p-value, conservative with ties), so a faithful elector "+
		"fails a run (`make test`'s N = %d included) with probability at most %.0e from the statistics; the seed-by-seed "+
		"check fails only if a scenario has more than %.0f %% of seeds differing with no race to explain them.\n",
		alpha, fastRuns, alpha, 100*maxUnexplained)
	if r.jitterDraws > 0 {
		fmt.Fprintf(b, "\nShared jitter: lesim's elector draws through math/rand/v2, client-go through Go 1's math/rand; the "+
			"adapter reproduces Go 1's values exactly at or above ½ and to within 2⁻⁵³ below. Of %d acquire waits "+
			"drawn at each retry period of the corpus, %d differed by a nanosecond.\n", r.jitterDraws, r.jitterMismatches)
	}
}

func writeMutants(b *strings.Builder, r *suiteReport) {
	if len(r.mutants) == 0 {
		return
	}
	killed := 0
	for _, m := range r.mutants {
		if m.killed {
			killed++
		}
	}
	fmt.Fprintf(b, "\n## Mutation score: %d / %d killed\n\n", killed, len(r.mutants))
	b.WriteString("Each mutant is a deliberate error in lesim's elector (`elector/mutant.go`, switched on only in a " +
		"`lesim_mutants` build); the whole corpus is run against it at the same N and compared with the same real runs. " +
		"The killing comparison is the differing one with the smallest adjusted p-value.\n\n")
	b.WriteString("The last column is the mutant's largest effect on the rate of runs with any overlap, seed by seed " +
		"(McNemar: seeds on which only the real run overlapped / only lesim's did).\n\n")
	b.WriteString("| mutant | verdict | killing comparison | test | statistic | p (Holm) | effect | differing comparisons | overlap rate moved |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range r.mutants {
		shift := "none"
		if c := m.overlapShift; c != nil {
			shift = fmt.Sprintf("%s: %s (%s / %s)", c.scenario, fmtEffect(c.effect, c.unit), c.real, c.lesim)
		}
		switch {
		case m.runError != "":
			fmt.Fprintf(b, "| %s | killed | lesim failed to run: %s | | | | | | |\n", m.mutant, m.runError)
		case m.killed:
			c := m.by
			fmt.Fprintf(b, "| %s | killed | %s: %s | %s | %.3g | %.2g | %s | %d | %s |\n", m.mutant, c.scenario, c.quantity,
				c.test, c.statistic, c.pHolm, fmtEffect(c.effect, c.unit), m.differing, shift)
		default:
			fmt.Fprintf(b, "| %s | **survived** | | | | | | 0 | %s |\n", m.mutant, shift)
		}
	}
}

func writeSummary(b *strings.Builder, r *suiteReport) {
	b.WriteString("\n## Scenarios\n\nSeed by seed: on how many seeds the two sides' whole outcomes (leaders in order, every " +
		"acquisition and step-down to the nanosecond, requests per node and verb) were identical; on how many they " +
		"differed in a run where a renew tick fell on its poll's deadline (a race in client-go that no seed reaches, a " +
		"coin in lesim); and on how many they differed otherwise.\n\n")
	b.WriteString("| scenario | N | identical | tie race | unexplained | comparisons | differing | verdict | real sim-s/wall-s | lesim sim-s/wall-s | ratio |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	var ident, total int
	var realSum, lesimSum float64
	for i := range r.scenarios {
		s := &r.scenarios[i]
		diff := 0
		for j := range s.comparisons {
			if s.comparisons[j].differs() {
				diff++
			}
		}
		verdict := "agree"
		if diff > 0 || !s.pairs.ok() {
			verdict = "**differ**"
		}
		p := s.pairs
		ident, total = ident+p.identical, total+p.n
		fmt.Fprintf(b, "| [%s](#%s) | %d | %s | %d | %d | %d | %d | %s | %.0f | %.0f | %.0f× |\n", s.name, s.name, s.n,
			pct(p.identical, p.n), p.tieRace, len(p.unexplained), len(s.comparisons), diff,
			verdict, s.realSpeed, s.lesimSpeed, s.lesimSpeed/s.realSpeed)
		realSum += s.realSpeed
		lesimSum += s.lesimSpeed
	}
	if total > 0 {
		fmt.Fprintf(b, "\nIdentical outcomes on %d of %d seeds over the corpus (%s).\n", ident, total, pct(ident, total))
	}
	if n := float64(len(r.scenarios)); n > 0 {
		fmt.Fprintf(b, "\nMean over the corpus: real elector %.0f sim-s/wall-s, lesim %.0f sim-s/wall-s (%.0f×).\n",
			realSum/n, lesimSum/n, lesimSum/realSum)
	}
}

func writeScenario(b *strings.Builder, s *scenarioResult) {
	fmt.Fprintf(b, "\n### %s\n\n%s N = %d a side.\n\n", s.name, s.description, s.n)
	b.WriteString("| quantity | test | n real / lesim | real | lesim | statistic | p | p (Holm) | effect | floor | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i := range s.comparisons {
		c := &s.comparisons[i]
		verdict := "agree"
		switch {
		case c.differs():
			verdict = "**differ**"
		case c.pHolm < alpha:
			verdict = "agree (below floor)"
		}
		fmt.Fprintf(b, "| %s | %s | %d / %d | %s | %s | %.3g | %.2g | %.2g | %s | %s | %s |\n", c.quantity, c.test,
			c.nReal, c.nLesim, c.real, c.lesim, c.statistic, c.p, c.pHolm, fmtEffect(c.effect, c.unit), fmtEffect(c.floor, c.unit), verdict)
	}
}

func fmtEffect(v float64, unit string) string {
	switch unit {
	case "s":
		return fmt.Sprintf("%.0f ms", v*1000)
	case "pp":
		return fmt.Sprintf("%.1f pt", v)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

const docIntro = "# Conformance with client-go's leader elector\n\n" +
	"Generated by `make conformance` (`go test -tags lesim_mutants ./scenarios/conformance -run TestConformance " +
	"-conformance.n=N -update`); never edited by hand.\n\n" +
	"Every scenario of `scenarios/conformance/testdata/corpus` runs N times on each side:\n\n" +
	"- **client-go v0.37.2's own elector** (`k8s.io/client-go/tools/leaderelection` with `resourcelock.LeaseLock` " +
	"over a typed clientset), one goroutine per process, in a `testing/synctest` bubble, over lesim's REST surface " +
	"(`fakeapi/rest`) with the scenario's latency and API faults on fake time. Run i is seeded with seed+i: the REST " +
	"surface's latency and error draws and client-go's jitter (the global math/rand, seedable with " +
	"`//go:debug randseednop=0`);\n" +
	"- **lesim's elector** (variant v0.37) in the simulation, run i on the same seed+i. Both sides draw the same " +
	"latencies and errors (the REST surface and the simulation use the same named streams), and lesim draws its " +
	"acquire jitter from the same source client-go does: one Go 1 math/rand source seeded with seed+i, shared by every " +
	"node in the order the draws happen, with the draws client-go's loop makes and throws away (after the try that " +
	"acquired, after a try a stop or crash cut short) made too. So a faithful lesim repeats the real run seed by " +
	"seed, except where a race that no seed reaches (a renew tick on its poll's deadline: the Go scheduler's choice " +
	"in client-go, a coin in lesim) goes differently.\n\n" +
	"Per scenario the two samples are compared as distributions: the sequence of leaders (chi-square), the rate of " +
	"runs with any overlap (two-proportion z), and with the two-sample Kolmogorov–Smirnov test each acquisition and " +
	"step-down time relative to the fault instant before it, each failover (next acquisition minus step-down), the " +
	"total and longest overlap, the leaderless time and the requests per node per verb. Every one of these is " +
	"compared paired as well, on the seeds where both sides measured it: the exact sign test on the times and " +
	"counts, McNemar's exact test on \"overlap > 0\". Most paired differences are exactly zero, which leaves a paired " +
	"t-test degenerate; the sign test uses only the seeds that differ and asks whether they differ one way more " +
	"often than the other (a race goes either way on both sides alike). A quantity on which every pair is equal is " +
	"not tested (it cannot reject; Tarone). " +
	"p-values are corrected with Holm over every comparison of the run; a comparison differs when its adjusted " +
	"p-value is below α and its effect (for times the largest gap between matching deciles, for request counts the " +
	"difference of means, for rates the difference, for sequences the total variation distance, for paired tests " +
	"the excess of seeds differing one way, in points of N) is at least its floor.\n"
