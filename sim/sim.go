// Package sim is lesim's deterministic discrete-event kernel.
//
// A Sim owns true (global) virtual time, an event queue ordered by
// (time, insertion sequence), seeded random streams and the simulated nodes
// with their skewed clocks. Nothing here reads the wall clock, uses the global
// math/rand source, starts a goroutine or lets map order decide anything, so a
// run is a pure function of its inputs and its seed.
//
// Events that belong to a node (its timers, the responses it receives) carry
// the node and its incarnation: they are held while the node is paused and
// dropped once it has crashed, which is how process faults are modelled
// without the owners of those events having to know about them.
package sim

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"time"
)

// EventID names a scheduled event so that it can be cancelled. The zero
// EventID names no event.
type EventID struct {
	slot int32
	gen  uint32
}

// Valid reports whether id was returned by Schedule (it may have fired since).
func (id EventID) Valid() bool { return id.gen != 0 }

// event is the payload of a scheduled event. Its key (time, sequence) is
// copied into the heap entry so that sifting never touches the slots.
// Exactly one of fn and timer is set: a timer event calls the timer's method
// directly, which saves AfterFunc a closure allocation per timer.
type event struct {
	fn    func()
	timer *simTimer
	owner *Node
	at    time.Duration // due time while queued
	seq   uint64        // sequence of the live heap entry while queued
	inc   uint32
	gen   uint32
	lpos  int32 // position in Sim.lazy while stateLazy
	state uint8
}

const (
	stateFree   = iota // fired, cancelled or never used
	stateQueued        // has a live heap entry
	stateHeld          // fell due while its node was paused; in owner.held
	stateLazy          // queued in Sim.lazy instead of the heap
)

// seqNormal is set on the sequence number of every ordinary event. Events
// re-queued at Resume lack it, so at the resume instant they run before
// everything else already due then: they fell due earlier, during the pause.
const seqNormal = 1 << 63

// entry is a heap element. Cancelling leaves the entry in the heap (it goes
// stale: its slot no longer carries its seq) and the pop skips it, so the
// heap needs no back-pointers and sifting touches only the heap array.
type entry struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (a *entry) before(b *entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Sim is one simulation run. It is not safe for concurrent use: parallelism
// belongs across runs, never inside one.
type Sim struct {
	now   time.Duration
	seq   uint64
	seed  uint64
	slots []event
	free  []int32
	heap  []entry // 4-ary min-heap: shallower than binary, fewer cache misses
	stale int     // entries in heap whose event was cancelled or moved
	fired uint64
	// lazy queues timer events outside the heap, unordered, with lazyMin the
	// index of the least (-1 when empty). Most timers are stopped long
	// before they are due — request timeouts, poll deadlines and ticks, all
	// cancelled by a timely response — and a timer here is cancelled by
	// swapping it out, without ever being sifted into the heap or popped
	// from it as a stale entry. Step takes the least of the heap's top and
	// lazyMin, so the order is the same (time, sequence) order either way.
	// It holds at most maxLazy timers; the rest go to the heap.
	lazy    []entry
	lazyMin int
	maxLazy int

	nodes  []*Node
	limits Limits
	// maxFired is Limits.MaxEvents, or the largest uint64 without a limit.
	maxFired uint64
	err      error
	// Observer, when set, sees every event just before it runs; the
	// determinism tests hash the sequence it produces.
	Observer func(at time.Duration, seq uint64, owner string)
}

// New returns an empty simulation at true time zero with the given run seed.
func New(seed uint64) *Sim {
	return &Sim{seed: seed, lazyMin: -1, maxLazy: defaultMaxLazy, maxFired: math.MaxUint64}
}

// defaultMaxLazy bounds Sim.lazy, whose least entry is found by a scan.
// Each Sim keeps its own bound, so that tests can run the same workload
// with and without the lazy set.
const defaultMaxLazy = 16

// Seed is the run seed every stream is derived from.
func (s *Sim) Seed() uint64 { return s.seed }

// Now is the current true time since the run's epoch.
func (s *Sim) Now() time.Duration { return s.now }

// Fired counts the events that have run so far.
func (s *Sim) Fired() uint64 { return s.fired }

// Pending counts the events still queued (including those of crashed nodes
// that will be dropped when they fall due, but not those held by a pause).
func (s *Sim) Pending() int { return len(s.heap) - s.stale + len(s.lazy) }

// Schedule runs fn at true time at (clamped to now if in the past). Events at
// equal times run in the order they were scheduled.
func (s *Sim) Schedule(at time.Duration, fn func()) EventID {
	if fn == nil {
		panic("sim: Schedule with a nil function")
	}
	return s.schedule(at, fn, nil, nil, 0)
}

// After runs fn d after the current true time.
func (s *Sim) After(d time.Duration, fn func()) EventID {
	return s.Schedule(addSat(s.now, d), fn)
}

func (s *Sim) schedule(at time.Duration, fn func(), tm *simTimer, owner *Node, inc uint32) EventID {
	slot, e := s.alloc(fn, tm, owner, inc)
	s.push(e, slot, at, seqNormal)
	return EventID{slot: slot, gen: e.gen}
}

// scheduleTimer is schedule for a node timer: into the lazy set while it
// has room.
func (s *Sim) scheduleTimer(at time.Duration, tm *simTimer, owner *Node, inc uint32) EventID {
	slot, e := s.alloc(nil, tm, owner, inc)
	if len(s.lazy) < s.maxLazy {
		s.pushLazy(e, slot, at)
	} else {
		s.push(e, slot, at, seqNormal)
	}
	return EventID{slot: slot, gen: e.gen}
}

// alloc takes a free slot for a new event.
func (s *Sim) alloc(fn func(), tm *simTimer, owner *Node, inc uint32) (int32, *event) {
	var slot int32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.slots = append(s.slots, event{})
		slot = int32(len(s.slots) - 1)
	}
	e := &s.slots[slot]
	gen := e.gen + 1
	if gen == 0 {
		gen = 1
	}
	// Field by field: a struct assignment would be one bulk write-barrier
	// copy whenever the collector is marking.
	e.fn, e.timer, e.owner = fn, tm, owner
	e.inc, e.gen = inc, gen
	return slot, e
}

