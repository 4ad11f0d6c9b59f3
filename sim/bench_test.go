package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
)

// benchDelays is a fixed table of delays so that the benchmarks measure the
// kernel, not a random generator, while still exercising a mixed heap.
var benchDelays = func() []time.Duration {
	r := sim.NewStream(1, "bench/delays")
	d := make([]time.Duration, 4096)
	for i := range d {
		d[i] = time.Duration(r.Int64N(int64(10 * time.Millisecond)))
	}
	return d
}()

func reportEvents(b *testing.B, events int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(events)/s, "events/s")
	}
}

// BenchmarkScheduleFire measures one schedule plus one fire per op with a
// steady number of pending events: every fired event schedules its
// successor, as timers and message deliveries do in a real run.
func BenchmarkScheduleFire(b *testing.B) {
	for _, pending := range []int{16, 1024, 65536} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			s := sim.New(1)
			i := 0
			var fn func()
			fn = func() {
				i++
				s.After(benchDelays[i&(len(benchDelays)-1)], fn)
			}
			for range pending {
				fn()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				s.Step()
			}
			b.StopTimer()
			reportEvents(b, b.N)
		})
	}
}

// BenchmarkScheduleCancel measures schedule plus cancel, the fate of most
// timeouts (a renew succeeds before its deadline), against a steady
// background of pending events.
func BenchmarkScheduleCancel(b *testing.B) {
	for _, pending := range []int{16, 1024, 65536} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			s := sim.New(1)
			nop := func() {}
			for i := range pending {
				s.After(benchDelays[i&(len(benchDelays)-1)], nop)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				id := s.After(benchDelays[i&(len(benchDelays)-1)], nop)
				if !s.Cancel(id) {
					b.Fatal("cancel of a pending event failed")
				}
			}
			b.StopTimer()
			reportEvents(b, b.N)
		})
	}
}

// BenchmarkNodeTimer measures AfterFunc on a skewed node clock plus its
// firing: "new" creates a timer per op (the pattern of code that calls
// AfterFunc per attempt), "reset" re-arms one timer per chain.
func BenchmarkNodeTimer(b *testing.B) {
	const chains = 1024
	b.Run("new", func(b *testing.B) {
		s := sim.New(1)
		c := s.AddNode("a", sim.ClockConfig{Rate: 1.37, Offset: 3 * time.Second}).Clock()
		i := 0
		var fn func()
		fn = func() {
			i++
			c.AfterFunc(benchDelays[i&(len(benchDelays)-1)], fn)
		}
		for range chains {
			fn()
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			s.Step()
		}
		b.StopTimer()
		reportEvents(b, b.N)
	})
	b.Run("reset", func(b *testing.B) {
		s := sim.New(1)
		c := s.AddNode("a", sim.ClockConfig{Rate: 0.73}).Clock()
		i := 0
		for range chains {
			var t interface{ Reset(time.Duration) bool }
			t = c.AfterFunc(benchDelays[i&(len(benchDelays)-1)], func() {
				i++
				t.Reset(benchDelays[i&(len(benchDelays)-1)])
			})
			i++
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			s.Step()
		}
		b.StopTimer()
		reportEvents(b, b.N)
	})
}
