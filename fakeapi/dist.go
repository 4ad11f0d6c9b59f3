package fakeapi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// DistKind names a latency distribution.
type DistKind string

// The distributions. The zero DistKind behaves as DistFixed, so a zero
// Distribution is "no latency".
const (
	DistFixed       DistKind = "fixed"       // Value
	DistUniform     DistKind = "uniform"     // integer-uniform on [Min, Max]
	DistExponential DistKind = "exponential" // Mean
	DistNormal      DistKind = "normal"      // Mean, Stddev, truncated to ≥ 0 by rejection
	DistLogNormal   DistKind = "lognormal"   // ln(X/1s) ~ N(Mu, Sigma²)
	DistPareto      DistKind = "pareto"      // scale Scale (xm, the minimum), shape Shape (α)
)

// Distribution is a distribution of durations (API latency, service time).
// Only the fields of its Kind are read. Cap, when positive, clamps samples
// from above (a sample larger than Cap returns Cap: the tail mass piles up at
// Cap, it is not redrawn), which keeps heavy tails finite.
//
// The lognormal is parameterised on seconds: its median is exp(Mu) seconds.
// LogNormal and LogNormalMean build one from a median or from a mean and
// standard deviation.
type Distribution struct {
	Kind   DistKind
	Value  time.Duration
	Min    time.Duration
	Max    time.Duration
	Mean   time.Duration
	Stddev time.Duration
	Mu     float64
	Sigma  float64
	Scale  time.Duration
	Shape  float64
	Cap    time.Duration
}

// Fixed is always d.
func Fixed(d time.Duration) Distribution { return Distribution{Kind: DistFixed, Value: d} }

// Uniform is uniform on [min, max].
func Uniform(min, max time.Duration) Distribution {
	return Distribution{Kind: DistUniform, Min: min, Max: max}
}

// Exponential has the given mean.
func Exponential(mean time.Duration) Distribution {
	return Distribution{Kind: DistExponential, Mean: mean}
}

// Normal is N(mean, stddev²) truncated to non-negative values.
func Normal(mean, stddev time.Duration) Distribution {
	return Distribution{Kind: DistNormal, Mean: mean, Stddev: stddev}
}

// LogNormal has the given median and log-space standard deviation sigma.
func LogNormal(median time.Duration, sigma float64) Distribution {
	return Distribution{Kind: DistLogNormal, Mu: math.Log(median.Seconds()), Sigma: sigma}
}

// LogNormalMean is the lognormal with the given mean and standard deviation.
func LogNormalMean(mean, stddev time.Duration) Distribution {
	m, s := mean.Seconds(), stddev.Seconds()
	s2 := math.Log1p(s * s / (m * m))
	return Distribution{Kind: DistLogNormal, Mu: math.Log(m) - s2/2, Sigma: math.Sqrt(s2)}
}

// Pareto has minimum xm and tail index alpha (infinite mean for alpha ≤ 1,
// infinite variance for alpha ≤ 2: use a Cap).
func Pareto(xm time.Duration, alpha float64) Distribution {
	return Distribution{Kind: DistPareto, Scale: xm, Shape: alpha}
}

// Capped returns d with samples clamped to at most cap.
func (d Distribution) Capped(cap time.Duration) Distribution { d.Cap = cap; return d }

// maxDuration bounds samples so that heavy tails cannot overflow time.
const maxDuration = time.Duration(math.MaxInt64 / 4)

// Validate reports parameters that cannot be sampled.
func (d Distribution) Validate() error {
	if d.Cap < 0 {
		return fmt.Errorf("%s: cap must not be negative", d.Kind)
	}
	switch d.Kind {
	case "", DistFixed:
		if d.Value < 0 {
			return fmt.Errorf("fixed: value must not be negative")
		}
	case DistUniform:
		if d.Min < 0 || d.Max < d.Min {
			return fmt.Errorf("uniform: need 0 ≤ min ≤ max, got [%v, %v]", d.Min, d.Max)
		}
	case DistExponential:
		if d.Mean < 0 {
			return fmt.Errorf("exponential: mean must not be negative")
		}
	case DistNormal:
		if d.Stddev < 0 {
			return fmt.Errorf("normal: stddev must not be negative")
		}
		if d.Mean < 0 && d.Stddev == 0 {
			return fmt.Errorf("normal: a negative mean needs a positive stddev")
		}
	case DistLogNormal:
		if !(d.Sigma >= 0) || math.IsInf(d.Sigma, 0) || math.IsNaN(d.Mu) || math.IsInf(d.Mu, 0) {
			return fmt.Errorf("lognormal: need finite mu and sigma ≥ 0, got mu=%v sigma=%v", d.Mu, d.Sigma)
		}
	case DistPareto:
		if d.Scale <= 0 || !(d.Shape > 0) || math.IsInf(d.Shape, 0) {
			return fmt.Errorf("pareto: need scale > 0 and shape > 0, got scale=%v shape=%v", d.Scale, d.Shape)
		}
	default:
		return fmt.Errorf("unknown distribution kind %q", d.Kind)
	}
	return nil
}

// Sample draws one duration from r. A fixed distribution draws nothing from
// r. Invalid parameters give 0 (Validate catches them up front).
func (d Distribution) Sample(r *rand.Rand) time.Duration { return d.sample(r) }

