package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// BenchmarkTraceReportMemory runs leader-crash for a number of simulated
// hours as `simulate run` does, without and with --trace FILE --report DIR
// (trace streamed to its file, report folded by an analysis.Collector),
// and reports the peak heap in use, sampled every millisecond. Flat
// memory means the traced peak stays close to the plain one as the hours
// grow. More hours (slow: about a second of CPU per simulated hour here):
//
//	LESIM_BENCH_HOURS=1,10,100 go test -run '^$' -bench TraceReportMemory -benchtime 1x ./cmd/simulate
func BenchmarkTraceReportMemory(b *testing.B) {
	hours := []int{1, 4}
	if env := os.Getenv("LESIM_BENCH_HOURS"); env != "" {
		hours = nil
		for _, f := range strings.Split(env, ",") {
			h, err := strconv.Atoi(f)
			if err != nil || h <= 0 {
				b.Fatalf("LESIM_BENCH_HOURS=%s: expected hours, comma-separated", env)
			}
			hours = append(hours, h)
		}
	}
	for _, h := range hours {
		for _, traced := range []bool{false, true} {
			b.Run(fmt.Sprintf("hours=%d/trace+report=%v", h, traced), func(b *testing.B) {
				sc, err := scenarios.Named("leader-crash")
				if err != nil {
					b.Fatal(err)
				}
				sc.Spec.Duration = &metav1.Duration{Duration: time.Duration(h) * time.Hour}
				var peak uint64
				for range b.N {
					peak = max(peak, peakHeap(func() { runForMemory(b, sc, traced) }))
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		}
	}
}

func runForMemory(b *testing.B, sc *scenarios.Scenario, traced bool) {
	if !traced {
		if _, err := runner.RunWith(sc, runner.RunOptions{}); err != nil {
			b.Fatal(err)
		}
		return
	}
	dir := b.TempDir()
	cmd := &cobra.Command{Use: "run"}
	cmd.SetContext(context.Background())
	ro := &runOpts{trace: filepath.Join(dir, "events.jsonl"), report: filepath.Join(dir, "report")}
	ro.maxEventsFlag.n = scenarios.DefaultMaxEvents
	if _, n, err := ro.runWithOutputs(cmd, sc, "bench", nil, nil); err != nil || n == 0 {
		b.Fatalf("%v (%d events)", err, n)
	}
}

// peakHeap runs f and returns the largest HeapInuse seen while it ran.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}
