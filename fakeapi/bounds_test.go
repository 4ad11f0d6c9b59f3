package fakeapi

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestBounds: an adversary's range for each family is its support: fixed
// and uniform exactly, the others from their lower end up to the cap or,
// uncapped, the 0.999 quantile; and every draw of a capped family lies in
// it.
func TestBounds(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		d      Distribution
		lo, hi time.Duration
	}{
		{Fixed(5 * ms), 5 * ms, 5 * ms},
		{Uniform(2*ms, 9*ms), 2 * ms, 9 * ms},
		{Exponential(10 * ms).Capped(50 * ms), 0, 50 * ms},
		{Exponential(10 * ms), 0, Exponential(10 * ms).Quantile(0.999)},
		{Pareto(3*ms, 2).Capped(40 * ms), 3 * ms, 40 * ms},
		{LogNormal(4*ms, 0.5).Capped(30 * ms), 0, 30 * ms},
	} {
		lo, hi := c.d.Bounds()
		if lo != c.lo || hi != c.hi {
			t.Errorf("%v: bounds [%v, %v], want [%v, %v]", c.d, lo, hi, c.lo, c.hi)
		}
		if c.d.Cap == 0 && c.d.Kind != DistFixed && c.d.Kind != DistUniform {
			continue
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 1000 {
			if x := c.d.Sample(r); x < lo || x > hi {
				t.Fatalf("%v: draw %v outside [%v, %v]", c.d, x, lo, hi)
			}
		}
	}
}
