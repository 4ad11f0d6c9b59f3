package conformance

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/gen"
)

var update = flag.Bool("update", false, "rewrite docs/conformance.md from this run")

// lesimSeeds is how many seeds lesim first runs each corpus scenario
// under to sample the outcomes jitter and random draws allow.
const lesimSeeds = 24

func TestMain(m *testing.M) {
	// The real elector logs every failed renewal through klog.
	klog.SetLogger(logr.Discard())
	flag.Parse()
	if !checksSet() {
		flag.Set("rapid.checks", randomChecks)
	}
	os.Exit(m.Run())
}

func checksSet() bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	return set
}

func loadCorpus(t testing.TB) []*scenarios.Scenario {
	t.Helper()
	pattern := "testdata/corpus/*.yaml"
	if p := os.Getenv("LESIM_CONFORMANCE_FILES"); p != "" {
		pattern = p // compare other scenario files (a glob) instead
	}
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	var out []*scenarios.Scenario
	for _, f := range files {
		sc, err := scenarios.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

// runBoth runs a prepared scenario on the real elector in a synctest
// bubble and on lesim under lesimSeeds seeds, and measures both.
func runBoth(t *testing.T, sc *scenarios.Scenario) (*Comparison, Speed) {
	t.Helper()
	seed := sc.Seed()
	var real *Outcome
	var err error
	began := time.Now()
	synctest.Test(t, func(t *testing.T) {
		real, err = RunReal(sc, seed)
	})
	realWall := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	cmp, runs, err := CompareSeeds(sc, real, lesimSeeds, maxSeeds)
	if err != nil {
		t.Fatal(err)
	}
	lesimWall := time.Since(began) / time.Duration(runs)
	sim := sc.Duration().Seconds()
	return cmp, Speed{Real: sim / realWall.Seconds(), Lesim: sim / lesimWall.Seconds()}
}

// TestCorpus compares the real client-go elector with lesim's on every
// scenario of the corpus. A disagreement fails the test unless it is one
// the package documentation explains (explained, below).
func TestCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 20 && os.Getenv("LESIM_CONFORMANCE_FILES") == "" {
		t.Fatalf("corpus has %d scenarios, want at least 20", len(corpus))
	}
	var rows []Row
	for _, raw := range corpus {
		t.Run(raw.Metadata.Name, func(t *testing.T) {
			sc, err := Prepare(raw)
			if err != nil {
				t.Fatal(err)
			}
			cmp, speed := runBoth(t, sc)
			row := NewRow(sc, cmp, speed)
			if testing.Verbose() {
				for _, iv := range cmp.Real.Leadership {
					t.Logf("real  %s %v..%v %s", iv.Node, iv.Start, iv.End, iv.EndReason)
				}
				for _, iv := range cmp.Lesim[0].Leadership {
					t.Logf("lesim %s %v..%v %s", iv.Node, iv.Start, iv.End, iv.EndReason)
				}
				for _, ch := range cmp.Checks {
					t.Logf("%-5v %-32s real %-12s lesim %-16s %s", ch.OK, ch.Name, ch.Real, ch.Lesim, ch.Note)
				}
			}
			if !cmp.Agree() {
				if why, ok := explained[sc.Metadata.Name]; ok {
					row.Explained = why
					t.Logf("explained disagreement: %s\n%s", why, cmp.Failures())
				} else {
					t.Errorf("real client-go and lesim disagree:\n%s", cmp.Failures())
				}
			}
			rows = append(rows, row)
		})
	}
	if *update && !t.Failed() {
		if err := WriteTable("../../docs/conformance.md", rows); err != nil {
			t.Fatal(err)
		}
	}
}

// explained lists the corpus scenarios whose disagreement is explained in
// the package documentation, with the reason. It is empty when lesim
// agrees everywhere.
var explained = map[string]string{}

// randomChecks is how many random scenarios TestRandomScenarios draws in
// `make test`; `make test-long` passes -rapid.checks itself.
const randomChecks = "40"

// randomSeeds is lesim's first seed count for random scenarios: more than
// for the corpus, since a random scenario may leave the next leader to
// jitter.
const randomSeeds = 16

// maxSeeds is how far CompareSeeds widens the sample when the real
// sequence of leaders is not among lesim's first runs: a random scenario
// with several races decided by jitter has many sequences, some rare.
const maxSeeds = 512

// TestRandomScenarios compares both electors on random zero-skew
// scenarios with partitions, crashes, stops, outages and latency spikes,
// drawn by the scenario package's generators; rapid shrinks a disagreement
// to a small scenario.
func TestRandomScenarios(t *testing.T) {
	gen := gen.Scenario(gen.Options{
		MinNodes: 2, MaxNodes: 2,
		// Whole-second timings keep RenewDeadline well above a round trip;
		// with sub-second ones and latency near RD the leader flaps on
		// every renewal and the sequence of leaders is jitter's alone.
		Timings:  gen.WholeSecondTimings(),
		Duration: 2 * time.Minute,
		MinRate:  1, MaxRate: 1,
		MaxLatency: 100 * time.Millisecond,
		FaultKinds: []scenarios.FaultType{scenarios.FaultPartition, scenarios.FaultCrash, scenarios.FaultStop,
			scenarios.FaultAPIOutage, scenarios.FaultLatency},
		Exclude: gen.AllFeatures,
	})
	rapid.Check(t, func(rt *rapid.T) {
		sc, err := Prepare(untie(gen.Draw(rt, "scenario")))
		if err != nil {
			rt.Fatalf("generator drew an incomparable scenario: %v", err)
		}
		var real *Outcome
		rapid.SyncTest(rt, func(rt *rapid.T) {
			if real, err = RunReal(sc, sc.Seed()); err != nil {
				rt.Fatal(err)
			}
		})
		cmp, _, err := CompareSeeds(sc, real, randomSeeds, maxSeeds)
		if err != nil {
			rt.Fatal(err)
		}
		if !cmp.Agree() {
			y, _ := sc.Marshal()
			rt.Fatalf("real client-go and lesim disagree:\n%s\n%s", cmp.Failures(), y)
		}
	})
}

// untie moves the generator's millisecond instants off each other by a few
// microseconds: node starts by 31 µs per node and fault instants by 13 µs.
// In the simulation two events at one instant run in the order they were
// scheduled; in a synctest bubble, goroutines woken at one instant run in
// the order the Go scheduler picks, so an exact tie (a partition beginning
// just as a request lands, two first Creates at once) has no one answer to
// agree on. Real clusters have no such ties.
func untie(sc *scenarios.Scenario) *scenarios.Scenario {
	for i := range sc.Spec.Nodes {
		sc.Spec.Nodes[i].Start.Duration += time.Duration(i) * 31 * time.Microsecond
	}
	for i := range sc.Spec.Faults {
		f := &sc.Spec.Faults[i]
		at := &f.At.Duration
		if f.End()+13*time.Microsecond <= sc.Spec.Duration.Duration {
			*at += 13 * time.Microsecond
		} else {
			*at -= 13 * time.Microsecond
		}
	}
	return sc
}
