package sim_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/lesim/lesim/sim"
)

// seg mirrors one constant-rate piece of a node clock. The test builds it
// from readings it has already checked, so that a rounding error at one rate
// change is caught there and not blamed on a later piece.
type seg struct {
	trueStart  time.Duration
	localStart time.Duration
	rate       float64
}

func (g seg) local(t time.Duration) float64 {
	return float64(g.localStart) + float64(t-g.trueStart)*g.rate
}

// within1ns reports whether d lies in [0, 1) ns, with room for float64
// error in the test's own arithmetic on readings of up to about 10h.
func within1ns(d float64) bool { return d > -0.01 && d < 1.01 }

// TestClockRoundTrip checks, for random rate schedules, that Local follows
// ∫ rate dt to within rounding, that TrueAt(l) is the smallest true time at
// which the local clock reads at least l, and that timers created at random
// points fire at exactly that instant across the rate changes that follow.
func TestClockRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := sim.New(1)
		s.RunUntil(time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "start")))
		offset := time.Duration(rapid.Int64Range(-int64(time.Hour), int64(time.Hour)).Draw(rt, "offset"))
		rate := rapid.Float64Range(0.1, 10).Draw(rt, "rate")
		c := s.AddNode("n", sim.ClockConfig{Rate: rate, Offset: offset}).Clock()
		segs := []seg{{s.Now(), offset + time.Duration(math.Floor(float64(s.Now())*rate)), rate}}
		if c.LocalNow() != segs[0].localStart {
			rt.Fatalf("initial reading %v, want %v", c.LocalNow(), segs[0].localStart)
		}

		type timer struct {
			created, deadline, fired time.Duration
		}
		var timers []*timer
		checkTrueAt := func() {
			g := segs[len(segs)-1]
			now, lnow := s.Now(), c.LocalNow()
			for range 5 {
				l := lnow + time.Duration(rapid.Int64Range(-int64(time.Second), int64(time.Hour)).Draw(rt, "l"))
				tt := c.TrueAt(l)
				if l <= lnow {
					if tt != now {
						rt.Fatalf("TrueAt(%v) = %v for a reading already passed at %v", l, tt, now)
					}
					continue
				}
				if tt <= now || c.Local(tt) < l || c.Local(tt-1) >= l {
					rt.Fatalf("TrueAt(%v) = %v is not the first instant reading %v: Local(t-1)=%v Local(t)=%v (now %v, rate %v)",
						l, tt, l, c.Local(tt-1), c.Local(tt), now, g.rate)
				}
				// Against the exact solution of the linear piece: never
				// before it, and less than a true ns after it.
				exact := float64(g.trueStart) + float64(l-g.localStart)/g.rate
				if d := float64(tt) - exact; !within1ns(d) {
					rt.Fatalf("TrueAt(%v) = %v, exact %.2f: off by %.3f ns at rate %v", l, tt, exact, d, g.rate)
				}
				// Round trips: a fast clock reads a distinct value every ns,
				// a slow one passes through every reading.
				if g.rate >= 1 {
					tr := now + time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(rt, "tr"))
					if back := c.TrueAt(c.Local(tr)); back != tr {
						rt.Fatalf("TrueAt(Local(%v)) = %v at rate %v", tr, back, g.rate)
					}
				}
				if g.rate <= 1 && c.Local(tt) != l {
					rt.Fatalf("Local(TrueAt(%v)) = %v at rate %v", l, c.Local(tt), g.rate)
				}
			}
		}

		changes := rapid.IntRange(0, 12).Draw(rt, "changes")
		for range changes {
			if rapid.Bool().Draw(rt, "timer") {
				d := time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(rt, "d"))
				tm := &timer{created: s.Now(), deadline: c.LocalNow() + d, fired: -1}
				timers = append(timers, tm)
				c.AfterFunc(d, func() { tm.fired = s.Now() })
			}
			checkTrueAt()
			// Zero steps put two changes at one instant.
			s.RunFor(time.Duration(rapid.Int64Range(0, int64(30*time.Second)).Draw(rt, "dt")))
			g := segs[len(segs)-1]
			l := c.LocalNow()
			if d := g.local(s.Now()) - float64(l); !within1ns(d) {
				rt.Fatalf("reading %v at %v, ∫rate gives %.2f", l, s.Now(), g.local(s.Now()))
			}
			rate := rapid.Float64Range(0.1, 10).Draw(rt, "rate")
			c.SetRate(rate)
			if c.LocalNow() != l {
				rt.Fatalf("SetRate moved the reading from %v to %v", l, c.LocalNow())
			}
			if c.Rate() != rate {
				rt.Fatalf("Rate = %v after SetRate(%v)", c.Rate(), rate)
			}
			if g.trueStart == s.Now() {
				segs[len(segs)-1] = seg{s.Now(), l, rate}
			} else {
				segs = append(segs, seg{s.Now(), l, rate})
			}
		}
		checkTrueAt()
		s.RunFor(2 * time.Minute * 10) // every timer falls due even at rate 0.1

		// The past is readable: every piece, and monotone across them.
		prev := time.Duration(math.MinInt64)
		for i, g := range segs {
			end := s.Now()
			if i+1 < len(segs) {
				end = segs[i+1].trueStart
			}
			for _, tt := range []time.Duration{g.trueStart, (g.trueStart + end) / 2, end} {
				if i+1 < len(segs) && tt == end {
					continue // belongs to the next piece
				}
				got := c.Local(tt)
				if d := g.local(tt) - float64(got); !within1ns(d) {
					rt.Fatalf("Local(%v) = %v, piece %d gives %.2f", tt, got, i, g.local(tt))
				}
				if got < prev {
					rt.Fatalf("Local went backwards at %v: %v < %v", tt, got, prev)
				}
				prev = got
			}
		}
		for _, tm := range timers {
			if tm.fired < 0 {
				rt.Fatalf("timer created at %v for local %v never fired", tm.created, tm.deadline)
			}
			if c.Local(tm.fired) < tm.deadline || (tm.fired > tm.created && c.Local(tm.fired-1) >= tm.deadline) {
				rt.Fatalf("timer for local %v fired at %v: Local(t-1)=%v Local(t)=%v",
					tm.deadline, tm.fired, c.Local(tm.fired-1), c.Local(tm.fired))
			}
		}
	})
}

