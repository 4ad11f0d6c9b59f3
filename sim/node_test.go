package sim_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
)

// trace records labelled happenings with the true time and, for node
// events, the node's local reading.
type trace struct {
	s   *sim.Sim
	got []string
}

func (tr *trace) mark(label string) func() {
	return func() { tr.got = append(tr.got, fmt.Sprintf("%s@%v", label, tr.s.Now())) }
}

func (tr *trace) markLocal(label string, c *sim.Clock) func() {
	return func() {
		tr.got = append(tr.got, fmt.Sprintf("%s@%v/local=%v", label, tr.s.Now(), c.LocalNow()))
	}
}

func (tr *trace) want(t *testing.T, want ...string) {
	t.Helper()
	if !slices.Equal(tr.got, want) {
		t.Fatalf("trace\n got %q\nwant %q", tr.got, want)
	}
}

func TestPauseHoldsUntilResume(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{Rate: 2})
	c := n.Clock()
	tr := &trace{s: s}
	c.AfterFunc(4*time.Second, tr.markLocal("timer4", c)) // due at 2s true
	n.Schedule(3*time.Second, tr.markLocal("sched3", c))
	c.AfterFunc(7*time.Second, tr.markLocal("timer7", c)) // 3.5s true
	n.Schedule(1*time.Second, tr.markLocal("before", c))
	n.Schedule(6*time.Second, tr.markLocal("after", c))
	s.Schedule(2500*time.Millisecond, tr.mark("global"))
	s.Schedule(1500*time.Millisecond, n.Pause)
	s.Schedule(5*time.Second, func() {
		if !n.Paused() {
			t.Error("Paused() = false during the pause")
		}
		n.Resume()
		if n.Paused() {
			t.Error("Paused() = true after Resume")
		}
	})
	s.Run()
	// Held events run at the resume instant, in the order they fell due,
	// and see the local time that passed while the process was frozen.
	tr.want(t,
		"before@1s/local=2s",
		"global@2.5s",
		"timer4@5s/local=10s",
		"sched3@5s/local=10s",
		"timer7@5s/local=10s",
		"after@6s/local=12s",
	)
}

func TestHeldRunBeforeOtherEventsAtResumeInstant(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	s.Schedule(5*time.Second, n.Resume)
	n.Schedule(5*time.Second, tr.mark("due-at-resume"))
	s.Schedule(5*time.Second, tr.mark("global-at-resume"))
	n.Schedule(2*time.Second, tr.mark("fell-due-in-pause"))
	n.Pause()
	s.Run()
	// What fell due at 2s happened, for the process, before what fell due
	// at 5s, however the events were queued.
	tr.want(t, "fell-due-in-pause@5s", "due-at-resume@5s", "global-at-resume@5s")
}

func TestResumeFromOutsideAnEvent(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	n.Pause()
	n.Schedule(time.Second, tr.mark("a"))
	n.Schedule(2*time.Second, tr.mark("b"))
	s.RunUntil(3 * time.Second)
	tr.want(t)
	if s.Pending() != 0 {
		t.Fatalf("Pending = %d with everything held", s.Pending())
	}
	n.Resume()
	if at, ok := s.NextAt(); !ok || at != 3*time.Second {
		t.Fatalf("NextAt after Resume = %v, %v; want 3s", at, ok)
	}
	n.Resume() // not paused any more: nothing to run twice
	s.Run()
	tr.want(t, "a@3s", "b@3s")
}

func TestCancelHeldEvent(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	n.Pause()
	a := n.Schedule(time.Second, tr.mark("a"))
	b := n.Schedule(time.Second, tr.mark("b"))
	n.Schedule(time.Second, tr.mark("c"))
	s.RunUntil(2 * time.Second)
	if _, ok := s.When(b); ok {
		t.Fatal("When reports a due time for a held event")
	}
	if !s.Cancel(b) {
		t.Fatal("Cancel of a held event reported false")
	}
	if s.Cancel(b) {
		t.Fatal("second Cancel of a held event reported true")
	}
	n.Resume()
	s.Run()
	tr.want(t, "a@2s", "c@2s")
	if s.Cancel(a) {
		t.Fatal("Cancel of a held event that has since run reported true")
	}
}

