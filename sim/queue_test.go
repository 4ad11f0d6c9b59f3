package sim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/lesim/lesim/sim"
)

// recorder collects labels of fired events together with the true time at
// which each ran.
type recorder struct {
	s   *sim.Sim
	got []string
}

func (r *recorder) add(label string) func() {
	return func() { r.got = append(r.got, fmt.Sprintf("%s@%v", label, r.s.Now())) }
}

func wantPanic(t *testing.T, substr string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", substr)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, substr) {
			t.Fatalf("panic %q does not mention %q", msg, substr)
		}
	}()
	f()
}

func TestOrderTimeThenInsertion(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	s.Schedule(3*time.Second, r.add("c1"))
	s.Schedule(1*time.Second, r.add("a1"))
	s.Schedule(3*time.Second, r.add("c2"))
	s.Schedule(2*time.Second, r.add("b1"))
	s.Schedule(1*time.Second, r.add("a2"))
	s.Schedule(3*time.Second, r.add("c3"))
	s.Schedule(1*time.Second, r.add("a3"))
	s.Run()
	want := []string{"a1@1s", "a2@1s", "a3@1s", "b1@2s", "c1@3s", "c2@3s", "c3@3s"}
	if !slices.Equal(r.got, want) {
		t.Fatalf("order\n got %v\nwant %v", r.got, want)
	}
}

func TestEqualTimeFIFOAtScale(t *testing.T) {
	// Enough equal-time events that the heap has several levels: FIFO must
	// come from the sequence number, not from how the heap happens to sift.
	s := sim.New(1)
	var got []int
	for i := range 1000 {
		s.Schedule(time.Second, func() { got = append(got, i) })
		s.Schedule(time.Duration(i%7)*time.Second/2, func() {})
	}
	s.Run()
	for i, v := range got {
		if v != i {
			t.Fatalf("equal-time event %d ran in position %d", v, i)
		}
	}
	if len(got) != 1000 {
		t.Fatalf("ran %d of 1000 events", len(got))
	}
}

func TestScheduleFromEventAtSameTimeRunsAfterQueued(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	s.Schedule(time.Second, func() {
		r.add("first")()
		s.Schedule(time.Second, r.add("child"))
		s.After(0, r.add("child-after"))
	})
	s.Schedule(time.Second, r.add("second"))
	s.Run()
	want := []string{"first@1s", "second@1s", "child@1s", "child-after@1s"}
	if !slices.Equal(r.got, want) {
		t.Fatalf("got %v, want %v", r.got, want)
	}
}

func TestCancel(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	a := s.Schedule(time.Second, r.add("a"))
	b := s.Schedule(2*time.Second, r.add("b"))
	c := s.Schedule(3*time.Second, r.add("c"))
	if !a.Valid() || (sim.EventID{}).Valid() {
		t.Fatal("Valid: scheduled ids must be valid, the zero id not")
	}
	if !s.Cancel(b) {
		t.Fatal("Cancel of a pending event reported false")
	}
	if s.Cancel(b) {
		t.Fatal("second Cancel of the same event reported true")
	}
	if _, ok := s.When(b); ok {
		t.Fatal("When reports a cancelled event")
	}
	if at, ok := s.When(c); !ok || at != 3*time.Second {
		t.Fatalf("When(c) = %v, %v; want 3s, true", at, ok)
	}
	if s.Pending() != 2 {
		t.Fatalf("Pending = %d after one cancel of three, want 2", s.Pending())
	}
	s.RunUntil(time.Second)
	if s.Cancel(a) {
		t.Fatal("Cancel of a fired event reported true")
	}
	if s.Cancel(sim.EventID{}) {
		t.Fatal("Cancel of the zero id reported true")
	}
	// The cancelled slot is reused by the next event; the stale id must
	// not reach it.
	d := s.Schedule(4*time.Second, r.add("d"))
	if s.Cancel(b) || s.Cancel(a) {
		t.Fatal("a stale id cancelled a newer event")
	}
	if at, ok := s.When(d); !ok || at != 4*time.Second {
		t.Fatalf("When(d) = %v, %v; want 4s, true", at, ok)
	}
	s.Run()
	want := []string{"a@1s", "c@3s", "d@4s"}
	if !slices.Equal(r.got, want) {
		t.Fatalf("got %v, want %v", r.got, want)
	}
	if s.Fired() != 3 {
		t.Fatalf("Fired = %d, want 3", s.Fired())
	}
}