func TestTimerAcrossRateChange(t *testing.T) {
	for _, tc := range []struct {
		name     string
		newRate  float64
		wantTrue time.Duration
	}{
		// 5 local seconds at rate 1, the other 5 at rate 2: 2.5 true.
		{"faster", 2, 7500 * time.Millisecond},
		// The other 5 at rate 0.5: 10 true.
		{"slower", 0.5, 15 * time.Second},
		{"same", 1, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New(1)
			c := s.AddNode("n", sim.ClockConfig{}).Clock()
			var fired time.Duration = -1
			var newFired time.Duration = -1
			c.AfterFunc(10*time.Second, func() { fired = s.Now() })
			s.Schedule(5*time.Second, func() {
				c.SetRate(tc.newRate)
				// Created after the change: 1s local from 5s local.
				c.AfterFunc(time.Second, func() { newFired = s.Now() })
			})
			s.Run()
			if fired != tc.wantTrue {
				t.Fatalf("10s timer fired at true %v, want %v", fired, tc.wantTrue)
			}
			want := 5*time.Second + time.Duration(float64(time.Second)/tc.newRate)
			if newFired != want {
				t.Fatalf("1s timer after the change fired at %v, want %v", newFired, want)
			}
			if got := c.Local(fired); got != 10*time.Second {
				t.Fatalf("local reading at firing %v, want 10s", got)
			}
		})
	}
}

func TestRateChangeKeepsOrderOfEqualDeadlines(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	tr := &trace{s: s}
	a := c.AfterFunc(10*time.Second, tr.mark("a"))
	c.AfterFunc(10*time.Second, tr.mark("b"))
	c.AfterFunc(10*time.Second, tr.mark("c"))
	c.AfterFunc(10*time.Second, tr.mark("d"))
	a.Stop()
	s.RunFor(time.Second)
	c.SetRate(3)
	s.Run()
	tr.want(t, "b@4s", "c@4s", "d@4s")
}

func TestTimerAtNonIntegerRate(t *testing.T) {
	// round(t·1.5) first reaches 1e9 at t = 666666667: 666666666 reads
	// 999999999, 666666667 reads 1000000001 (half rounds away from zero).
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{Rate: 1.5}).Clock()
	var fired time.Duration
	c.AfterFunc(time.Second, func() { fired = s.Now() })
	s.Run()
	if fired != 666666667 {
		t.Fatalf("fired at %d ns, want 666666667", fired)
	}
}