func TestTimerStopWhileHeld(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	tm := n.Clock().AfterFunc(time.Second, tr.mark("timer"))
	n.Pause()
	s.RunUntil(2 * time.Second)
	// Not delivered to the process yet: it is still active.
	if !tm.Stop() {
		t.Fatal("Stop of a held timer reported false")
	}
	n.Resume()
	s.Run()
	tr.want(t)
}

func TestTimerResetWhileHeld(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{Rate: 2})
	c := n.Clock()
	tr := &trace{s: s}
	tm := c.AfterFunc(2*time.Second, tr.mark("timer")) // due at 1s true
	k := c.NewTicker(2 * time.Second)
	n.Pause()
	s.RunUntil(3 * time.Second)
	if !tm.Reset(10 * time.Second) { // 5s true from now
		t.Fatal("Reset of a held timer reported it inactive")
	}
	s.Schedule(4*time.Second, n.Resume)
	s.RunUntil(time.Minute)
	tr.want(t, "timer@8s")
	if len(k.C()) != 1 {
		t.Fatalf("ticker held over the pause delivered %d", len(k.C()))
	}
}

func TestSetRateDuringPause(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	c := n.Clock()
	tr := &trace{s: s}
	c.AfterFunc(time.Second, tr.mark("held"))
	c.AfterFunc(4*time.Second, tr.mark("moved"))
	n.Pause()
	s.RunUntil(2 * time.Second)
	c.SetRate(2) // 2s local left: 1s true
	s.RunUntil(5 * time.Second)
	n.Resume()
	s.Run()
	tr.want(t, "held@5s", "moved@5s")

	tr.got = nil
	c.AfterFunc(4*time.Second, tr.mark("fast"))
	s.Run()
	tr.want(t, "fast@7s")
}

func TestSetRateAtResumeKeepsHeldOrder(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	c := n.Clock()
	tr := &trace{s: s}
	s.Schedule(5*time.Second, n.Resume)
	n.Schedule(5*time.Second, tr.mark("due-at-resume"))
	c.AfterFunc(time.Second, func() {
		tr.mark("a")()
		c.SetRate(2) // b has fallen due already: it must not move
	})
	c.AfterFunc(2*time.Second, tr.mark("b"))
	n.Pause()
	s.Run()
	tr.want(t, "a@5s", "b@5s", "due-at-resume@5s")
}

func TestCrashDropsEverything(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{Rate: 0.5})
	c := n.Clock()
	tr := &trace{s: s}
	if n.Incarnation() != 1 {
		t.Fatalf("first incarnation %d, want 1", n.Incarnation())
	}
	tm := c.AfterFunc(time.Second, tr.mark("timer")) // 2s true
	held := c.AfterFunc(500*time.Millisecond, tr.mark("held-timer"))
	k := c.NewTicker(time.Second)
	c.TickFunc(time.Second, tr.mark("tick"))
	n.Schedule(10*time.Second, tr.mark("late")) // after the restart
	heldEv := n.Schedule(500*time.Millisecond, tr.mark("held-event"))
	s.Schedule(3*time.Second, tr.mark("global"))
	s.Schedule(400*time.Millisecond, n.Pause)
	s.RunUntil(1500 * time.Millisecond)
	n.Crash()
	if !n.Crashed() || n.Paused() || n.Incarnation() != 2 {
		t.Fatalf("after Crash: crashed=%v paused=%v inc=%d", n.Crashed(), n.Paused(), n.Incarnation())
	}
	if tm.Stop() || held.Stop() {
		t.Fatal("Stop of a timer of the crashed process reported it active")
	}
	if s.Cancel(heldEv) {
		t.Fatal("Cancel of a held event of the crashed process reported true")
	}
	n.Pause() // no process to freeze
	if n.Paused() {
		t.Fatal("Pause froze a crashed node")
	}
	n.Resume()
	s.RunUntil(5 * time.Second)
	n.Restart()
	if n.Crashed() || n.Incarnation() != 2 {
		t.Fatalf("after Restart: crashed=%v inc=%d", n.Crashed(), n.Incarnation())
	}
	n.Schedule(6*time.Second, tr.markLocal("new-event", c))
	c.AfterFunc(time.Second, tr.markLocal("new-timer", c))
	s.RunUntil(20 * time.Second)
	tr.want(t, "global@3s", "new-event@6s/local=3s", "new-timer@7s/local=3.5s")
	if len(k.C()) != 0 {
		t.Fatal("ticker of the crashed process delivered")
	}
	if s.Pending() != 0 {
		t.Fatalf("Pending = %d after everything fell due", s.Pending())
	}
}

