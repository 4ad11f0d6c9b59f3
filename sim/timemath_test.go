package sim

import (
	"math"
	"testing"
	"time"
)

// naiveTrueAt is the definition of TrueAt: the least t > after whose
// reading reaches l, found by stepping. Only usable near the answer.
func naiveTrueAt(sg segment, after, l time.Duration) time.Duration {
	t := after + 1
	for !sg.reaches(t, l) {
		t++
	}
	return t
}

// TestTrueAtExtremes checks the inverse at the ends of the rate range and
// of int64, where the float estimate is far off or the answer lies beyond
// time.Duration: the old stepping loop spun there (rate 1e-9 took hours,
// 5e-324 forever).
func TestTrueAtExtremes(t *testing.T) {
	cases := []struct {
		sg    segment
		after time.Duration
		l     time.Duration
	}{
		{segment{rate: MinRate}, 0, time.Hour},
		{segment{rate: MaxRate}, 0, time.Hour},
		{segment{rate: MaxRate, localStart: -MaxReading}, 0, MaxReading},
		{segment{rate: MinRate, trueStart: 5, localStart: 7}, 5, 8},
		{segment{rate: 1.2}, 4, 6}, // float64(5)*1.2 rounds up to 6
		{segment{rate: 0.7, trueStart: MaxReading, localStart: MaxReading}, MaxReading, MaxReading + time.Hour},
		{segment{rate: 1.0000001, trueStart: 1 << 60}, 1 << 60, 1<<60 + 1<<55},
		{segment{rate: 999.9999}, 1 << 40, 1<<50 + 12345},
	}
	for _, c := range cases {
		got := c.sg.trueAt(c.after, c.l)
		if got <= c.after || !c.sg.reaches(got, c.l) || (got-1 > c.after && c.sg.reaches(got-1, c.l)) {
			t.Errorf("trueAt(%+v, after %d, l %d) = %d: not the first instant reaching l", c.sg, c.after, c.l, got)
		}
		if got < c.after+1e6 && got != naiveTrueAt(c.sg, c.after, c.l) {
			t.Errorf("trueAt(%+v, %d, %d) = %d, stepping gives %d", c.sg, c.after, c.l, got, naiveTrueAt(c.sg, c.after, c.l))
		}
	}
	// A reading the clock reaches only after time.Duration runs out.
	if got := (segment{rate: MinRate}).trueAt(0, math.MaxInt64/2); got != Never {
		t.Errorf("trueAt beyond int64 = %d, want Never", got)
	}
	if got := (segment{rate: 1, localStart: math.MinInt64 + 10}).trueAt(0, math.MaxInt64-1); got != Never {
		t.Errorf("rate-1 trueAt beyond int64 = %d, want Never", got)
	}
}

// TestLocalOverflowPanics: a reading outside int64 is a bug the validation
// should have prevented, never a silently wrapped time that reorders
// timers.
func TestLocalOverflowPanics(t *testing.T) {
	for _, sg := range []segment{
		{rate: 1, localStart: math.MaxInt64 - 5},
		{rate: MaxRate, localStart: 0},
		{rate: 2, trueStart: math.MinInt64 + 1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v.local(MaxInt64/2) did not panic", sg)
				}
			}()
			sg.local(math.MaxInt64 / 2)
		}()
	}
}

func TestSaturatingAdd(t *testing.T) {
	for _, c := range []struct{ a, b, want time.Duration }{
		{1, 2, 3},
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64 - 1, 1, math.MaxInt64},
		{math.MinInt64, -1, math.MinInt64},
		{-5, 3, -2},
	} {
		if got := addSat(c.a, c.b); got != c.want {
			t.Errorf("addSat(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// FuzzClockConversions checks, for any segment and reading within the
// documented bounds, that TrueAt's answer is the first instant reaching
// the reading and that Local never goes backwards.
func FuzzClockConversions(f *testing.F) {
	f.Add(1.2, int64(0), int64(0), int64(0), int64(6))
	f.Add(1e-3, int64(1e9), int64(-5e9), int64(2e9), int64(3e12))
	f.Add(1e3, int64(1<<61), int64(-(1 << 61)), int64(1<<61), int64(1<<61))
	f.Fuzz(func(t *testing.T, rate float64, trueStart, localStart, after, l int64) {
		if CheckRate(rate) != nil || abs(trueStart) > int64(MaxReading) || abs(localStart) > int64(MaxReading) ||
			after < trueStart || abs(after) > int64(MaxReading) || abs(l) > int64(MaxReading) {
			t.Skip()
		}
		sg := segment{trueStart: time.Duration(trueStart), localStart: time.Duration(localStart), rate: rate}
		a := time.Duration(after)
		if sg.reaches(a, time.Duration(l)) {
			t.Skip()
		}
		got := sg.trueAt(a, time.Duration(l))
		if got == Never {
			if sg.reaches(math.MaxInt64, time.Duration(l)) {
				t.Fatalf("trueAt = Never but MaxInt64 reaches %d", l)
			}
			return
		}
		if got <= a || !sg.reaches(got, time.Duration(l)) || (got-1 > a && sg.reaches(got-1, time.Duration(l))) {
			t.Fatalf("trueAt(%+v, %d, %d) = %d is not the first instant reaching it", sg, a, l, got)
		}
		if x, ok := sg.localChecked(got - 1); ok {
			if y, ok := sg.localChecked(got); ok && y < x {
				t.Fatalf("local went backwards: %d then %d", x, y)
			}
		}
	})
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