func TestOffsetShiftsNowNotDurations(t *testing.T) {
	s := sim.New(1)
	a := s.AddNode("a", sim.ClockConfig{}).Clock()
	b := s.AddNode("b", sim.ClockConfig{Offset: time.Hour}).Clock()
	m := s.AddNode("m", sim.ClockConfig{Offset: -90 * time.Minute, Rate: 1}).Clock()
	if d := b.Now().Sub(a.Now()); d != time.Hour {
		t.Fatalf("b reads %v ahead of a, want 1h", d)
	}
	if d := m.Now().Sub(a.Now()); d != -90*time.Minute {
		t.Fatalf("m reads %v relative to a, want -1h30m", d)
	}
	if !a.Now().Equal(sim.Epoch()) {
		t.Fatalf("a node with no offset reads %v at true zero, want the epoch", a.Now())
	}
	a0, b0, m0 := a.Now(), b.Now(), m.Now()
	var fa, fb, fm time.Duration
	a.AfterFunc(10*time.Second, func() { fa = s.Now() })
	b.AfterFunc(10*time.Second, func() { fb = s.Now() })
	m.AfterFunc(10*time.Second, func() { fm = s.Now() })
	s.RunFor(time.Minute)
	if fa != 10*time.Second || fb != fa || fm != fa {
		t.Fatalf("10s timers fired at %v, %v, %v; want all at 10s", fa, fb, fm)
	}
	if a.Since(a0) != time.Minute || b.Since(b0) != time.Minute || m.Since(m0) != time.Minute {
		t.Fatalf("Since: %v, %v, %v; want 1m each", a.Since(a0), b.Since(b0), m.Since(m0))
	}
}

func TestRateChangesDurations(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("fast", sim.ClockConfig{Rate: 2}).Clock()
	t0 := c.Now()
	s.RunFor(3 * time.Second)
	if got := c.Since(t0); got != 6*time.Second {
		t.Fatalf("Since after 3s true at rate 2 = %v, want 6s", got)
	}
	var fired time.Duration
	c.AfterFunc(10*time.Second, func() { fired = s.Now() })
	s.Run()
	if fired != 8*time.Second {
		t.Fatalf("10s local timer at rate 2 set at 3s fired at %v, want 8s", fired)
	}
}

func TestJumpMovesWallOnly(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{Rate: 1.25, Offset: time.Minute}).Clock()
	var fired time.Duration
	c.AfterFunc(10*time.Second, func() { fired = s.Now() })
	s.RunFor(time.Second)
	before := c.Now()
	c.Jump(time.Hour)
	if !c.Now().Equal(before) {
		t.Fatalf("Jump moved the monotonic reading from %v to %v", before, c.Now())
	}
	if d := c.WallNow().Sub(c.Now()); d != time.Hour {
		t.Fatalf("wall reads %v ahead after Jump(1h), want 1h", d)
	}
	c.Jump(-90 * time.Minute)
	if c.Jumps() != -30*time.Minute || c.WallNow().Sub(c.Now()) != -30*time.Minute {
		t.Fatalf("Jumps = %v, wall-monotonic = %v; want -30m both", c.Jumps(), c.WallNow().Sub(c.Now()))
	}
	if c.Since(before) != 0 {
		t.Fatalf("Since across a jump = %v, want 0", c.Since(before))
	}
	s.Run()
	if fired != 8*time.Second {
		t.Fatalf("timer fired at %v after jumps, want 8s (10s local at rate 1.25)", fired)
	}
}

func TestSleepPanics(t *testing.T) {
	c := sim.New(1).AddNode("n", sim.ClockConfig{}).Clock()
	wantPanic(t, "Sleep cannot block", func() { c.Sleep(time.Second) })
	wantPanic(t, "AfterFunc", func() { c.Sleep(0) })
}

