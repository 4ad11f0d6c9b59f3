package conformance

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
)

func uniformSample(r *rand.Rand, n int, lo, width float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + width*r.Float64()
	}
	return out
}

// The KS test must find a 0.5 s shift of a 2.4 s-wide jitter window at
// N = 500 and must not find a difference between two draws of one window.
func TestKSFindsShiftNotNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := uniformSample(r, 500, 2, 2.4)
	same := ksTest(x, uniformSample(r, 500, 2, 2.4))
	if same.p < 0.01 {
		t.Errorf("two draws of one distribution: p = %.3g, want ≥ 0.01", same.p)
	}
	shifted := ksTest(x, uniformSample(r, 500, 1.5, 2.4))
	if shifted.p > 1e-6 || shifted.effect < 0.4 || shifted.effect > 0.8 {
		t.Errorf("0.5 s shift: p = %.3g (want < 1e-6), effect %.3f s (want 0.4–0.8: a decile gap of noisy samples)", shifted.p, shifted.effect)
	}
	// The jitter-1.0 mutant's window [2, 4) against [2, 4.4): a stretch.
	stretched := ksTest(x, uniformSample(r, 500, 2, 2.0))
	if stretched.p > 1e-3 || stretched.effect < 0.2 {
		t.Errorf("stretch 2.4→2.0: p = %.3g, effect %.3f s", stretched.p, stretched.effect)
	}
}

// kolmogorovQ against published values of the Kolmogorov distribution:
// Q(1.3581) ≈ 0.05, Q(1.6276) ≈ 0.01 (the 5 % and 1 % critical values), Q(0.5) ≈ 0.9639.
func TestKolmogorovQ(t *testing.T) {
	for _, c := range []struct{ lambda, want float64 }{{1.3581, 0.0500}, {1.6276, 0.0100}, {0.5, 0.9639}, {0.1, 1}} {
		if got := kolmogorovQ(c.lambda); math.Abs(got-c.want) > 5e-4 {
			t.Errorf("Q(%v) = %.4f, want %.4f", c.lambda, got, c.want)
		}
	}
}

// 76 % against 66 % overlap at N = 500 differs; 76 % against 76 % does not.
func TestProportionTest(t *testing.T) {
	if r := proportionTest(380, 500, 330, 500); r.p > 1e-3 || math.Abs(r.effect-10) > 1e-9 {
		t.Errorf("76%% vs 66%%: p %.3g, effect %.2f pt", r.p, r.effect)
	}
	if r := proportionTest(380, 500, 380, 500); r.p != 1 || r.effect != 0 {
		t.Errorf("equal rates: p %.3g, effect %.2f", r.p, r.effect)
	}
	if r := proportionTest(0, 500, 0, 500); r.p != 1 {
		t.Errorf("both zero: p %.3g, want 1", r.p)
	}
}

