package sim

import (
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"k8s.io/utils/clock"
)

// lazyWorkload runs timers on several nodes — started, stopped, reset from
// inside and outside their callbacks, across pauses, rate changes and
// crashes — next to plain events, and returns a digest of every event the
// kernel ran (time, sequence, owner) plus every timer firing.
func lazyWorkload(seed uint64, maxLazy int, horizon time.Duration) (string, uint64) {
	s := New(seed)
	s.maxLazy = maxLazy
	h := fnv.New64a()
	s.Observer = func(at time.Duration, seq uint64, owner string) {
		fmt.Fprintf(h, "%d %d %s\n", at, seq, owner)
	}
	r := s.Stream("workload")
	var nodes []*Node
	for i := range 4 {
		nodes = append(nodes, s.AddNode(fmt.Sprintf("n%d", i), ClockConfig{Rate: 0.8 + 0.1*float64(i)}))
	}
	type slot struct {
		t     clock.Timer
		label string
	}
	timers := make([][]slot, len(nodes))
	var op func()
	op = func() {
		ni := r.IntN(len(nodes))
		n := nodes[ni]
		c := n.Clock()
		d := time.Duration(r.Int64N(int64(3 * time.Second)))
		switch k := r.IntN(20); {
		case k < 7:
			label := fmt.Sprintf("t%d", r.Uint32())
			var t clock.Timer
			t = c.AfterFunc(d, func() {
				fmt.Fprintf(h, "fire %s %s %d\n", n.Name(), label, s.Now())
				if r.IntN(3) == 0 {
					t.Reset(time.Duration(r.Int64N(int64(time.Second))))
				}
			})
			timers[ni] = append(timers[ni], slot{t, label})
		case k < 11:
			if ts := timers[ni]; len(ts) > 0 {
				i := r.IntN(len(ts))
				fmt.Fprintf(h, "stop %s %v\n", ts[i].label, ts[i].t.Stop())
			}
		case k < 14:
			if ts := timers[ni]; len(ts) > 0 {
				i := r.IntN(len(ts))
				fmt.Fprintf(h, "reset %s %v\n", ts[i].label, ts[i].t.Reset(d))
			}
		case k < 15:
			n.After(d, func() { fmt.Fprintf(h, "node-event %s %d\n", n.Name(), s.Now()) })
		case k < 16:
			if n.Paused() {
				n.Resume()
			} else {
				n.Pause()
			}
		case k < 17:
			c.SetRate(0.5 + r.Float64())
		case k < 18:
			if r.IntN(4) == 0 {
				n.Crash()
				timers[ni] = nil
				s.After(d, n.Restart)
			}
		default:
			tk := c.TickFunc(d+time.Millisecond, func() { fmt.Fprintf(h, "tick %s %d\n", n.Name(), s.Now()) })
			s.After(3*d, tk.Stop)
		}
		fmt.Fprintf(h, "pending %d\n", s.Pending())
		s.After(time.Duration(r.Int64N(int64(200*time.Millisecond))), op)
	}
	s.After(0, op)
	s.RunUntil(horizon)
	return fmt.Sprintf("%016x", h.Sum64()), s.Fired()
}

// The lazy timer set changes where timers wait, never the order they run
// in: the same workload gives the same digest with it off, tiny, or at its
// usual size.
func TestLazyTimersKeepOrder(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		var want string
		for _, n := range []int{0, 1, 3, 16, 1 << 20} {
			got, fired := lazyWorkload(seed, n, 10*time.Minute)
			if fired < 1000 {
				t.Fatalf("seed %d: only %d events", seed, fired)
			}
			if want == "" {
				want = got
			} else if got != want {
				t.Fatalf("seed %d: maxLazy=%d gives %s, maxLazy=0 gives %s", seed, n, got, want)
			}
		}
	}
}