func TestBadRatesPanic(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	if c.Rate() != 1 {
		t.Fatalf("zero Rate in the config gave rate %v, want 1", c.Rate())
	}
	for _, r := range []float64{0, -1, math.NaN(), math.Inf(1), 5e-324, 1e-9, 9.99e-4, 1000.0001, 1e8, 1e300} {
		wantPanic(t, "outside [0.001, 1000]", func() { c.SetRate(r) })
	}
	wantPanic(t, "outside [0.001, 1000]", func() { s.AddNode("m", sim.ClockConfig{Rate: -2}) })
	wantPanic(t, "duplicate node", func() { s.AddNode("n", sim.ClockConfig{}) })
}

func recv(ch <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-ch:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestNewTimerChannel(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{Rate: 2, Offset: time.Hour}).Clock()
	tm := c.NewTimer(time.Second)
	if cap(tm.C()) != 1 {
		t.Fatalf("timer channel capacity %d, want 1", cap(tm.C()))
	}
	s.RunFor(499 * time.Millisecond)
	if _, ok := recv(tm.C()); ok {
		t.Fatal("timer delivered before its deadline")
	}
	s.RunFor(time.Millisecond)
	v, ok := recv(tm.C())
	if !ok {
		t.Fatal("timer did not deliver at its deadline")
	}
	if want := sim.Epoch().Add(time.Hour + time.Second); !v.Equal(want) {
		t.Fatalf("timer delivered %v, want the local reading %v", v, want)
	}
	s.RunFor(time.Hour)
	if _, ok := recv(tm.C()); ok {
		t.Fatal("one-shot timer delivered twice")
	}
}

func TestAfterChannel(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	ch := c.After(3 * time.Second)
	s.RunFor(3 * time.Second)
	v, ok := recv(ch)
	if !ok || !v.Equal(sim.Epoch().Add(3*time.Second)) {
		t.Fatalf("After delivered %v, %v; want epoch+3s", v, ok)
	}
}

// mustReturn fails the test if f blocks, as a send on a full channel would,
// instead of letting the test hang until its deadline.
func mustReturn(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocked: a delivery into a full channel must be dropped")
	}
}

func TestTimerDropsWhenFull(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	tm := c.NewTimer(time.Second)
	s.RunFor(time.Second)
	tm.Reset(time.Second)
	// The channel is still full: this delivery is dropped.
	mustReturn(t, func() { s.RunFor(time.Second) })
	if len(tm.C()) != 1 {
		t.Fatalf("channel holds %d values, want 1", len(tm.C()))
	}
	if v, _ := recv(tm.C()); !v.Equal(sim.Epoch().Add(time.Second)) {
		t.Fatalf("kept %v, want the first delivery epoch+1s", v)
	}
}

func TestTimerStopReset(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	var fires []time.Duration
	tm := c.AfterFunc(2*time.Second, func() { fires = append(fires, s.Now()) })
	if !tm.Stop() {
		t.Fatal("Stop of an active timer reported false")
	}
	if tm.Stop() {
		t.Fatal("second Stop reported true")
	}
	s.RunFor(5 * time.Second)
	if len(fires) != 0 {
		t.Fatalf("stopped timer fired at %v", fires)
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer reported it active")
	}
	if !tm.Reset(3 * time.Second) { // at 5s: due at 8s
		t.Fatal("Reset of an active timer reported it inactive")
	}
	s.RunFor(5 * time.Second)
	if !slices.Equal(fires, []time.Duration{8 * time.Second}) {
		t.Fatalf("reset timer fired at %v, want once at 8s", fires)
	}
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported true")
	}
	if tm.Reset(0) {
		t.Fatal("Reset of a fired timer reported it active")
	}
	s.Step()
	if !slices.Equal(fires, []time.Duration{8 * time.Second, 10 * time.Second}) {
		t.Fatalf("Reset(0) fired at %v, want now (10s)", fires)
	}
	if tm.Reset(-time.Second) {
		t.Fatal("Reset of a fired timer reported it active")
	}
	s.Step()
	if len(fires) != 3 || fires[2] != 10*time.Second {
		t.Fatalf("Reset(<0): fires %v, want one more at 10s", fires)
	}
}

func TestTimerResetFromItsCallback(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	var fires []time.Duration
	var tm interface{ Reset(time.Duration) bool }
	tm = c.AfterFunc(time.Second, func() {
		fires = append(fires, s.Now())
		if len(fires) < 3 {
			if tm.Reset(time.Second) {
				t.Error("Reset from the callback of a one-shot timer reported it active")
			}
		}
	})
	s.Run()
	if !slices.Equal(fires, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}) {
		t.Fatalf("fires %v", fires)
	}
}