func TestExitIsCrashWithoutTheFlag(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	c := n.Clock()
	tr := &trace{s: s}
	tm := c.AfterFunc(2*time.Second, tr.mark("timer"))
	n.Schedule(2*time.Second, tr.mark("event"))
	n.Schedule(500*time.Millisecond, tr.mark("held"))
	n.Pause()
	s.RunUntil(time.Second)
	n.Exit()
	if n.Crashed() || n.Paused() || n.Incarnation() != 2 {
		t.Fatalf("after Exit: crashed=%v paused=%v inc=%d", n.Crashed(), n.Paused(), n.Incarnation())
	}
	if tm.Stop() {
		t.Fatal("timer of the exited process still active")
	}
	// The next process may start at once.
	n.Schedule(1500*time.Millisecond, tr.mark("next"))
	s.Run()
	tr.want(t, "next@1.5s")
}

func TestCrashDuringPauseThenRestart(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	n.Schedule(time.Second, tr.mark("held"))
	n.Pause()
	s.RunUntil(2 * time.Second)
	n.Crash()
	n.Restart()
	n.Resume() // the pause ended with the crash
	n.Schedule(3*time.Second, tr.mark("fresh"))
	s.Run()
	tr.want(t, "fresh@3s")
	n.Crash()
	n.Crash() // already down: no new incarnation
	if n.Incarnation() != 3 {
		t.Fatalf("incarnation %d after a crash, a restart and two more crashes, want 3", n.Incarnation())
	}
}

func TestNonNodeEventsIgnoreFaults(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("n", sim.ClockConfig{})
	tr := &trace{s: s}
	for i := range 6 {
		s.Schedule(time.Duration(i)*time.Second, tr.mark(fmt.Sprint("g", i)))
	}
	s.Schedule(time.Second, n.Pause)
	s.Schedule(2*time.Second, n.Crash)
	s.Schedule(3*time.Second, n.Restart)
	s.Schedule(4*time.Second, n.Exit)
	s.Run()
	tr.want(t, "g0@0s", "g1@1s", "g2@2s", "g3@3s", "g4@4s", "g5@5s")
}

func TestObserverSeesRunEventsOnly(t *testing.T) {
	s := sim.New(1)
	a := s.AddNode("a", sim.ClockConfig{})
	b := s.AddNode("b", sim.ClockConfig{})
	if !slices.Equal(s.Nodes(), []*sim.Node{a, b}) || a.Name() != "a" || a.Sim() != s {
		t.Fatal("Nodes/Name/Sim do not describe the nodes as added")
	}
	var seen []string
	s.Observer = func(at time.Duration, seq uint64, owner string) {
		seen = append(seen, fmt.Sprintf("%v#%d:%s", at, seq, owner))
	}
	s.Schedule(time.Second, func() {})         // 1
	a.Schedule(2*time.Second, func() {})       // 2, held, re-queued as 6
	b.Schedule(2*time.Second, func() {})       // 3, dropped by the crash
	cancelled := s.Schedule(time.Second, noop) // 4, cancelled
	s.Schedule(3*time.Second, a.Resume)        // 5
	s.Cancel(cancelled)
	a.Pause()
	b.Crash()
	s.Run()
	want := []string{"1s#1:", "3s#5:", "3s#6:a"}
	if !slices.Equal(seen, want) {
		t.Fatalf("observer saw %q, want %q", seen, want)
	}
	if s.Fired() != 3 {
		t.Fatalf("Fired = %d, want 3 (held once, dropped and cancelled ones not)", s.Fired())
	}
}

func noop() {}
