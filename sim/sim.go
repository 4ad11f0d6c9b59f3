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
	"fmt"
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

type event struct {
	at      time.Duration
	seq     uint64
	fn      func()
	owner   *Node
	inc     uint32
	gen     uint32
	heapIdx int32 // -1 when not queued
}

// Sim is one simulation run. It is not safe for concurrent use: parallelism
// belongs across runs, never inside one.
type Sim struct {
	now   time.Duration
	seq   uint64
	seed  uint64
	slots []event
	free  []int32
	heap  []int32
	fired uint64

	nodes []*Node
	// Observer, when set, sees every event just before it runs; the
	// determinism tests hash the sequence it produces.
	Observer func(at time.Duration, seq uint64, owner string)
}

// New returns an empty simulation at true time zero with the given run seed.
func New(seed uint64) *Sim {
	return &Sim{seed: seed}
}

// Seed is the run seed every stream is derived from.
func (s *Sim) Seed() uint64 { return s.seed }

// Now is the current true time since the run's epoch.
func (s *Sim) Now() time.Duration { return s.now }

// Fired counts the events that have run so far.
func (s *Sim) Fired() uint64 { return s.fired }

// Pending counts the events still queued (including those of crashed nodes
// that will be dropped when they fall due).
func (s *Sim) Pending() int { return len(s.heap) }

// Schedule runs fn at true time at (clamped to now if in the past). Events at
// equal times run in the order they were scheduled.
func (s *Sim) Schedule(at time.Duration, fn func()) EventID {
	return s.schedule(at, fn, nil, 0)
}

// After runs fn d after the current true time.
func (s *Sim) After(d time.Duration, fn func()) EventID {
	return s.schedule(s.now+d, fn, nil, 0)
}

func (s *Sim) schedule(at time.Duration, fn func(), owner *Node, inc uint32) EventID {
	if fn == nil {
		panic("sim: Schedule with a nil function")
	}
	if at < s.now {
		at = s.now
	}
	var slot int32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.slots = append(s.slots, event{})
		slot = int32(len(s.slots) - 1)
	}
	s.seq++
	e := &s.slots[slot]
	gen := e.gen + 1
	if gen == 0 {
		gen = 1
	}
	*e = event{at: at, seq: s.seq, fn: fn, owner: owner, inc: inc, gen: gen, heapIdx: int32(len(s.heap))}
	s.heap = append(s.heap, slot)
	s.up(len(s.heap) - 1)
	return EventID{slot: slot, gen: gen}
}

// Cancel removes a pending event. It reports whether the event was still
// pending; cancelling a fired or already cancelled event is a no-op.
func (s *Sim) Cancel(id EventID) bool {
	if id.gen == 0 || int(id.slot) >= len(s.slots) {
		return false
	}
	e := &s.slots[id.slot]
	if e.gen != id.gen || e.heapIdx < 0 {
		return false
	}
	s.removeAt(int(e.heapIdx))
	s.release(id.slot)
	return true
}

// When reports the true time at which a pending event is due.
func (s *Sim) When(id EventID) (time.Duration, bool) {
	if id.gen == 0 || int(id.slot) >= len(s.slots) {
		return 0, false
	}
	e := &s.slots[id.slot]
	if e.gen != id.gen || e.heapIdx < 0 {
		return 0, false
	}
	return e.at, true
}

func (s *Sim) release(slot int32) {
	e := &s.slots[slot]
	e.fn = nil
	e.owner = nil
	e.heapIdx = -1
	s.free = append(s.free, slot)
}

// NextAt reports the time of the earliest pending event.
func (s *Sim) NextAt() (time.Duration, bool) {
	if len(s.heap) == 0 {
		return 0, false
	}
	return s.slots[s.heap[0]].at, true
}

// Step runs the earliest pending event and reports whether there was one.
func (s *Sim) Step() bool {
	if len(s.heap) == 0 {
		return false
	}
	slot := s.heap[0]
	s.removeAt(0)
	e := &s.slots[slot]
	at, seq, fn, owner, inc := e.at, e.seq, e.fn, e.owner, e.inc
	s.release(slot)
	s.now = at
	if owner != nil {
		if owner.inc != inc {
			return true // the process that owned it has crashed
		}
		if owner.paused {
			owner.held = append(owner.held, fn)
			return true
		}
	}
	s.fired++
	if s.Observer != nil {
		name := ""
		if owner != nil {
			name = owner.name
		}
		s.Observer(at, seq, name)
	}
	fn()
	return true
}

// RunUntil runs every event due at or before t, then sets the time to t.
func (s *Sim) RunUntil(t time.Duration) {
	for len(s.heap) > 0 && s.slots[s.heap[0]].at <= t {
		s.Step()
	}
	if t > s.now {
		s.now = t
	}
}

// RunFor runs the simulation for d of true time from now.
func (s *Sim) RunFor(d time.Duration) { s.RunUntil(s.now + d) }

// Run runs until no event is pending. A simulation with a periodic timer
// never becomes idle; use RunUntil there.
func (s *Sim) Run() {
	for s.Step() {
	}
}

func (s *Sim) less(i, j int) bool {
	a, b := &s.slots[s.heap[i]], &s.slots[s.heap[j]]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (s *Sim) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.slots[s.heap[i]].heapIdx = int32(i)
	s.slots[s.heap[j]].heapIdx = int32(j)
}

func (s *Sim) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !s.less(j, i) {
			break
		}
		s.swap(i, j)
		j = i
	}
}

func (s *Sim) down(i int) bool {
	i0 := i
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && s.less(r, l) {
			j = r
		}
		if !s.less(j, i) {
			break
		}
		s.swap(i, j)
		i = j
	}
	return i > i0
}

func (s *Sim) removeAt(i int) {
	n := len(s.heap) - 1
	if i != n {
		s.swap(i, n)
	}
	s.slots[s.heap[n]].heapIdx = -1
	s.heap = s.heap[:n]
	if i != n {
		if !s.down(i) {
			s.up(i)
		}
	}
}

// Nodes lists the nodes in the order they were added.
func (s *Sim) Nodes() []*Node { return s.nodes }

// String describes the simulation state for debugging.
func (s *Sim) String() string {
	return fmt.Sprintf("sim{now=%v pending=%d fired=%d}", s.now, len(s.heap), s.fired)
}