func TestCancelManyKeepsQueueIntact(t *testing.T) {
	// Cancelled entries are reclaimed in bulk; cancelling all, or all but
	// a few, of a queue must leave exactly the survivors, in order.
	for _, n := range []int{64, 65, 1000} {
		for _, keep := range []int{0, 1, 2, 5, 50} {
			s := sim.New(1)
			var got []int
			var ids []sim.EventID
			for i := range n {
				ids = append(ids, s.Schedule(time.Duration(n-i), func() { got = append(got, i) }))
			}
			// Cancel from the front, keeping the last few scheduled
			// (the earliest due).
			for i, id := range ids[:n-keep] {
				if !s.Cancel(id) {
					t.Fatalf("n=%d keep=%d: Cancel(%d) failed", n, keep, i)
				}
			}
			if s.Pending() != keep {
				t.Fatalf("n=%d keep=%d: Pending = %d", n, keep, s.Pending())
			}
			s.Run()
			if len(got) != keep || !slices.IsSortedFunc(got, func(a, b int) int { return b - a }) {
				t.Fatalf("n=%d keep=%d: ran %v", n, keep, got)
			}
		}
	}
}

func TestCancelFromInsideEvent(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	var later sim.EventID
	s.Schedule(time.Second, func() {
		if !s.Cancel(later) {
			t.Error("cancelling an equal-time successor failed")
		}
	})
	later = s.Schedule(time.Second, r.add("later"))
	s.Run()
	if len(r.got) != 0 {
		t.Fatalf("cancelled event ran: %v", r.got)
	}
}

func TestScheduleInPastClampsToNow(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	s.RunUntil(5 * time.Second)
	s.Schedule(5*time.Second, r.add("queued"))
	id := s.Schedule(time.Second, r.add("past"))
	s.After(-time.Hour, r.add("negative"))
	if at, ok := s.When(id); !ok || at != 5*time.Second {
		t.Fatalf("When(past) = %v, %v; want 5s, true", at, ok)
	}
	s.Run()
	// Clamped events keep their insertion order among events already due.
	want := []string{"queued@5s", "past@5s", "negative@5s"}
	if !slices.Equal(r.got, want) {
		t.Fatalf("got %v, want %v", r.got, want)
	}
	if s.Now() != 5*time.Second {
		t.Fatalf("time moved to %v", s.Now())
	}
}

func TestRunUntilRunForRunStep(t *testing.T) {
	s := sim.New(1)
	r := &recorder{s: s}
	if s.Step() {
		t.Fatal("Step on an empty queue reported true")
	}
	if _, ok := s.NextAt(); ok {
		t.Fatal("NextAt on an empty queue reported an event")
	}
	for _, at := range []time.Duration{1, 2, 2, 3, 5} {
		s.Schedule(at*time.Second, r.add(fmt.Sprint(int(at))))
	}
	if at, ok := s.NextAt(); !ok || at != time.Second {
		t.Fatalf("NextAt = %v, %v; want 1s", at, ok)
	}

	s.RunUntil(2 * time.Second) // inclusive
	if want := []string{"1@1s", "2@2s", "2@2s"}; !slices.Equal(r.got, want) {
		t.Fatalf("RunUntil(2s) ran %v, want %v", r.got, want)
	}
	if s.Now() != 2*time.Second {
		t.Fatalf("Now = %v after RunUntil(2s)", s.Now())
	}

	s.RunUntil(2500 * time.Millisecond) // no event due: time still moves
	if s.Now() != 2500*time.Millisecond || len(r.got) != 3 {
		t.Fatalf("RunUntil(2.5s): now %v, ran %d", s.Now(), len(r.got))
	}
	s.RunUntil(time.Second) // never backwards
	if s.Now() != 2500*time.Millisecond {
		t.Fatalf("RunUntil into the past moved time to %v", s.Now())
	}

	s.RunFor(time.Second) // to 3.5s
	if s.Now() != 3500*time.Millisecond || len(r.got) != 4 {
		t.Fatalf("RunFor: now %v, ran %v", s.Now(), r.got)
	}

	if !s.Step() || s.Now() != 5*time.Second || len(r.got) != 5 {
		t.Fatalf("Step: now %v, ran %v", s.Now(), r.got)
	}
	if s.Step() {
		t.Fatal("Step after the last event reported true")
	}

	s.After(time.Second, func() {
		r.add("x")()
		s.After(time.Second, r.add("y"))
	})
	s.Run()
	if s.Now() != 7*time.Second || r.got[len(r.got)-1] != "y@7s" {
		t.Fatalf("Run: now %v, ran %v", s.Now(), r.got)
	}
	if s.Pending() != 0 {
		t.Fatalf("Pending = %d after Run", s.Pending())
	}
}

func TestNilFunctionPanics(t *testing.T) {
	s := sim.New(1)
	wantPanic(t, "nil function", func() { s.Schedule(0, nil) })
	n := s.AddNode("a", sim.ClockConfig{})
	wantPanic(t, "nil function", func() { n.Schedule(0, nil) })
}

func TestStringDescribesState(t *testing.T) {
	s := sim.New(1)
	s.After(time.Second, func() {})
	s.After(2*time.Second, func() {})
	s.Step()
	if got, want := s.String(), "sim{now=1s pending=1 fired=1}"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
}

