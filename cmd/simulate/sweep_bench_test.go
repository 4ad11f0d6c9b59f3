package main

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkSweep1000x10 runs `simulate sweep` in-process — flag parsing,
// planning, the worker pool on every processor, the journal and every
// output file (JSON, CSV, benchmark text, heatmap PNG and SVG) — over 1,000
// grid points of the default scenario (ten simulated minutes each) with 10
// seeds per point: 10,000 runs. One iteration takes seconds; run it with
// -benchtime 1x:
//
//	go test -run '^$' -bench Sweep1000x10 -benchtime 1x ./cmd/simulate
//
// It reports wall-s (per sweep), points/s, runs/s and sim-s/wall-s.
func BenchmarkSweep1000x10(b *testing.B) {
	ten := func(first, step float64, unit string) string {
		var vs []string
		for i := range 10 {
			vs = append(vs, strconv.FormatFloat(first+float64(i)*step, 'f', -1, 64)+unit)
		}
		return strings.Join(vs, ",")
	}
	jobs := runtime.GOMAXPROCS(0)
	// 10 lease durations × 10 renew deadlines × 10 clock ratios, every
	// combination a valid configuration: 1,000 points.
	args := []string{"sweep", "--scenario", "default",
		"--lease", ten(20, 1, "s"), "--renew", ten(5, 1, "s"), "--skew", ten(1, 0.05, ""),
		"--seeds", "10", "-j", strconv.Itoa(jobs), "--progress", "never"}
	var out, errb bytes.Buffer
	for b.Loop() {
		out.Reset()
		errb.Reset()
		dir := b.TempDir()
		code := execute(context.Background(), append(args, "--out", dir), env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
		if code != 0 {
			b.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	}
	if !strings.Contains(out.String(), "1000 points × 10 seeds = 10000 runs") {
		b.Fatalf("unexpected sweep:\n%s", out.String())
	}
	perSweep := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perSweep, "wall-s")
	b.ReportMetric(1000/perSweep, "points/s")
	b.ReportMetric(10000/perSweep, "runs/s")
	b.ReportMetric(10000*600/perSweep, "sim-s/wall-s")
	b.ReportMetric(float64(jobs), "jobs")
}
