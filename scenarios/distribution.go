package scenarios

import (
	"math"
	"math/rand/v2"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Sample draws one duration from d; a nil distribution is always 0.
//
// The semantics, which SchemaDoc repeats:
//   - fixed: value.
//   - uniform: uniform on [min, max).
//   - exponential: exponential with the given mean.
//   - normal: mean + stddev·Z, Z standard normal; a negative draw counts as
//     0 (clamped rather than redrawn, so every sample costs the same draws).
//   - lognormal: median·exp(sigma·Z), Z standard normal.
//   - pareto: scale·U^(-1/shape), U uniform on (0, 1]: at least scale, with
//     P(X > x) = (scale/x)^shape; shape <= 1 has no finite mean.
//
// Every family then caps the draw at max when max is set. Each call makes
// one draw from r (none for fixed), so that a stream shared by several
// distributions stays aligned across configurations.
func (d *Distribution) Sample(r *rand.Rand) time.Duration {
	if d == nil {
		return 0
	}
	var x float64
	switch d.Type {
	case DistFixed:
		x = durf(d.Value)
	case DistUniform:
		lo, hi := durf(d.Min), durf(d.Max)
		x = lo + r.Float64()*(hi-lo)
	case DistExponential:
		x = r.ExpFloat64() * durf(d.Mean)
	case DistNormal:
		x = durf(d.Mean) + r.NormFloat64()*durf(d.Stddev)
	case DistLogNormal:
		x = durf(d.Median) * math.Exp(numf(d.Sigma)*r.NormFloat64())
	case DistPareto:
		u := 1 - r.Float64()
		x = durf(d.Scale) * math.Pow(u, -1/numf(d.Shape))
	}
	if d.Max != nil && x > durf(d.Max) {
		x = durf(d.Max)
	}
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	}
	return time.Duration(math.Round(x))
}

func durf(d *metav1.Duration) float64 {
	if d == nil {
		return 0
	}
	return float64(d.Duration)
}

func numf(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