func TestTick(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	if c.Tick(0) != nil || c.Tick(-time.Second) != nil {
		t.Fatal("Tick of a non-positive period must be nil, as time.Tick")
	}
	wantPanic(t, "non-positive interval", func() { c.NewTicker(0) })
	wantPanic(t, "non-positive interval", func() { c.TickFunc(-1, func() {}) })
	ch := c.Tick(time.Second)
	var got []time.Time
	for range 3 {
		s.RunFor(time.Second)
		v, ok := recv(ch)
		if !ok {
			t.Fatalf("no tick by %v", s.Now())
		}
		got = append(got, v)
	}
	for i, v := range got {
		if want := sim.Epoch().Add(time.Duration(i+1) * time.Second); !v.Equal(want) {
			t.Fatalf("tick %d = %v, want %v", i, v, want)
		}
	}
}

func TestTickerDropsWhenFullAndStops(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{}).Clock()
	k := c.NewTicker(time.Second)
	mustReturn(t, func() { s.RunFor(5500 * time.Millisecond) }) // five ticks, nobody reading
	if len(k.C()) != 1 {
		t.Fatalf("ticker channel holds %d, want 1", len(k.C()))
	}
	if v, _ := recv(k.C()); !v.Equal(sim.Epoch().Add(time.Second)) {
		t.Fatalf("kept tick %v, want the first one (epoch+1s)", v)
	}
	s.RunFor(time.Second)
	if v, ok := recv(k.C()); !ok || !v.Equal(sim.Epoch().Add(6*time.Second)) {
		t.Fatalf("next tick %v, %v; want epoch+6s on the original grid", v, ok)
	}
	k.Stop()
	s.RunFor(10 * time.Second)
	if _, ok := recv(k.C()); ok {
		t.Fatal("stopped ticker ticked")
	}
	if s.Pending() != 0 {
		t.Fatalf("stopped ticker left %d events queued", s.Pending())
	}
}

func TestTickFuncGridAndRate(t *testing.T) {
	s := sim.New(1)
	c := s.AddNode("n", sim.ClockConfig{Rate: 2}).Clock()
	s.RunFor(300 * time.Millisecond)
	var ticks []time.Duration
	k := c.TickFunc(time.Second, func() { ticks = append(ticks, s.Now()) })
	s.RunFor(2 * time.Second)
	// Anchored at 0.3s true, one local second is half a true one.
	want := []time.Duration{800 * time.Millisecond, 1300 * time.Millisecond, 1800 * time.Millisecond, 2300 * time.Millisecond}
	if !slices.Equal(ticks, want) {
		t.Fatalf("ticks %v, want %v", ticks, want)
	}
	k.Stop()
	s.RunFor(time.Hour)
	if len(ticks) != len(want) {
		t.Fatalf("ticks after Stop: %v", ticks[len(want):])
	}
}

func TestTickerSkipsTicksMissedInPause(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	c := n.Clock()
	var ticks []time.Duration
	c.TickFunc(time.Second, func() { ticks = append(ticks, s.Now()) })
	k := c.NewTicker(time.Second)
	var chTicks []time.Time
	s.Schedule(2500*time.Millisecond, func() {
		if v, ok := recv(k.C()); ok {
			chTicks = append(chTicks, v)
		}
		n.Pause()
	})
	s.Schedule(5200*time.Millisecond, n.Resume)
	s.RunUntil(5200 * time.Millisecond)
	if v, ok := recv(k.C()); ok {
		chTicks = append(chTicks, v)
	}
	s.RunUntil(7500 * time.Millisecond)
	// The tick due at 3s is held and runs at resume; 4s and 5s are skipped;
	// the grid stays where it was.
	want := []time.Duration{time.Second, 2 * time.Second, 5200 * time.Millisecond, 6 * time.Second, 7 * time.Second}
	if !slices.Equal(ticks, want) {
		t.Fatalf("ticks %v, want %v", ticks, want)
	}
	wantCh := []time.Time{sim.Epoch().Add(time.Second), sim.Epoch().Add(5200 * time.Millisecond)}
	if !slices.EqualFunc(chTicks, wantCh, time.Time.Equal) {
		t.Fatalf("channel ticks %v, want %v", chTicks, wantCh)
	}
}