// push queues the event in slot at (clamped to now). band is seqNormal for
// ordinary events and 0 for those re-queued at Resume.
func (s *Sim) push(e *event, slot int32, at time.Duration, band uint64) {
	if at < s.now {
		at = s.now
	}
	s.seq++
	e.state, e.at, e.seq = stateQueued, at, s.seq|band
	s.heap = append(s.heap, entry{})
	s.up(len(s.heap)-1, entry{at: at, seq: e.seq, slot: slot})
}

// pushLazy queues the event in slot at (clamped to now) in the lazy set,
// taking the next sequence number exactly as push does.
func (s *Sim) pushLazy(e *event, slot int32, at time.Duration) {
	if at < s.now {
		at = s.now
	}
	s.seq++
	e.state, e.at, e.seq = stateLazy, at, s.seq|seqNormal
	e.lpos = int32(len(s.lazy))
	s.lazy = append(s.lazy, entry{at: at, seq: e.seq, slot: slot})
	if s.lazyMin < 0 || s.lazy[e.lpos].before(&s.lazy[s.lazyMin]) {
		s.lazyMin = int(e.lpos)
	}
}

// unlazy takes a lazy event out of the lazy set.
func (s *Sim) unlazy(e *event) {
	i := int(e.lpos)
	last := len(s.lazy) - 1
	if i != last {
		s.lazy[i] = s.lazy[last]
		s.slots[s.lazy[i].slot].lpos = int32(i)
	}
	s.lazy = s.lazy[:last]
	switch {
	case s.lazyMin == i:
		s.lazyMin = -1
		for k := range s.lazy {
			if s.lazyMin < 0 || s.lazy[k].before(&s.lazy[s.lazyMin]) {
				s.lazyMin = k
			}
		}
	case s.lazyMin == last:
		s.lazyMin = i
	}
}

// lookup returns the live event id names, or nil.
func (s *Sim) lookup(id EventID) *event {
	if id.gen == 0 || id.slot < 0 || int(id.slot) >= len(s.slots) {
		return nil
	}
	e := &s.slots[id.slot]
	if e.gen != id.gen || e.state == stateFree {
		return nil
	}
	return e
}

// Cancel removes a pending event, also one held by a pause. It reports
// whether the event was still pending; cancelling a fired or already
// cancelled event is a no-op.
func (s *Sim) Cancel(id EventID) bool {
	e := s.lookup(id)
	if e == nil {
		return false
	}
	switch e.state {
	case stateHeld:
		e.owner.unhold(id.slot)
		s.release(id.slot)
	case stateLazy:
		s.unlazy(e)
		s.release(id.slot)
	default:
		s.release(id.slot)
		s.orphan() // after release, so that a rebuild sees the entry stale
	}
	return true
}

