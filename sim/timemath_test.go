package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
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
		// Each case on the checked arithmetic and on newSegment's unchecked
		// range where it has one.
		for _, sg := range []segment{c.sg, newSegment(c.sg.trueStart, c.sg.localStart, c.sg.rate)} {
			got := sg.trueAt(c.after, c.l)
			if got <= c.after || !sg.reaches(got, c.l) || (got-1 > c.after && sg.reaches(got-1, c.l)) {
				t.Errorf("trueAt(%+v, after %d, l %d) = %d: not the first instant reaching l", sg, c.after, c.l, got)
			}
			if got < c.after+1e6 && got != naiveTrueAt(sg, c.after, c.l) {
				t.Errorf("trueAt(%+v, %d, %d) = %d, stepping gives %d", sg, c.after, c.l, got, naiveTrueAt(sg, c.after, c.l))
			}
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
		newSegment(0, MaxReading-1, 2),
		newSegment(0, 0, MaxRate),
		newSegment(-MaxReading+1, 0, 1.5),
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
		exact := segment{trueStart: time.Duration(trueStart), localStart: time.Duration(localStart), rate: rate}
		sg := newSegment(exact.trueStart, exact.localStart, rate)
		a := time.Duration(after)
		if d := firstDifference(sg, exact, []time.Duration{a, a + 1, time.Duration(l), math.MaxInt64}, []time.Duration{time.Duration(l)}); d != "" {
			t.Fatal(d)
		}
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

// firstDifference compares a segment's readings at ts, and its inverse
// from each t in ts to each l in ls, with those of the same segment on the
// checked arithmetic; "" when they agree.
func firstDifference(sg, exact segment, ts, ls []time.Duration) string {
	exact.safe = 0
	for _, t := range ts {
		x, okx := sg.localChecked(t)
		y, oky := exact.localChecked(t)
		if okx != oky || (okx && x != y) {
			return fmt.Sprintf("%+v: reading at %d is %d (ok %v), checked %d (ok %v)", sg, t, x, okx, y, oky)
		}
		for _, l := range ls {
			if t < sg.trueStart || sg.reaches(t, l) {
				continue
			}
			if got, want := sg.trueAt(t, l), exact.trueAt(t, l); got != want {
				return fmt.Sprintf("%+v: first instant after %d reaching %d is %d, checked %d", sg, t, l, got, want)
			}
		}
	}
	return ""
}

// TestUncheckedRangeMatchesChecked: within newSegment's unchecked range
// the readings and their inverse are those of the checked arithmetic, on
// segments across the rate range and at the ends of the reading bounds; a
// range forged too wide is caught.
func TestUncheckedRangeMatchesChecked(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rates := []float64{MinRate, 0.5, 0.999999, 1, 1.000001, 1.25, 2, MaxRate}
	starts := []time.Duration{0, 1, 1 << 40, MaxReading - 1, -MaxReading + 1}
	for i := 0; i < 20000; i++ {
		rate := rates[i%len(rates)]
		if i%3 == 0 {
			rate = MinRate + r.Float64()*(3-MinRate)
		}
		ts, ls := starts[r.IntN(len(starts))], starts[r.IntN(len(starts))]+time.Duration(r.Int64N(1<<40))
		sg := newSegment(ts, ls, rate)
		points := []time.Duration{ts, ts + 1, ts + time.Duration(r.Int64N(1<<50)), ts + time.Duration(sg.safe) - 1, ts + time.Duration(sg.safe), ts - 1}
		reads := []time.Duration{ls + time.Duration(r.Int64N(1<<50)), ls + 1, math.MaxInt64 - 1}
		if d := firstDifference(sg, sg, points, reads); d != "" {
			t.Fatal(d)
		}
	}
	// The check has power: a segment whose unchecked range reaches where
	// the reading overflows disagrees with the checked arithmetic.
	forged := segment{trueStart: 0, localStart: MaxReading - 1, rate: 2, safe: math.MaxUint64}
	if firstDifference(forged, forged, []time.Duration{MaxReading}, nil) == "" {
		t.Fatal("a forged unchecked range went unnoticed")
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestUnitClockShortcut: a rate-1 clock's inlined readings and inverse
// (LocalNow, TrueAt) are those of its segment on the checked arithmetic,
// also for readings before now and beyond int64.
func TestUnitClockShortcut(t *testing.T) {
	for _, off := range []time.Duration{0, time.Hour, -time.Hour, MaxReading - 1, -MaxReading + 1} {
		s := New(1)
		c := s.AddNode("n", ClockConfig{Offset: off}).Clock()
		s.RunUntil(3 * time.Second)
		exact := c.segs[len(c.segs)-1]
		exact.safe = 0
		if got, want := c.LocalNow(), exact.local(s.now); got != want {
			t.Errorf("offset %v: LocalNow = %d, checked %d", off, got, want)
		}
		for _, l := range []time.Duration{math.MinInt64, 0, off, off + 3*time.Second, off + 3*time.Second + 1, off + time.Hour, MaxReading, math.MaxInt64 - 1, math.MaxInt64} {
			want := s.now
			if !exact.reaches(s.now, l) {
				want = exact.trueAt(s.now, l)
			}
			if got := c.TrueAt(l); got != want {
				t.Errorf("offset %v: TrueAt(%d) = %d, checked %d", off, l, got, want)
			}
		}
	}
}

// TestEpochPlus: the reading-to-time conversion is Epoch().Add, the same
// value (==, so also the same location and no monotonic reading), for
// readings of either sign up to the ends of int64.
func TestEpochPlus(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ls := []time.Duration{0, 1, -1, time.Second - 1, -time.Second + 1, time.Second, -time.Second, math.MaxInt64, math.MinInt64, MaxReading, -MaxReading}
	for range 10000 {
		ls = append(ls, time.Duration(r.Int64()), time.Duration(r.Int64N(1<<50))-1<<49)
	}
	for _, l := range ls {
		if got, want := epochPlus(l), Epoch().Add(l); got != want {
			t.Fatalf("epochPlus(%d) = %v, Epoch().Add gives %v", l, got, want)
		}
	}
}
