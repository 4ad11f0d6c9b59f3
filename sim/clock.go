package sim

import (
	"slices"
	"time"

	"k8s.io/utils/clock"
)

// epochUnix is the wall-clock instant that true time zero corresponds to
// on a node with no offset, in Unix seconds. It is fixed, and not a
// variable anyone can set, so that traces are byte-identical.
const epochUnix = 1767225600 // 2026-01-01T00:00:00Z

// Epoch is the wall-clock instant that true time zero corresponds to on a
// node with no offset: 2026-01-01T00:00:00Z. Every trace depends on it.
func Epoch() time.Time { return time.Unix(epochUnix, 0).UTC() }

// ClockConfig describes a node clock at the start of a run.
type ClockConfig struct {
	// Rate is local seconds per true second (1 = perfect, 1.2 = 20% fast).
	// Zero means 1.
	Rate float64
	// Offset is added to the node's readings (both monotonic and wall).
	Offset time.Duration
}

// Clock is a node's local clock. It implements
// k8s.io/utils/clock.WithTickerAndDelayedExecution, so code written against
// those interfaces runs on the simulation unchanged.
//
// Local time is Offset + ∫ rate dt over true time, with a piecewise-constant
// rate. Now returns that monotonic reading: every interval a node measures
// (Since, Sub, timers) follows its rate. Jump moves only the wall reading
// (WallNow), which is what the node writes into records; real Go programs
// decide on the monotonic reading too, so jumps cannot change their timing.
//
// Timers fire at the exact true instant at which the local clock reaches
// their deadline, also across rate changes, and run on behalf of the node's
// process: a pause holds them, a crash drops them.
type Clock struct {
	sim    *Sim
	node   *Node
	segs   []segment
	jumps  time.Duration
	timers []*simTimer
	moved  []*simTimer // scratch for SetRate
	// lastT is Epoch().Add(lastL), when lastOK (see at).
	lastT  time.Time
	lastL  time.Duration
	lastOK bool
	// While true time t lies in [unitFrom, unitFrom+unitLen) the local
	// reading is exactly t + unitOff: the current segment runs at rate 1
	// and the sum cannot overflow. Every node reads its clock several times
	// per event, and most clocks run at rate 1, so LocalNow answers those
	// with one unsigned comparison and one addition, small enough to
	// inline. unitLen is 0 on any other rate.
	unitFrom, unitOff time.Duration
	unitLen           uint64
}

type segment struct {
	trueStart  time.Duration
	localStart time.Duration
	rate       float64
	// safe bounds the true times t with t - trueStart in [0, safe) whose
	// reading needs no overflow checks (newSegment); 0 checks every one.
	safe uint64
}

var _ clock.WithTickerAndDelayedExecution = (*Clock)(nil)

func newClock(s *Sim, n *Node, cfg ClockConfig) *Clock {
	rate := cfg.Rate
	if rate == 0 {
		rate = 1
	}
	checkRate(rate)
	// A clock added mid-run reads as if it had run at its rate since the
	// epoch.
	start := segment{localStart: cfg.Offset, rate: rate}.local(s.now)
	c := &Clock{sim: s, node: n, segs: []segment{newSegment(s.now, start, rate)}}
	c.setUnitRange()
	return c
}

// setUnitRange derives the rate-1 shortcut of LocalNow from the current
// segment: its overflow-free range, where the reading is t + unitOff
// (which fits: both starts lie strictly within ±2^62 when safe > 0).
func (c *Clock) setUnitRange() {
	sg := c.segs[len(c.segs)-1]
	c.unitFrom, c.unitOff, c.unitLen = sg.trueStart, sg.localStart-sg.trueStart, 0
	if sg.rate == 1 {
		c.unitLen = sg.safe
	}
}

func checkRate(rate float64) {
	if err := CheckRate(rate); err != nil {
		panic("sim: " + err.Error())
	}
}

// Rate is the clock's current rate.
func (c *Clock) Rate() float64 { return c.segs[len(c.segs)-1].rate }

// Local is the node's monotonic local reading at true time t (t may lie in
// the past, not in the future beyond known rate changes).
func (c *Clock) Local(t time.Duration) time.Duration {
	i := len(c.segs) - 1
	for i > 0 && c.segs[i].trueStart > t {
		i--
	}
	return c.segs[i].local(t)
}

