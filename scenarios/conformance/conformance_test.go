//go:debug randseednop=0

package conformance

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/internal/rapidchecks"
)

// The //go:debug line above makes rand.Seed effective in this test binary
// (a no-op since Go 1.24 otherwise), so that runReal can seed client-go's
// jitter and a real run can be re-run.

var (
	update = flag.Bool("update", false, "rewrite docs/conformance.md from this run")
	runsN  = flag.Int("conformance.n", 0, "runs a side per corpus scenario (0: the make-test size)")
)

func runsPerSide() int {
	if *runsN > 0 {
		return *runsN
	}
	return fastRuns
}

// propertyChecks is how many cases TestPropPairedAgreement draws unless
// -rapid.checks is given: a case (three seeds a side, two simulated
// minutes) costs about a quarter of a second.
const propertyChecks = "24"

func TestMain(m *testing.M) {
	// The real elector logs every failed renewal through klog.
	klog.SetLogger(logr.Discard())
	rapidchecks.Main(m, propertyChecks)
}

func loadCorpus(t testing.TB) []*scenarios.Scenario {
	t.Helper()
	patterns := []string{"testdata/corpus/*.yaml"}
	if p := os.Getenv("LESIM_CONFORMANCE_FILES"); p != "" {
		patterns = strings.Fields(p) // compare other scenario files (globs) instead
	}
	var files []string
	for _, pattern := range patterns {
		matched, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matched...)
	}
	if len(files) == 0 {
		t.Fatalf("no scenario file matches %q", patterns)
	}
	slices.Sort(files)
	var out []*scenarios.Scenario
	for _, f := range files {
		raw, err := scenarios.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := prepare(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

// realSide is the real elector's n runs of one scenario, each in its own
// synctest bubble (a bubble's fake clock starts at a whole second, as
// lesim's wall clock does, which whole-second change detection depends
// on), with the wall time they took.
type realSide struct {
	sc   *scenarios.Scenario
	runs []*outcome
	wall time.Duration
}

func runRealSide(t *testing.T, sc *scenarios.Scenario, n int) realSide {
	t.Helper()
	rs := realSide{sc: sc}
	began := time.Now()
	for i := range n {
		var o *outcome
		var err error
		synctest.Test(t, func(*testing.T) { o, err = runReal(sc, sc.Seed()+uint64(i)) })
		if err != nil {
			t.Fatal(err)
		}
		if o.stoppedLeading != o.runsEnded {
			t.Fatalf("%s seed %d: real elector called OnStoppedLeading %d times for %d ended Runs", sc.Metadata.Name,
				sc.Seed()+uint64(i), o.stoppedLeading, o.runsEnded)
		}
		rs.runs = append(rs.runs, o)
	}
	rs.wall = time.Since(began)
	return rs
}

// runRealCorpus runs the real side of every corpus scenario.
func runRealCorpus(t *testing.T, n int) []realSide {
	var out []realSide
	for _, sc := range loadCorpus(t) {
		out = append(out, runRealSide(t, sc, n))
	}
	return out
}

// compareCorpus runs lesim n times on every scenario and compares with the
// real runs; Holm's correction spans the whole corpus. A lesim run that
// fails returns its error.
func compareCorpus(real []realSide) ([]scenarioResult, error) {
	var out []scenarioResult
	var all []*comparison
	for _, rs := range real {
		sc, n := rs.sc, len(rs.runs)
		lesim := make([]*outcome, n)
		began := time.Now()
		for i := range n {
			o, err := runLesim(sc, sc.Seed()+uint64(i))
			if err != nil {
				return nil, err
			}
			lesim[i] = o
		}
		lesimWall := time.Since(began)
		simS := sc.Duration().Seconds() * float64(n)
		out = append(out, scenarioResult{name: sc.Metadata.Name, description: sc.Description(), n: n,
			comparisons: compareScenario(sc, rs.runs, lesim), pairs: pairRuns(sc.Seed(), rs.runs, lesim),
			realSpeed: simS / rs.wall.Seconds(), lesimSpeed: simS / lesimWall.Seconds()})
	}
	for i := range out {
		for j := range out[i].comparisons {
			all = append(all, &out[i].comparisons[j])
		}
	}
	p := make([]float64, len(all))
	for i, c := range all {
		p[i] = c.p
	}
	for i, a := range holm(p) {
		all[i].pHolm = a
	}
	return out, nil
}

func countComparisons(rs []scenarioResult) int {
	n := 0
	for _, r := range rs {
		n += len(r.comparisons)
	}
	return n
}

// reportDisagreements fails t for every differing comparison and for
// every scenario whose runs differ seed by seed more often than races
// explain.
func reportDisagreements(t *testing.T, rs []scenarioResult) {
	t.Helper()
	for _, r := range rs {
		p := r.pairs
		if !p.ok() {
			t.Errorf("%s: %d of %d seeds differ with no race to explain them (at most %.0f%% may): seeds %v",
				r.name, len(p.unexplained), p.n, 100*maxUnexplained, p.unexplained)
		}
		for _, c := range r.comparisons {
			if c.differs() {
				t.Errorf("%s: %s (%s): real %s, lesim %s; statistic %.3g, p %.2g, Holm %.2g, effect %s ≥ floor %s",
					r.name, c.quantity, c.test, c.real, c.lesim, c.statistic, c.p, c.pHolm,
					fmtEffect(c.effect, c.unit), fmtEffect(c.floor, c.unit))
			}
		}
	}
}

// TestCorpus compares the real client-go elector with lesim's on every
// scenario of the corpus, as distributions over runsPerSide seeds.
//
// In a lesim_mutants build TestMutantsFast and TestConformance run this
// comparison themselves, with the mutants, on the same real runs.
func TestCorpus(t *testing.T) {
	if elector.MutantsBuilt {
		t.Skip("lesim_mutants build: TestMutantsFast compares the corpus")
	}
	n := runsPerSide()
	real := runRealCorpus(t, n)
	if len(real) < minCorpus && os.Getenv("LESIM_CONFORMANCE_FILES") == "" {
		t.Fatalf("corpus has %d scenarios, want at least %d", len(real), minCorpus)
	}
	rs, err := compareCorpus(real)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d scenarios, %d comparisons at N = %d", len(rs), countComparisons(rs), n)
	for _, r := range rs {
		p := r.pairs
		t.Logf("%s: identical on %d of %d seeds, %d parted on a tie race, %d unexplained", r.name, p.identical, p.n, p.tieRace, len(p.unexplained))
	}
	reportDisagreements(t, rs)
}

// minCorpus is the least number of corpus scenarios: the corpus must cover
// what lesim measures, overlap-prone configurations included.
const minCorpus = 40

// A real run is a function of its seed: the takeover after a crash follows
// client-go's jitter, which runReal seeds. Without //go:debug
// randseednop=0 rand.Seed is a no-op and two runs on one seed differ.
func TestRealRunIsSeeded(t *testing.T) {
	raw, err := scenarios.Load("testdata/corpus/crash-subsecond.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := prepare(raw)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []interval {
		var o *outcome
		synctest.Test(t, func(*testing.T) { o, err = runReal(sc, seed) })
		if err != nil {
			t.Fatal(err)
		}
		return o.leadership
	}
	first := run(7)
	if again := run(7); !slices.Equal(first, again) {
		t.Errorf("seed 7 twice: %v, then %v", first, again)
	}
	for seed := uint64(8); seed < 12; seed++ {
		if !slices.Equal(first, run(seed)) {
			return
		}
	}
	t.Error("seeds 7 to 11 gave one outcome: the seed reaches nothing")
}
