package sim

import (
	"fmt"
	"math"
	"time"
)

// Clock rates are bounded so that every conversion between true and local
// time stays exact and inside int64 for any run whose readings fit (see
// MaxReading): outside [MinRate, MaxRate] a nanosecond of one clock is a
// thousand or more of the other, which models no real oscillator.
const (
	// MinRate is the slowest clock rate a node may have: one local
	// second per 1000 true seconds.
	MinRate = 1e-3
	// MaxRate is the fastest: 1000 local seconds per true second.
	MaxRate = 1e3
)

// MaxReading bounds every true and local time of a run (about 146 years),
// half of what a time.Duration holds: a timer set at a reading within the
// bound for a duration within the bound still has a deadline inside int64.
// Scenario validation rejects runs whose readings could pass it.
const MaxReading = time.Duration(1 << 62)

// Never is the true time TrueAt reports for a local reading the clock does
// not reach before time.Duration runs out: later than any run's end.
const Never = time.Duration(math.MaxInt64)

// CheckRate reports whether rate is a clock rate a node may have.
func CheckRate(rate float64) error {
	if !(rate >= MinRate && rate <= MaxRate) {
		return fmt.Errorf("clock rate %v is outside [%v, %v]", rate, MinRate, MaxRate)
	}
	return nil
}

// local is the segment's reading at true time t: localStart plus the
// elapsed true time scaled by the rate.
//
// The scaled part is floor(float64(t-trueStart) × rate) as IEEE arithmetic
// computes it, rounding included: that function is what the clock is
// defined as (every recorded trace depends on it), and it is monotone in t,
// which is all TrueAt needs to invert it exactly. It truncates rather than
// rounds, so a timer never fires before the exact instant. A reading that
// would leave int64 panics: validation keeps runs far from it.
func (sg segment) local(t time.Duration) time.Duration {
	l, ok := sg.localChecked(t)
	if !ok {
		panic(fmt.Sprintf("sim: local time overflows at true time %d ns (rate %v, segment from %d ns at local %d ns)", t, sg.rate, sg.trueStart, sg.localStart))
	}
	return l
}

// newSegment is the segment from trueStart at localStart with rate, with
// the range of true times where its reading needs no overflow checks.
func newSegment(trueStart, localStart time.Duration, rate float64) segment {
	sg := segment{trueStart: trueStart, localStart: localStart, rate: rate}
	// Within ±2^62 at the start and for dt·rate < 2^61, the reading stays
	// below 2^62 + 2^61(1+ε) < 2^63 in magnitude, and t - trueStart cannot
	// wrap into [0, safe) (see localChecked).
	const lim = 1 << 61
	if trueStart <= -MaxReading || trueStart >= MaxReading || localStart <= -MaxReading || localStart >= MaxReading {
		return sg
	}
	sg.safe = uint64(min(lim/rate, float64(MaxReading)))
	return sg
}

// localChecked is local, reporting instead of panicking when the reading
// would leave int64 (ok false).
func (sg segment) localChecked(t time.Duration) (time.Duration, bool) {
	if l, ok := sg.unchecked(t); ok {
		return l, true
	}
	dt, ok := sub(t, sg.trueStart)
	if !ok {
		return 0, false
	}
	if sg.rate == 1 {
		return add(sg.localStart, dt)
	}
	x := math.Floor(float64(dt) * sg.rate)
	// ±2^63 are exact in float64; everything strictly inside converts.
	if !(x > -(1<<63) && x < 1<<63) {
		return 0, false
	}
	return add(sg.localStart, time.Duration(x))
}

// unchecked is the reading at t in the common case, t less than safe
// after the start, where neither the difference, the product nor the sum
// can overflow (a t before the start wraps to at least 2^62 as uint64,
// beyond safe); ok false elsewhere. It is small enough to inline.
func (sg *segment) unchecked(t time.Duration) (time.Duration, bool) {
	dt := t - sg.trueStart
	if uint64(dt) >= sg.safe {
		return 0, false
	}
	if sg.rate == 1 {
		return sg.localStart + dt, true // exact beyond float64's 2^53
	}
	return sg.localStart + time.Duration(math.Floor(float64(dt)*sg.rate)), true
}

// reaches reports whether the reading at true time t is at least l; a
// reading past int64 counts as reaching every l.
func (sg segment) reaches(t, l time.Duration) bool {
	got, ok := sg.localChecked(t)
	return !ok || got >= l
}

// trueAt is the least true time t > after at which the segment reads at
// least l, given that it reads less than l at after; Never when no such t
// fits in int64.
//
// It is exact for the local function above: from an estimate (which is the
// answer, or off by a few nanoseconds, whenever the numbers are exactly
// representable), it widens a bracket [lo, hi] with local(lo) < l <=
// local(hi) by doubling steps and then bisects it, so it takes at most a
// few dozen evaluations whatever the rate and the magnitudes.
func (sg segment) trueAt(after, l time.Duration) time.Duration {
	if sg.rate == 1 {
		dl, ok1 := sub(l, sg.localStart)
		t, ok2 := add(sg.trueStart, dl)
		if !ok1 || !ok2 {
			return Never
		}
		return max(t, after+1)
	}
	est, estOK := sg.estimate(l)
	// Usually the estimate is the answer: the first instant reaching l.
	if estOK && est > after && sg.reaches(est, l) && (est-1 == after || !sg.reaches(est-1, l)) {
		return est
	}
	lo, hi := after, Never
	if !sg.reaches(hi, l) {
		return Never
	}
	if estOK && est > lo && est < hi {
		if sg.reaches(est, l) {
			hi = est
			// The answer is at most a little below: widen downwards.
			for step := time.Duration(1); ; step *= 2 {
				if step > 1<<61 || uint64(step) >= span(lo, hi) {
					break
				}
				c := hi - step
				if !sg.reaches(c, l) {
					lo = c
					break
				}
				hi = c
			}
		} else {
			lo = est
			for step := time.Duration(1); step <= 1<<61 && uint64(step) <= span(lo, hi); step *= 2 {
				c := lo + step
				if sg.reaches(c, l) {
					hi = c
					break
				}
				lo = c
			}
		}
	}
	for span(lo, hi) > 1 {
		mid := lo + time.Duration(span(lo, hi)/2)
		if sg.reaches(mid, l) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// span is hi - lo for lo <= hi, which may exceed math.MaxInt64.
func span(lo, hi time.Duration) uint64 { return uint64(hi) - uint64(lo) }

// estimate is trueStart + ceil((l - localStart) / rate), if it fits.
func (sg segment) estimate(l time.Duration) (time.Duration, bool) {
	dl, ok := sub(l, sg.localStart)
	if !ok {
		return 0, false
	}
	x := math.Ceil(float64(dl) / sg.rate)
	if !(x > -(1<<63) && x < 1<<63) {
		return 0, false
	}
	return add(sg.trueStart, time.Duration(x))
}

// add is a + b, ok false when it overflows.
func add(a, b time.Duration) (time.Duration, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// sub is a - b, ok false when it overflows.
func sub(a, b time.Duration) (time.Duration, bool) {
	d := a - b
	return d, (d < a) == (b > 0)
}

// addSat is a + b, saturated at the int64 limits: a deadline past the end
// of time.Duration is never reached, which is what it means.
func addSat(a, b time.Duration) time.Duration {
	if s, ok := add(a, b); ok {
		return s
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}