func TestChiSquareTest(t *testing.T) {
	rep := func(s string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	x := append(rep("a b", 300), rep("a", 200)...)
	if r := chiSquareTest(x, append(rep("a b", 300), rep("a", 200)...)); r.p < 0.99 || r.effect != 0 {
		t.Errorf("same sequences: p %.3g, effect %.2f", r.p, r.effect)
	}
	r := chiSquareTest(x, append(rep("a b", 200), rep("a", 300)...))
	if r.p > 1e-6 || math.Abs(r.effect-20) > 1e-9 {
		t.Errorf("60/40 vs 40/60: p %.3g, effect %.2f pt (want 20)", r.p, r.effect)
	}
}

// The sign test: equal pairs say nothing; 12 pairs all later one way are
// significant (2·2⁻¹² ≈ 5·10⁻⁴); 6 one way and 6 the other are not.
func TestSignTest(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	if r := signTest(x, x); r.p != 1 || r.effect != 0 {
		t.Errorf("identical pairs: p %.3g effect %.3g", r.p, r.effect)
	}
	y := slices.Clone(x)
	for i := range 12 {
		y[i] -= 0.2
	}
	if r := signTest(x, y); math.Abs(r.p-2*math.Pow(0.5, 12)) > 1e-12 || r.effect != 60 {
		t.Errorf("12 of 20 later: p %.3g (want %.3g) effect %.3g (want 60)", r.p, 2*math.Pow(0.5, 12), r.effect)
	}
	for i := range 6 {
		y[i] += 0.4
	}
	if r := signTest(x, y); r.p < 0.5 || r.effect != 0 {
		t.Errorf("6 later, 6 earlier: p %.3g effect %.3g", r.p, r.effect)
	}
}

// McNemar's exact test against a worked value: 1 against 9 discordant
// pairs is P = 2·P(Bin(10, ½) ≤ 1) = 22/1024.
func TestMcNemarTest(t *testing.T) {
	if r := mcnemarTest(1, 9, 100); math.Abs(r.p-22.0/1024) > 1e-12 || math.Abs(r.effect-8) > 1e-12 {
		t.Errorf("1 vs 9 of 100: p %.6g (want %.6g), effect %.3g (want 8)", r.p, 22.0/1024, r.effect)
	}
	if r := mcnemarTest(5, 5, 100); r.p != 1 {
		t.Errorf("5 vs 5: p %.3g, want 1", r.p)
	}
	if k := minDiscordant(0.001); k != 11 {
		t.Errorf("minDiscordant(0.001) = %d, want 11 (2·2⁻¹⁰ > 1e-3 > 2·2⁻¹¹)", k)
	}
}

// Holm against a worked example: p = (0.01, 0.04, 0.03, 0.005) adjusts to
// (0.03, 0.06, 0.06, 0.02).
func TestHolm(t *testing.T) {
	got := holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("holm = %v, want %v", got, want)
		}
	}
}

// A deliberately wrong "lesim" side (every acquisition 300 ms late, on
// the same draws) must differ from the real outcomes; the same draws, or
// other draws of the same distribution, must agree.
func TestCompareScenarioFindsWrongSide(t *testing.T) {
	sc := scenarios.New()
	sc.Metadata.Name = "synthetic"
	sc.Spec.Duration.Duration = time.Minute
	sc.Spec.Nodes = []scenarios.Node{{Name: "a"}, {Name: "b"}}
	sc.Spec.Faults = []scenarios.Fault{{Type: scenarios.FaultCrash}}
	sc.Spec.Faults[0].At.Duration = 20 * time.Second
	mk := func(seed uint64, late time.Duration) []*outcome {
		r := rand.New(rand.NewPCG(seed, 4))
		var out []*outcome
		for range 200 {
			take := 20*time.Second + 15*time.Second + time.Duration(r.Float64()*float64(2400*time.Millisecond)) + late
			out = append(out, &outcome{duration: time.Minute, calls: map[string]fakeapi.Counts{"a": {Get: 1}, "b": {Get: 30}},
				leadership: []interval{{node: "a", end: 20 * time.Second, endReason: "crashed"},
					{node: "b", start: take, end: time.Minute, endReason: "run-end"}}})
		}
		return out
	}
	real := mk(3, 0)
	check := func(lesim []*outcome) bool {
		cs := compareScenario(sc, real, lesim)
		applyHolm(cs)
		for i := range cs {
			if cs[i].differs() {
				return true
			}
		}
		return false
	}
	if check(mk(3, 0)) {
		t.Error("the same draws differ")
	}
	if check(mk(5, 0)) {
		t.Error("two draws of one distribution differ")
	}
	if !check(mk(3, 300*time.Millisecond)) {
		t.Error("acquisitions 300 ms late were not found")
	}
	if !check(mk(3, time.Millisecond)) {
		t.Error("acquisitions 1 ms late on every seed were not found by the paired test")
	}
}

// A request count one higher in half of the runs is significant at large N
// but below the one-request floor on the mean; one higher in every run is not.
func TestCountEffectIsMeanDifference(t *testing.T) {
	x, half, all := make([]float64, 400), make([]float64, 400), make([]float64, 400)
	for i := range x {
		x[i] = float64(35 + i%3)
		half[i], all[i] = x[i]+float64(i%2), x[i]+1
	}
	if r := ksCountTest(x, half); math.Abs(r.effect-0.5) > 1e-9 {
		t.Errorf("one more in half the runs: effect %.3f, want 0.5", r.effect)
	}
	if r := ksCountTest(x, all); r.effect < floorRequests || r.p > 1e-9 {
		t.Errorf("one more in every run: effect %.3f, p %.3g", r.effect, r.p)
	}
}