// TrueAt is the earliest true time at which the local clock reads at least l,
// under the rate in force now (a later rate change moves pending timers), or
// Never if that is beyond what a time.Duration holds.
func (c *Clock) TrueAt(l time.Duration) time.Duration {
	now := c.sim.now
	if uint64(now-c.unitFrom) < c.unitLen {
		// Rate 1: l is reached at l - unitOff. The reading now cannot
		// overflow here; l - unitOff can, only upwards (true times are
		// never negative), and then wraps below now: the exact path says
		// Never.
		if l <= now+c.unitOff {
			return now
		}
		if t := l - c.unitOff; t > now {
			return t
		}
	}
	if l <= c.LocalNow() {
		return now
	}
	return c.segs[len(c.segs)-1].trueAt(now, l)
}

// LocalNow is the monotonic local reading now.
func (c *Clock) LocalNow() time.Duration {
	if uint64(c.sim.now-c.unitFrom) < c.unitLen {
		return c.sim.now + c.unitOff
	}
	return c.localNowExact()
}

// localNowExact is LocalNow on a rate other than 1, or near int64's ends.
// It is kept out of line so that LocalNow stays within the inlining budget.
//
//go:noinline
func (c *Clock) localNowExact() time.Duration {
	sg := &c.segs[len(c.segs)-1]
	if l, ok := sg.unchecked(c.sim.now); ok {
		return l
	}
	return sg.local(c.sim.now)
}

// SetRate changes the rate from now on and moves every pending timer to the
// true instant its deadline is now reached.
func (c *Clock) SetRate(rate float64) {
	checkRate(rate)
	now := c.sim.now
	l := c.LocalNow()
	last := &c.segs[len(c.segs)-1]
	if last.trueStart == now {
		*last = newSegment(now, l, rate)
	} else {
		c.segs = append(c.segs, newSegment(now, l, rate))
	}
	c.setUnitRange()
	// A timer whose deadline has passed is due now or held by a pause:
	// moving it would only lose its place among what fell due earlier.
	moved := c.moved[:0]
	for _, t := range c.timers {
		if t.deadline > l {
			moved = append(moved, t)
		}
	}
	// c.timers is in no useful order (removal swaps); re-queue in queue
	// order so that timers due together stay in the order they were set.
	slices.SortFunc(moved, func(a, b *simTimer) int { return c.sim.compare(a.ev, b.ev) })
	for _, t := range moved {
		c.sim.reschedule(t.ev, c.TrueAt(t.deadline))
	}
	clear(moved)
	c.moved = moved[:0]
}

// Jump steps the wall reading by d (NTP step, manual change). Monotonic
// readings, and so every timer and interval, are unaffected.
func (c *Clock) Jump(d time.Duration) { c.jumps = addSat(c.jumps, d) }

// Jumps is the sum of all wall-clock steps so far.
func (c *Clock) Jumps() time.Duration { return c.jumps }

// Now returns the monotonic local reading as a time (Epoch() + local time).
func (c *Clock) Now() time.Time { return c.at(c.LocalNow()) }

// WallNow returns what a real clock's wall reading would be on this node: the
// monotonic reading plus every wall-clock step.
func (c *Clock) WallNow() time.Time { return c.at(addSat(c.LocalNow(), c.jumps)) }

// at is Epoch().Add(l). Code on a node reads its clock several times within
// one event, always at the same instant, so the last conversion is kept.
func (c *Clock) at(l time.Duration) time.Time {
	if !c.lastOK || l != c.lastL {
		c.lastT, c.lastL, c.lastOK = epochPlus(l), l, true
	}
	return c.lastT
}

// epochPlus is epoch.Add(l), the same time.Time, built from whole seconds
// and nanoseconds: time.Unix is a few instructions where Add goes through
// its monotonic and overflow handling, and nodes convert a reading on
// nearly every event.
func epochPlus(l time.Duration) time.Time {
	sec, nsec := int64(l/time.Second), int64(l%time.Second)
	return time.Unix(epochUnix+sec, nsec).UTC()
}

// Since is Now().Sub(t).
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Sleep cannot block inside a simulation: no goroutine may wait on virtual
// time, because nothing else would advance it. Code that sleeps must be
// written as a callback (AfterFunc) instead.
func (c *Clock) Sleep(d time.Duration) {
	panic("sim: Clock.Sleep cannot block inside a simulation; schedule the continuation with AfterFunc")
}

