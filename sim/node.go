package sim

import (
	"fmt"
	"time"
)

// Node is a simulated machine: a skewed clock and a process that can be
// paused (frozen: nothing of it runs, its clock keeps going), crashed (all its
// pending work is dropped) and restarted (fresh state is the owner's job; the
// kernel only guarantees that nothing of the old process survives).
type Node struct {
	sim     *Sim
	name    string
	clock   *Clock
	inc     uint32
	paused  bool
	crashed bool
	held    []int32 // slots of events that fell due while paused, in order
}

// AddNode adds a node with its own clock. Names must be unique.
func (s *Sim) AddNode(name string, cfg ClockConfig) *Node {
	for _, n := range s.nodes {
		if n.name == name {
			panic(fmt.Sprintf("sim: duplicate node name %q", name))
		}
	}
	n := &Node{sim: s, name: name, inc: 1}
	n.clock = newClock(s, n, cfg)
	s.nodes = append(s.nodes, n)
	return n
}

// Name is the node's name.
func (n *Node) Name() string { return n.name }

// Sim is the simulation the node belongs to.
func (n *Node) Sim() *Sim { return n.sim }

// Clock is the node's local clock.
func (n *Node) Clock() *Clock { return n.clock }

// Incarnation counts the node's processes: it starts at 1 and grows by one
// at every crash.
func (n *Node) Incarnation() uint32 { return n.inc }

// Paused reports whether the node's process is frozen.
func (n *Node) Paused() bool { return n.paused }

// Crashed reports whether the node's process is down.
func (n *Node) Crashed() bool { return n.crashed }

// Schedule runs fn at true time at on behalf of the node's current process:
// if the node is paused then, fn runs at resume; if the process has crashed
// by then, fn never runs.
func (n *Node) Schedule(at time.Duration, fn func()) EventID {
	if fn == nil {
		panic("sim: Schedule with a nil function")
	}
	return n.sim.schedule(at, fn, nil, n, n.inc)
}

// After is Schedule d of true time from now.
func (n *Node) After(d time.Duration, fn func()) EventID {
	return n.Schedule(n.sim.now+d, fn)
}

// Pause freezes the process. Events that fall due while it is frozen are
// held and run, in order, at Resume.
func (n *Node) Pause() {
	if n.crashed {
		return
	}
	n.paused = true
}

// Resume unfreezes the process and runs what fell due during the pause, in
// the order it fell due, at the current true time and before anything else
// due then. Held events keep their ids, so they can still be cancelled.
func (n *Node) Resume() {
	if !n.paused {
		return
	}
	n.paused = false
	s := n.sim
	for _, slot := range n.held {
		s.push(&s.slots[slot], slot, s.now, 0)
	}
	n.held = n.held[:0]
}

func (n *Node) unhold(slot int32) {
	for i, h := range n.held {
		if h == slot {
			n.held = append(n.held[:i], n.held[i+1:]...)
			return
		}
	}
	panic("sim: held event missing from its node")
}

// end ends the current process: its held events are released now, its
// queued ones are dropped when they fall due (their incarnation is stale).
func (n *Node) end() {
	n.paused = false
	for _, slot := range n.held {
		n.sim.release(slot)
	}
	n.held = n.held[:0]
	n.inc++
	n.clock.dropTimers()
}

// Crash ends the process: every pending event and timer of it is dropped
// (also those held by a pause), and it stays down until Restart.
func (n *Node) Crash() {
	if n.crashed {
		return
	}
	n.crashed = true
	n.end()
}

// Restart brings a crashed node back as a new process (a new incarnation).
// Starting whatever runs on it is the caller's business.
func (n *Node) Restart() {
	n.crashed = false
}

// Exit ends the current process as if it had returned from main: like Crash
// its pending work is dropped, but the node is not marked crashed, so the
// caller can start the next process at once or later.
func (n *Node) Exit() { n.end() }
