package conformance

import (
	"testing"
	"testing/synctest"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// inBubble runs f in a testing/synctest bubble from a benchmark, which has
// no *testing.T of its own: testing.RunTests lends one.
func inBubble(b *testing.B, f func()) {
	ok := testing.RunTests(func(string, string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: "bubble", F: func(t *testing.T) {
			synctest.Test(t, func(*testing.T) { f() })
		}}})
	if !ok {
		b.Fatal("synctest bubble failed")
	}
}

// sideBySide is three nodes on client-go's defaults with light latency for
// one simulated hour: the scenario both electors are timed on.
func sideBySide(b *testing.B) *scenarios.Scenario {
	sc := scenarios.New()
	sc.Metadata.Name = "three-nodes-defaults-light-latency"
	sc.Spec.Duration = &metav1.Duration{Duration: time.Hour}
	sc.Spec.Elector.Variant = scenarios.VariantV037
	light := &scenarios.Distribution{Type: scenarios.DistUniform,
		Min: &metav1.Duration{Duration: time.Millisecond}, Max: &metav1.Duration{Duration: 5 * time.Millisecond}}
	sc.Spec.API.Latency = scenarios.Latency{Request: light, Response: light}
	sc.Spec.Nodes = []scenarios.Node{{Name: "a"}, {Name: "b", Start: metav1.Duration{Duration: 2 * time.Second}},
		{Name: "c", Start: metav1.Duration{Duration: 4 * time.Second}}}
	p, err := prepare(sc)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkRealVsLesim times client-go v0.37.2's elector in a synctest
// bubble and lesim's elector on the same scenario; "sim-s/wall-s" of the
// two sub-benchmarks is the side-by-side figure, and the lesim one also
// reports the ratio against a real run measured in the same benchmark.
func BenchmarkRealVsLesim(b *testing.B) {
	sc := sideBySide(b)
	simS := sc.Duration().Seconds()
	var realRate float64
	b.Run("real-client-go-synctest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			inBubble(b, func() {
				if _, err := runReal(sc, sc.Seed()); err != nil {
					b.Error(err)
				}
			})
		}
		realRate = simS * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(realRate, "sim-s/wall-s")
	})
	b.Run("lesim", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := runLesim(sc, sc.Seed()); err != nil {
				b.Fatal(err)
			}
		}
		rate := simS * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "sim-s/wall-s")
		if realRate > 0 {
			b.ReportMetric(rate/realRate, "x-real")
		}
	})
}