// reschedule moves a queued event to a new time as if it had been cancelled
// and scheduled anew (it goes behind events already due then), keeping its
// id. It reports false, changing nothing, unless the event is queued.
func (s *Sim) reschedule(id EventID, at time.Duration) bool {
	e := s.lookup(id)
	if e == nil {
		return false
	}
	if e.state == stateLazy {
		s.unlazy(e)
		s.pushLazy(e, id.slot, at)
		return true
	}
	if e.state != stateQueued {
		return false
	}
	s.push(e, id.slot, at, seqNormal)
	s.orphan() // after push, so that a rebuild sees the old entry stale
	return true
}

// compare orders two queued events as the queue will run them.
func (s *Sim) compare(a, b EventID) int {
	ea, eb := &s.slots[a.slot], &s.slots[b.slot]
	if ea.at != eb.at {
		return cmp.Compare(ea.at, eb.at)
	}
	return cmp.Compare(ea.seq, eb.seq)
}

// orphan records that one heap entry has gone stale, and rebuilds the heap
// once stale entries are the majority so that cancel-heavy runs (timeouts
// that are almost always cancelled) do not grow the heap without bound.
func (s *Sim) orphan() {
	s.stale++
	if s.stale < 64 || 2*s.stale < len(s.heap) {
		return
	}
	live := s.heap[:0]
	for _, x := range s.heap {
		if s.live(&x) {
			live = append(live, x)
		}
	}
	clear(s.heap[len(live):])
	s.heap = live
	s.stale = 0
	// The last parent is (n-2)/4 for n >= 2; written so that it is -1, not
	// 0, for n < 2 (Go division truncates toward zero).
	for i := (len(live)+2)/4 - 1; i >= 0; i-- {
		s.down(i, live[i])
	}
}

func (s *Sim) live(x *entry) bool {
	e := &s.slots[x.slot]
	return e.state == stateQueued && e.seq == x.seq
}

// When reports the true time at which a queued event is due. An event held
// by a pause has no due time until its node resumes.
func (s *Sim) When(id EventID) (time.Duration, bool) {
	e := s.lookup(id)
	if e == nil || (e.state != stateQueued && e.state != stateLazy) {
		return 0, false
	}
	return e.at, true
}

func (s *Sim) release(slot int32) {
	e := &s.slots[slot]
	e.fn = nil
	e.timer = nil
	e.owner = nil
	e.state = stateFree
	s.free = append(s.free, slot)
}

// skipStale pops stale entries off the top so that heap[0], if any, is live.
func (s *Sim) skipStale() {
	for s.stale > 0 && len(s.heap) > 0 && !s.live(&s.heap[0]) {
		s.popTop()
		s.stale--
	}
}

// lazyFirst reports whether the earliest pending event is the least lazy
// one (after skipStale).
func (s *Sim) lazyFirst() bool {
	return s.lazyMin >= 0 && (len(s.heap) == 0 || s.lazy[s.lazyMin].before(&s.heap[0]))
}

// NextAt reports the time of the earliest pending event.
func (s *Sim) NextAt() (time.Duration, bool) {
	s.skipStale()
	if s.lazyFirst() {
		return s.lazy[s.lazyMin].at, true
	}
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.heap[0].at, true
}

// Step runs the earliest pending event and reports whether there was one.
func (s *Sim) Step() bool { return s.stepDue(math.MaxInt64) }

// stepDue runs the earliest pending event if it is due at or before t, and
// reports whether it ran one. RunUntil's loop calls it alone, so that
// finding the earliest event is done once per event.
func (s *Sim) stepDue(t time.Duration) bool {
	s.skipStale()
	var top entry
	switch {
	case s.lazyFirst():
		if s.lazy[s.lazyMin].at > t {
			return false
		}
		top = s.lazy[s.lazyMin]
		s.unlazy(&s.slots[top.slot])
	case len(s.heap) > 0:
		if s.heap[0].at > t {
			return false
		}
		top = s.popTop()
	default:
		return false
	}
	s.now = top.at
	e := &s.slots[top.slot]
	owner := e.owner
	if owner != nil {
		if owner.inc != e.inc {
			s.release(top.slot) // the process that owned it has crashed
			return true
		}
		if owner.paused {
			e.state = stateHeld
			owner.held = append(owner.held, top.slot)
			return true
		}
	}
	fn, tm := e.fn, e.timer
	s.release(top.slot)
	s.fired++
	if s.Observer != nil {
		name := ""
		if owner != nil {
			name = owner.name
		}
		s.Observer(top.at, top.seq&^seqNormal, name)
	}
	if tm != nil {
		tm.fire()
	} else {
		fn()
	}
	return true
}