// After is NewTimer(d).C().
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTimer returns a timer whose channel receives (non-blocking, buffer one)
// the local time when d of local time has passed.
func (c *Clock) NewTimer(d time.Duration) clock.Timer {
	t := &simTimer{c: c, ch: make(chan time.Time, 1)}
	t.start(d)
	return t
}

// AfterFunc runs f, synchronously in event order, once d of local time has
// passed.
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	t := &simTimer{c: c, fn: f}
	t.start(d)
	return t
}

// Tick is NewTicker(d).C(); it returns nil for d <= 0 as time.Tick does.
func (c *Clock) Tick(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	return c.NewTicker(d).C()
}

// NewTicker returns a ticker on the local clock. As with time.Ticker, ticks
// that find the channel full are dropped, and a ticker that falls behind
// (a paused node) skips the ticks it missed.
func (c *Clock) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic("sim: non-positive interval for NewTicker")
	}
	t := &simTimer{c: c, ch: make(chan time.Time, 1), period: d}
	t.start(d)
	return simTicker{t}
}

// TickFunc calls f on the local clock every period, on a grid anchored at
// now, skipping ticks missed while the node was paused. It returns the
// ticker so that it can be stopped.
func (c *Clock) TickFunc(period time.Duration, f func()) clock.Ticker {
	if period <= 0 {
		panic("sim: non-positive interval for TickFunc")
	}
	t := &simTimer{c: c, fn: f, period: period}
	t.start(period)
	return simTicker{t}
}

// simTicker adapts a periodic simTimer to clock.Ticker, whose Stop returns
// nothing.
type simTicker struct{ t *simTimer }

func (k simTicker) C() <-chan time.Time { return k.t.ch }
func (k simTicker) Stop()               { k.t.Stop() }

func (c *Clock) dropTimers() {
	for _, t := range c.timers {
		t.idx = -1
	}
	c.timers = c.timers[:0]
}

// simTimer is a timer or ticker on a node clock; exactly one of fn and ch is
// set.
type simTimer struct {
	c        *Clock
	fn       func()
	ch       chan time.Time
	period   time.Duration
	deadline time.Duration
	ev       EventID
	idx      int // position in c.timers, -1 when not active
}

func (t *simTimer) start(d time.Duration) {
	c := t.c
	t.deadline = addSat(c.LocalNow(), d)
	t.idx = len(c.timers)
	c.timers = append(c.timers, t)
	t.schedule()
}

func (t *simTimer) schedule() {
	n := t.c.node
	t.ev = n.sim.scheduleTimer(t.c.TrueAt(t.deadline), t, n, n.inc)
}

func (t *simTimer) deactivate() {
	c := t.c
	if t.idx < 0 {
		return
	}
	last := len(c.timers) - 1
	c.timers[t.idx] = c.timers[last]
	c.timers[t.idx].idx = t.idx
	c.timers = c.timers[:last]
	t.idx = -1
}

func (t *simTimer) fire() {
	c := t.c
	if t.idx < 0 {
		return // stopped or dropped; its event should not have run
	}
	if t.period > 0 {
		now := c.LocalNow()
		next := addSat(t.deadline, t.period)
		if next <= now {
			// now-next cannot overflow: both lie in [deadline, now].
			next = addSat(next, ((now-next)/t.period+1)*t.period)
		}
		t.deadline = next
		t.schedule()
	} else {
		t.deactivate()
	}
	if t.fn != nil {
		t.fn()
		return
	}
	select {
	case t.ch <- c.Now():
	default:
	}
}

func (t *simTimer) C() <-chan time.Time { return t.ch }

// Stop prevents the timer from firing and reports whether it was active.
func (t *simTimer) Stop() bool {
	if t.idx < 0 {
		return false
	}
	t.c.sim.Cancel(t.ev)
	t.deactivate()
	return true
}

// Reset restarts the timer with a new duration, reporting whether it was
// active before.
func (t *simTimer) Reset(d time.Duration) bool {
	if t.idx >= 0 {
		// Re-arming in place is Stop plus start without the slot churn.
		t.deadline = addSat(t.c.LocalNow(), d)
		if t.c.sim.reschedule(t.ev, t.c.TrueAt(t.deadline)) {
			return true
		}
		t.Stop()
		t.start(d)
		return true
	}
	t.start(d)
	return false
}
