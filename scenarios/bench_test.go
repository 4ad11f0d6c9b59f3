package scenarios

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchScenario is n nodes on client-go defaults with light latency.
func benchScenario(n int, d time.Duration) *Scenario {
	sc := New()
	sc.Metadata.Name = fmt.Sprintf("bench-%d", n)
	sc.Spec.Duration = &metav1.Duration{Duration: d}
	ms := metav1.Duration{Duration: time.Millisecond}
	sc.Spec.API.Latency = Latency{Request: &Distribution{Type: DistFixed, Value: &ms}, Response: &Distribution{Type: DistFixed, Value: &ms}}
	sc.Spec.Nodes = nil
	for i := 0; i < n; i++ {
		sc.Spec.Nodes = append(sc.Spec.Nodes, Node{Name: fmt.Sprintf("n%d", i), Start: metav1.Duration{Duration: time.Duration(i) * 100 * time.Millisecond}})
	}
	Default(sc)
	return sc
}

func benchRun(b *testing.B, sc *Scenario) {
	b.ReportAllocs()
	var simulated time.Duration
	for b.Loop() {
		res, err := Run(sc)
		if err != nil {
			b.Fatal(err)
		}
		simulated += res.Duration
	}
	b.ReportMetric(simulated.Seconds()/b.Elapsed().Seconds(), "sim-s/wall-s")
}

// Simulated seconds per wall second for three nodes on client-go defaults.
func BenchmarkThreeNodesDefaults(b *testing.B) { benchRun(b, benchScenario(3, 24*time.Hour)) }

// Cost growth with the number of candidates.
func BenchmarkHerd(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) { benchRun(b, benchScenario(n, time.Hour)) })
	}
}

func BenchmarkLibraryDefault(b *testing.B) {
	sc, err := Named("default")
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, sc)
}