// sample is Sample on a pointer, so that the per-request path does not copy
// the struct.
func (d *Distribution) sample(r *rand.Rand) time.Duration {
	var x time.Duration
	switch d.Kind {
	case "", DistFixed:
		x = d.Value
	case DistUniform:
		if d.Max > d.Min {
			x = d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
		} else {
			x = d.Min
		}
	case DistExponential:
		x = fromNanos(float64(d.Mean) * r.ExpFloat64())
	case DistNormal:
		// Rejection keeps the shape of the normal above zero (a clamp would
		// put a point mass at 0). The bound on tries only matters for a mean
		// far below zero, which Validate allows but nobody means.
		x = 0
		for range 64 {
			v := float64(d.Mean) + float64(d.Stddev)*r.NormFloat64()
			if v >= 0 {
				x = fromNanos(v)
				break
			}
		}
	case DistLogNormal:
		x = fromNanos(1e9 * math.Exp(d.Mu+d.Sigma*r.NormFloat64()))
	case DistPareto:
		u := 1 - r.Float64() // (0, 1]: never divides by zero
		x = fromNanos(float64(d.Scale) * math.Pow(u, -1/d.Shape))
	}
	if d.Cap > 0 && x > d.Cap {
		x = d.Cap
	}
	if x < 0 {
		x = 0
	}
	return x
}

func fromNanos(v float64) time.Duration {
	if !(v > 0) {
		return 0
	}
	if v >= float64(maxDuration) {
		return maxDuration
	}
	return time.Duration(math.Round(v))
}

// MeanValue is the distribution's mean, ignoring Cap (+Inf as a Duration is
// not representable: an infinite mean returns the maximum duration).
func (d Distribution) MeanValue() time.Duration {
	switch d.Kind {
	case "", DistFixed:
		return d.Value
	case DistUniform:
		return (d.Min + d.Max) / 2
	case DistExponential:
		return d.Mean
	case DistNormal:
		if d.Stddev == 0 {
			return d.Mean
		}
		// Mean of N(μ, σ²) truncated to [0, ∞): μ + σ·φ(a)/(1−Φ(a)), a = −μ/σ.
		mu, s := float64(d.Mean), float64(d.Stddev)
		a := -mu / s
		return fromNanos(mu + s*stdNormPDF(a)/(1-stdNormCDF(a)))
	case DistLogNormal:
		return fromNanos(1e9 * math.Exp(d.Mu+d.Sigma*d.Sigma/2))
	case DistPareto:
		if d.Shape <= 1 {
			return maxDuration
		}
		return fromNanos(float64(d.Scale) * d.Shape / (d.Shape - 1))
	}
	return 0
}

// Quantile is the p-quantile (0 < p < 1), Cap included: reports quote
// latency percentiles from the configuration with it.
func (d Distribution) Quantile(p float64) time.Duration {
	var x time.Duration
	switch d.Kind {
	case "", DistFixed:
		x = d.Value
	case DistUniform:
		x = d.Min + fromNanos(p*float64(d.Max-d.Min))
	case DistExponential:
		x = fromNanos(-float64(d.Mean) * math.Log1p(-p))
	case DistNormal:
		if d.Stddev == 0 {
			x = d.Mean
			break
		}
		mu, s := float64(d.Mean), float64(d.Stddev)
		lo := stdNormCDF(-mu / s)
		x = fromNanos(mu + s*stdNormInv(lo+p*(1-lo)))
	case DistLogNormal:
		x = fromNanos(1e9 * math.Exp(d.Mu+d.Sigma*stdNormInv(p)))
	case DistPareto:
		x = fromNanos(float64(d.Scale) * math.Pow(1-p, -1/d.Shape))
	}
	if d.Cap > 0 && x > d.Cap {
		x = d.Cap
	}
	return x
}

// Bounds is the range an adversary may choose a value of d from: the
// support for fixed and uniform distributions; for unbounded ones from 0
// (the lower end for normal, which is rejected below 0, and exponential;
// the scale for Pareto; 0 for lognormal) up to the Cap, or the 0.999
// quantile without one — an adversary picking the far tail every time
// would judge an environment no real network is.
func (d *Distribution) Bounds() (lo, hi time.Duration) {
	switch d.Kind {
	case "", DistFixed:
		return d.Value, d.Value
	case DistUniform:
		return d.Min, max(d.Min, d.Max)
	case DistPareto:
		lo = d.Scale
	}
	hi = d.Cap
	if hi <= 0 {
		hi = d.Quantile(0.999)
	}
	return min(lo, hi), hi
}

// String is a compact description for logs and reports.
func (d Distribution) String() string {
	var s string
	switch d.Kind {
	case "", DistFixed:
		s = fmt.Sprintf("fixed(%v)", d.Value)
	case DistUniform:
		s = fmt.Sprintf("uniform(%v,%v)", d.Min, d.Max)
	case DistExponential:
		s = fmt.Sprintf("exponential(mean=%v)", d.Mean)
	case DistNormal:
		s = fmt.Sprintf("normal(mean=%v,stddev=%v)", d.Mean, d.Stddev)
	case DistLogNormal:
		s = fmt.Sprintf("lognormal(mu=%g,sigma=%g)", d.Mu, d.Sigma)
	case DistPareto:
		s = fmt.Sprintf("pareto(xm=%v,alpha=%g)", d.Scale, d.Shape)
	default:
		s = string(d.Kind)
	}
	if d.Cap > 0 {
		s += fmt.Sprintf(" cap %v", d.Cap)
	}
	return s
}

func stdNormPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
func stdNormCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func stdNormInv(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
