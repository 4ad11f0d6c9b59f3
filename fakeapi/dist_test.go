package fakeapi

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
)

// TestDistributions draws 10^5 samples of each distribution and compares the
// sample mean and quantiles with closed forms (computed independently of
// the sampling code in the table, and of Quantile where written out).
func TestDistributions(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name string
		d    Distribution
		mean time.Duration             // expected mean
		qs   map[float64]time.Duration // expected quantiles
		tol  float64                   // relative tolerance
	}{
		{"fixed", Fixed(7 * ms), 7 * ms, map[float64]time.Duration{0.01: 7 * ms, 0.99: 7 * ms}, 0},
		{"uniform", Uniform(10*ms, 30*ms), 20 * ms, map[float64]time.Duration{0.25: 15 * ms, 0.5: 20 * ms, 0.9: 28 * ms}, 0.02},
		{"exponential", Exponential(20 * ms), 20 * ms, map[float64]time.Duration{0.5: dur(20e6 * math.Ln2), 0.99: dur(20e6 * math.Log(100))}, 0.03},
		{"normal", Normal(50*ms, 10*ms), 50 * ms, map[float64]time.Duration{0.5: 50 * ms, 0.8413: 60 * ms, 0.0228: 30 * ms}, 0.03},
		// Truncation at 0 moves the mean up: μ + σφ(0)/(1−Φ(0)) = σ√(2/π) for μ = 0.
		{"normal truncated", Normal(0, 10*ms), dur(10e6 * math.Sqrt(2/math.Pi)), map[float64]time.Duration{0.5: dur(10e6 * 0.6745)}, 0.03},
		{"lognormal", LogNormal(40*ms, 0.5), dur(40e6 * math.Exp(0.125)), map[float64]time.Duration{0.5: 40 * ms, 0.8413: dur(40e6 * math.Exp(0.5))}, 0.03},
		{"lognormal mean", LogNormalMean(30*ms, 15*ms), 30 * ms, nil, 0.03},
		{"pareto", Pareto(10*ms, 3), 15 * ms, map[float64]time.Duration{0.5: time.Duration(10e6 * math.Pow(2, 1.0/3)), 0.99: time.Duration(10e6 * math.Pow(100, 1.0/3))}, 0.04},
		{"pareto capped", Pareto(10*ms, 1).Capped(100 * ms), dur(10e6 * (1 + math.Log(10))), map[float64]time.Duration{0.5: 20 * ms, 0.95: 100 * ms}, 0.04},
		{"exponential capped", Exponential(20 * ms).Capped(20 * ms), dur(20e6 * (1 - math.Exp(-1))), map[float64]time.Duration{0.7: 20 * ms}, 0.03},
	}
	const n = 100_000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.d.Validate(); err != nil {
				t.Fatal(err)
			}
			r := sim.NewStream(1, "dist/"+c.name)
			xs := make([]time.Duration, n)
			var sum float64
			for i := range xs {
				xs[i] = c.d.Sample(r)
				if xs[i] < 0 {
					t.Fatalf("negative sample %v", xs[i])
				}
				if c.d.Cap > 0 && xs[i] > c.d.Cap {
					t.Fatalf("sample %v above cap", xs[i])
				}
				sum += float64(xs[i])
			}
			slices.Sort(xs)
			near := func(what string, got, want time.Duration) {
				t.Helper()
				if d := math.Abs(float64(got - want)); d > c.tol*float64(want)+1 {
					t.Errorf("%s = %v, want %v ± %.0f%%", what, got, want, 100*c.tol)
				}
			}
			near("mean", time.Duration(sum/n), c.mean)
			if c.d.Cap == 0 {
				near("MeanValue", c.d.MeanValue(), c.mean)
			}
			for p, want := range c.qs {
				near("sample quantile", xs[int(p*n)], want)
				near("Quantile", c.d.Quantile(p), want)
			}
		})
	}
}

func TestDistributionValidate(t *testing.T) {
	bad := []Distribution{
		{Kind: "zipf"},
		Uniform(3, 2),
		{Kind: DistPareto, Scale: 0, Shape: 2},
		{Kind: DistPareto, Scale: 1, Shape: 0},
		{Kind: DistLogNormal, Sigma: -1},
		Fixed(-1),
		Exponential(5).Capped(-1),
	}
	for _, d := range bad {
		if d.Validate() == nil {
			t.Errorf("%v: Validate accepted it", d)
		}
	}
	if (Distribution{}).Validate() != nil || (Distribution{}).Sample(nil) != 0 {
		t.Error("the zero Distribution must be a valid zero latency")
	}
	// Extreme tails saturate instead of overflowing.
	r := sim.NewStream(1, "x")
	for range 1000 {
		if v := Pareto(time.Hour, 0.01).Sample(r); v < 0 {
			t.Fatal("overflow")
		}
	}
}

func dur(ns float64) time.Duration { return time.Duration(math.Round(ns)) }
