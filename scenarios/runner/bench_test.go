package runner

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// Benchmarks report, besides ns/op:
//
//	sim-s/wall-s   simulated seconds per wall second (the headline figure;
//	               run with -cpu 1 for the one-core number)
//	allocs/sim-s   heap allocations per simulated second
//	B/sim-s        bytes allocated per simulated second
//	wall-ns/sim-s/candidate
//	               (herds) wall time per simulated second per candidate,
//	               flat when cost grows linearly with the candidates

// benchScenario is n nodes on client-go defaults (LD 15s, RD 10s, RP 2s)
// with light API latency, 1–5 ms each way, starting 100 ms apart.
func benchScenario(n int, d time.Duration) *scenarios.Scenario {
	sc := scenarios.New()
	sc.Metadata.Name = fmt.Sprintf("bench-%d", n)
	sc.Spec.Duration = &metav1.Duration{Duration: d}
	light := &scenarios.Distribution{Type: scenarios.DistUniform, Min: scenarios.Dur(time.Millisecond), Max: scenarios.Dur(5 * time.Millisecond)}
	sc.Spec.API.Latency = scenarios.Latency{Request: light, Response: light}
	sc.Spec.Nodes = nil
	for i := 0; i < n; i++ {
		sc.Spec.Nodes = append(sc.Spec.Nodes, scenarios.Node{Name: fmt.Sprintf("n%d", i), Start: metav1.Duration{Duration: time.Duration(i) * 100 * time.Millisecond}})
	}
	scenarios.Default(sc)
	return sc
}

// benchRun runs sc b.N times and reports the per-simulated-second figures.
// It returns the simulated seconds per wall second.
func benchRun(b *testing.B, sc *scenarios.Scenario) float64 {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var simulated time.Duration
	for b.Loop() {
		res, err := Run(sc)
		if err != nil {
			b.Fatal(err)
		}
		simulated += res.Duration
	}
	runtime.ReadMemStats(&after)
	simS := simulated.Seconds()
	rate := simS / b.Elapsed().Seconds()
	b.ReportMetric(rate, "sim-s/wall-s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/simS, "allocs/sim-s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/simS, "B/sim-s")
	return rate
}

// BenchmarkDefault is the CLI's default run: the library's default scenario
// (three nodes, lognormal latency, a crash and a partition, ten minutes).
func BenchmarkDefault(b *testing.B) {
	sc, err := scenarios.Named(scenarios.DefaultName)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, sc)
}

// BenchmarkThreeNodesDefaults is the headline: three nodes on client-go
// defaults with light latency over a simulated day.
func BenchmarkThreeNodesDefaults(b *testing.B) { benchRun(b, benchScenario(3, 24*time.Hour)) }

// BenchmarkHerd is the cost curve in the number of candidates: one leader
// renewing and n-1 followers polling, a simulated hour each.
func BenchmarkHerd(b *testing.B) {
	for _, n := range []int{3, 10, 100, 1000} {
		b.Run(fmt.Sprintf("candidates=%d", n), func(b *testing.B) {
			rate := benchRun(b, benchScenario(n, time.Hour))
			b.ReportMetric(1e9/rate/float64(n), "wall-ns/sim-s/candidate")
		})
	}
}

// BenchmarkHeavyFaults runs heavyFaultScenario for six simulated hours:
// every partition mode, outages, crashes, pauses, stops, stale reads,
// injected errors and heavy-tailed latency.
func BenchmarkHeavyFaults(b *testing.B) { benchRun(b, heavyFaultScenario(6*time.Hour)) }

// BenchmarkPeakHeap measures the heap of a run with the trace off, for a
// simulated hour and a simulated week of three nodes on client-go
// defaults: memory must not grow with the simulated duration.
//
//	peak-heap-B       the largest heap the run keeps: heap objects
//	                  (runtime/metrics /memory/classes/heap/objects:bytes)
//	                  read right after a forced collection, at the start,
//	                  at 32 instants evenly spread over the simulated
//	                  duration, and at the end
//	peak-heap-nogc-B  the largest heap seen by a cheap sample every 4096
//	                  events without forcing anything: live objects plus
//	                  garbage not yet collected
//	end-live-B        the live heap after a collection at the run's end,
//	                  with the run's state still reachable
//
// Every figure includes the test binary's fixed baseline (about 2.8 MB).
// A run allocates a few bytes per simulated second that die at once (the
// text of each new resourceVersion); until the collector runs, that garbage
// counts in peak-heap-nogc-B, so that figure grows with the duration of a
// run that keeps nothing, by as much as the collector lets garbage pile up.
func BenchmarkPeakHeap(b *testing.B) {
	for _, c := range []struct {
		name string
		d    time.Duration
	}{{"1h", time.Hour}, {"1week", 7 * 24 * time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			sc := benchScenario(3, c.d)
			var peak heapPeak
			for b.Loop() {
				peak = measurePeakHeap(b, sc)
			}
			b.ReportMetric(float64(peak.kept), "peak-heap-B")
			b.ReportMetric(float64(peak.sampled), "peak-heap-nogc-B")
			b.ReportMetric(float64(peak.endLive), "end-live-B")
		})
	}
}

type heapPeak struct{ kept, sampled, endLive uint64 }

// measurePeakHeap runs sc as RunWith does, with an observer that samples
// the heap.
func measurePeakHeap(tb testing.TB, sc *scenarios.Scenario) heapPeak {
	sc = sc.Clone()
	scenarios.Default(sc)
	if errs := sc.Validate(); len(errs) > 0 {
		tb.Fatal(errs)
	}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var p heapPeak
	sample := func() uint64 {
		metrics.Read(samples)
		v := samples[0].Value.Uint64()
		p.sampled = max(p.sampled, v)
		return v
	}
	kept := func() {
		runtime.GC()
		p.kept = max(p.kept, sample())
	}
	kept()
	r := newRunner(sc, sc.Seed(), RunOptions{})
	r.setup()
	inner := r.s.Observer
	var events uint64
	const points = 32
	next, step := r.end/points, r.end/points
	r.s.Observer = func(at time.Duration, seq uint64, owner string) {
		if inner != nil {
			inner(at, seq, owner)
		}
		if events++; events%4096 == 0 {
			sample()
		}
		if at >= next {
			next += step
			kept()
		}
	}
	r.s.RunUntil(r.end)
	res := r.finish()
	kept()
	p.endLive = samples[1].Value.Uint64()
	runtime.KeepAlive(r)
	runtime.KeepAlive(res)
	return p
}
