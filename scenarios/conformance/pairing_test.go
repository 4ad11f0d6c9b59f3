package conformance

import (
	mathrand "math/rand"
	randv2 "math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios/check"
)

var testRetryPeriods = []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second}

// goOneSource gives the elector's math/rand/v2 Float64 the Go 1 values
// client-go draws: the acquire waits agree on all but a handful of a
// million draws. A v2 source seeded alike (the wrong input) agrees on none.
func TestGoOneSourceDurations(t *testing.T) {
	const n = 1 << 20
	if m := jitterMismatches(1, n, testRetryPeriods); m > 5 {
		t.Errorf("%d of %d waits differ between Go 1's Float64 and goOneSource's", m, n)
	}
	wrong := randv2.New(randv2.NewPCG(1, 0))
	goOne := newSharedJitter(1).src
	same := 0
	for range 1000 {
		if jitterWait(time.Second, goOne.Float64()) == jitterWait(time.Second, wrong.Float64()) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("an unrelated v2 source gave the Go 1 wait %d times of 1000", same)
	}
}

// The shared source is one stream for every node, in the order they draw,
// with the discarded draws client-go's loop makes after an acquiring try
// and after a try that a stop or crash cut short.
func TestSharedJitterOrderAndDiscards(t *testing.T) {
	want := newSharedJitter(9).src
	j := newSharedJitter(9)
	a, b := j.forNode("a"), j.forNode("b")
	expect := func(got float64, what string) {
		t.Helper()
		if w := want.Float64(); jitterWait(2*time.Second, got) != jitterWait(2*time.Second, w) {
			t.Errorf("%s: got %v, want the stream's next value %v", what, got, w)
		}
	}
	expect(a.Float64(), "a's first draw")
	expect(b.Float64(), "b's first draw")
	j.observe(traceEvent("a", "try-started", "acquire"))
	j.observe(traceEvent("a", "became-leader", ""))
	want.Float64() // the draw after the acquiring try
	expect(b.Float64(), "b's draw after a acquired")
	j.observe(traceEvent("b", "try-started", "acquire"))
	j.observe(traceEvent("b", "stopped-leading", ""))
	want.Float64()                                    // the draw after the try the stop cut short
	j.observe(traceEvent("a", "process-crashed", "")) // a leads: no try in flight, no draw
	expect(b.Float64(), "b's draw after its stop")
	if j.draws != 6 {
		t.Errorf("%d draws, want 6", j.draws)
	}
}

// Runs that differ only where a tie coin was flipped are explained; a
// difference without one is not, and more than the allowed share fails.
func TestPairRuns(t *testing.T) {
	mk := func(end time.Duration, flips int) *outcome {
		return &outcome{duration: time.Minute, tieFlips: flips, calls: map[string]fakeapi.Counts{"a": {Update: 3}},
			leadership: []interval{{node: "a", start: 0, end: end}}}
	}
	real := []*outcome{mk(10, 0), mk(10, 0), mk(10, 0)}
	p := pairRuns(100, real, []*outcome{mk(10, 0), mk(11, 1), mk(12, 0)})
	if p.identical != 1 || p.tieRace != 1 || len(p.unexplained) != 1 || p.unexplained[0] != 102 {
		t.Errorf("pairing %+v, want 1 identical, 1 tie race, seed 102 unexplained", p)
	}
	if p.ok() {
		t.Error("one unexplained seed of three passed")
	}
	if !pairRuns(100, real, real).ok() {
		t.Error("identical runs failed")
	}
}

func traceEvent(node, kind, detail string) check.TraceEvent {
	return check.TraceEvent{Node: node, Kind: kind, Detail: detail}
}

// The real run draws from the global math/rand exactly the values the
// lesim run on the same seed takes from its shared source: the global
// source's next value at the end of a real run is the shared stream's
// after as many draws as lesim made. This fails if anything else in the bubble
// draws from the global source, or if the draws client-go's loop throws
// away were not made up on lesim's side (one draw fewer or more does not
// match).
func TestRealDrawsAsManyAsShared(t *testing.T) {
	checked := 0
	for _, sc := range loadCorpus(t) {
		for seed := sc.Seed(); seed < sc.Seed()+2; seed++ {
			var real *outcome
			var err error
			synctest.Test(t, func(*testing.T) { real, err = runReal(sc, seed) })
			if err != nil {
				t.Fatal(err)
			}
			lesim, err := runLesim(sc, seed)
			if err != nil {
				t.Fatal(err)
			}
			if !sameOutcome(real, lesim) {
				continue // a tie race: the two runs took different paths
			}
			checked++
			after := func(draws int) int64 {
				src := mathrand.New(mathrand.NewSource(int64(seed)))
				for range draws {
					src.Float64()
				}
				return src.Int63()
			}
			if after(lesim.jitterDraws) != real.jitterNext {
				t.Errorf("%s seed %d: the real run's draws from the global math/rand are not lesim's %d", sc.Metadata.Name, seed, lesim.jitterDraws)
			}
			if lesim.jitterDraws > 0 && (after(lesim.jitterDraws-1) == real.jitterNext || after(lesim.jitterDraws+1) == real.jitterNext) {
				t.Errorf("%s seed %d: one draw more or fewer matches too: the check cannot tell", sc.Metadata.Name, seed)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no seed had the same outcome on both sides")
	}
}