// TestQueueMatchesModel drives the queue with random schedule, cancel, step
// and run sequences and checks it against a sorted slice. Delays are drawn
// from a small range so that equal times, which is where ordering bugs
// hide, are common; some events schedule a child when they fire.
func TestQueueMatchesModel(t *testing.T) {
	type mev struct {
		at    time.Duration
		seq   int
		label int
		child time.Duration // delay of the child it schedules; <0: none
	}
	rapid.Check(t, func(rt *rapid.T) {
		s := sim.New(1)
		var (
			model  []mev
			ids    = map[int]sim.EventID{} // label -> id, once known
			labels []int
			fired  []int
			expect []int
			seq    int
			label  int
		)
		insert := func(m mev) {
			i, _ := slices.BinarySearchFunc(model, m, func(a, b mev) int {
				if a.at != b.at {
					return int(a.at - b.at)
				}
				return a.seq - b.seq
			})
			model = slices.Insert(model, i, m)
		}
		var fn func(l int, child time.Duration) func()
		fn = func(l int, child time.Duration) func() {
			return func() {
				fired = append(fired, l)
				if child >= 0 {
					ids[l+1] = s.Schedule(s.Now()+child, fn(l+1, -1))
				}
			}
		}
		schedule := func(at, child time.Duration) {
			seq++
			label++
			l := label
			if child >= 0 {
				label++ // reserved for the child
			}
			ids[l] = s.Schedule(at, fn(l, child))
			labels = append(labels, l)
			insert(mev{at: max(at, s.Now()), seq: seq, label: l, child: child})
		}
		modelStep := func() {
			m := model[0]
			model = model[1:]
			expect = append(expect, m.label)
			if m.child >= 0 {
				seq++
				labels = append(labels, m.label+1)
				insert(mev{at: m.at + m.child, seq: seq, label: m.label + 1, child: -1})
			}
		}
		cancel := func(l int) {
			i := slices.IndexFunc(model, func(m mev) bool { return m.label == l })
			if got := s.Cancel(ids[l]); got != (i >= 0) {
				rt.Fatalf("Cancel(%d) = %v, model says pending=%v", l, got, i >= 0)
			}
			if i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
		}
		nops := rapid.IntRange(1, 300).Draw(rt, "nops")
		for range nops {
			switch op := rapid.IntRange(0, 10).Draw(rt, "op"); op {
			case 0, 1, 2, 3:
				at := s.Now() + time.Duration(rapid.IntRange(-2, 8).Draw(rt, "at"))
				child := time.Duration(rapid.IntRange(-1, 3).Draw(rt, "child"))
				schedule(at, child)
			case 4:
				// A burst of schedules and cancels, enough to make stale
				// heap entries pile up and be compacted.
				n := rapid.SampledFrom([]int{1, 5, 63, 64, 65, 100, 150}).Draw(rt, "burst")
				for range n {
					schedule(s.Now()+time.Duration(rapid.IntRange(0, 8).Draw(rt, "bat")), -1)
				}
				keep := rapid.IntRange(0, n).Draw(rt, "keep")
				for _, l := range labels[len(labels)-n+keep:] {
					cancel(l)
				}
			case 10:
				// Everything at once: the heap may consist of stale
				// entries only.
				for _, l := range labels {
					cancel(l)
				}
			case 5, 6:
				if len(labels) > 0 {
					cancel(labels[rapid.IntRange(0, len(labels)-1).Draw(rt, "victim")])
				}
			case 7, 8:
				stepped := s.Step()
				if stepped != (len(model) > 0) {
					rt.Fatalf("Step = %v with %d modelled events", stepped, len(model))
				}
				if stepped {
					at := model[0].at
					modelStep()
					if s.Now() != at {
						rt.Fatalf("Now = %v after Step, want %v", s.Now(), at)
					}
				}
			case 9:
				until := s.Now() + time.Duration(rapid.IntRange(-1, 6).Draw(rt, "until"))
				for len(model) > 0 && model[0].at <= until {
					modelStep()
				}
				want := max(s.Now(), until)
				s.RunUntil(until)
				if s.Now() != want {
					rt.Fatalf("Now = %v after RunUntil(%v), want %v", s.Now(), until, want)
				}
			}
			if !slices.Equal(fired, expect) {
				rt.Fatalf("fired %v\nmodel %v", fired, expect)
			}
			if s.Pending() != len(model) {
				rt.Fatalf("Pending = %d, model has %d", s.Pending(), len(model))
			}
			at, ok := s.NextAt()
			if ok != (len(model) > 0) || (ok && at != model[0].at) {
				rt.Fatalf("NextAt = %v, %v; model %v", at, ok, model)
			}
			for _, m := range model {
				if at, ok := s.When(ids[m.label]); !ok || at != m.at {
					rt.Fatalf("When(%d) = %v, %v; want %v", m.label, at, ok, m.at)
				}
			}
			if s.Fired() != uint64(len(fired)) {
				rt.Fatalf("Fired = %d, ran %d", s.Fired(), len(fired))
			}
		}
		s.Run()
		for len(model) > 0 {
			modelStep()
		}
		if !slices.Equal(fired, expect) {
			rt.Fatalf("after Run: fired %v\nmodel %v", fired, expect)
		}
	})
}
