package scenarios

import (
	"math/rand/v2"
	"time"
)

// Sample draws one duration from d; a nil distribution is always 0. It
// samples exactly as the simulated API server does (the scenario's
// distribution is converted to fakeapi's, which owns the semantics):
//   - fixed: value.
//   - uniform: uniform on [min, max] at nanosecond resolution.
//   - exponential: exponential with the given mean.
//   - normal: mean + stddev·Z, Z standard normal, truncated at 0 (negative
//     draws are redrawn, so there is no point mass at 0).
//   - lognormal: median·exp(sigma·Z), Z standard normal.
//   - pareto: scale·U^(-1/shape), U uniform on (0, 1]: at least scale, with
//     P(X > x) = (scale/x)^shape; shape <= 1 has no finite mean.
//
// Every family except uniform is then capped at max when max is set.
func (d *Distribution) Sample(r *rand.Rand) time.Duration {
	if d == nil {
		return 0
	}
	return toDist(d).Sample(r)
}