// yieldEvery is how many events RunUntil runs between two yields of the
// processor (runtime.Gosched). Yielding changes nothing in the simulation;
// it lets the garbage collector's background worker run. Without it, a run
// on one processor (GOMAXPROCS=1, or every processor busy with a run of a
// sweep) gives the worker a turn only at the scheduler's 10 ms preemption,
// so each collection's mark phase — and with it the write barrier on every
// pointer store — stretches over most of the run.
const yieldEvery = 4096

// RunUntil runs every event due at or before t, then sets the time to t.
// It stops early, with Err set, when a limit is reached (see SetLimits).
func (s *Sim) RunUntil(t time.Duration) {
	if s.err != nil {
		return
	}
	for n := 1; ; n++ {
		// One test per event covers both limits; the rest is out of line.
		if n%yieldEvery == 0 || s.fired >= s.maxFired {
			if s.overLimit(n) {
				return
			}
		}
		if !s.stepDue(t) {
			break
		}
	}
	if t > s.now {
		s.now = t
	}
}

// overLimit yields the processor every yieldEvery events (the n-th of this
// RunUntil), polls Limits.Stop then, and stops the run at the event budget,
// setting Err.
func (s *Sim) overLimit(n int) bool {
	if n%yieldEvery == 0 {
		runtime.Gosched()
		if s.limits.Stop != nil {
			if err := s.limits.Stop(); err != nil {
				s.err = err
				return true
			}
		}
	}
	if s.fired >= s.maxFired {
		s.err = &BudgetError{Events: s.fired, At: s.now}
		return true
	}
	return false
}

// Limits bound a run from outside the simulation: neither changes what a
// run that stays within them computes.
type Limits struct {
	// MaxEvents stops the run once this many events have run (0: no
	// limit).
	MaxEvents uint64
	// Stop, polled every few thousand events, stops the run when it
	// returns an error (a cancelled context's Err, for one).
	Stop func() error
}

// SetLimits sets the limits RunUntil observes.
func (s *Sim) SetLimits(l Limits) {
	s.limits = l
	s.maxFired = math.MaxUint64
	if l.MaxEvents > 0 {
		s.maxFired = l.MaxEvents
	}
}

// Err is why RunUntil stopped before its time: a *BudgetError, or what
// Limits.Stop returned. Nil when every run so far reached its time.
func (s *Sim) Err() error { return s.err }

// BudgetError is a run stopped by Limits.MaxEvents.
type BudgetError struct {
	Events uint64        // events run
	At     time.Duration // true time reached
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("event budget of %d events exhausted at simulated time %v", e.Events, e.At)
}

// RunFor runs the simulation for d of true time from now.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(addSat(s.now, d)) }

// Run runs until no event is pending. A simulation with a periodic timer
// never becomes idle; use RunUntil there.
func (s *Sim) Run() {
	for s.Step() {
	}
}

// up places x at position i or above, moving parents down into the hole.
func (s *Sim) up(i int, x entry) {
	h := s.heap
	for i > 0 {
		p := (i - 1) >> 2
		if !x.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

// down places x at position i or below, moving the least child up into the
// hole.
func (s *Sim) down(i int, x entry) {
	h := s.heap
	n := len(h)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := min(c+4, n)
		for k := c + 1; k < end; k++ {
			if h[k].before(&h[m]) {
				m = k
			}
		}
		if !h[m].before(&x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}

// popTop removes and returns the earliest entry.
func (s *Sim) popTop() entry {
	h := s.heap
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h[n] = entry{}
	s.heap = h[:n]
	if n > 0 {
		s.down(0, last)
	}
	return top
}

// Nodes lists the nodes in the order they were added.
func (s *Sim) Nodes() []*Node { return s.nodes }

// String describes the simulation state for debugging.
func (s *Sim) String() string {
	return fmt.Sprintf("sim{now=%v pending=%d fired=%d}", s.now, len(s.heap)+len(s.lazy), s.fired)
}
