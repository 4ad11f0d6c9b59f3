package tune

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lesim/lesim/scenarios"
)

// Environment describes a cluster for tuning without a scenario file.
type Environment struct {
	// MaxClockRatio is the largest clock-rate ratio between two nodes.
	MaxClockRatio float64
	// Latency is the median one-way API latency; LatencyMax the largest.
	// The latency is lognormal with its 99.9th percentile at LatencyMax
	// and capped there, so the tail reaches what the user gave.
	Latency, LatencyMax time.Duration
	// PauseBound is the longest process pause to tolerate (0: none).
	PauseBound time.Duration
}

// Sigma is the lognormal shape that puts the 99.9th percentile of a
// latency with median m at max: ln(max/m) / z(0.999).
func Sigma(m, max time.Duration) float64 {
	return math.Log(float64(max)/float64(m)) / distuv.UnitNormal.Quantile(0.999)
}

// Scenario builds the environment as a scenario: three nodes (a at rate
// 1, b at MaxClockRatio, c at its inverse), the latency above, and the
// faults that remove a leader — the first leader partitioned with its
// requests dropped, the followers crashed (one of them leads by then),
// the leader partitioned with its responses dropped (the write lands, the
// acknowledgement does not), and with a pause bound, the followers frozen
// (one of them leads by then).
func (e Environment) Scenario() *scenarios.Scenario {
	sc := scenarios.New()
	sc.Metadata.Name = "tune-environment"
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	lat := &scenarios.Distribution{Type: scenarios.DistFixed, Value: d(e.Latency)}
	if e.LatencyMax > e.Latency {
		sigma := Sigma(e.Latency, e.LatencyMax)
		lat = &scenarios.Distribution{Type: scenarios.DistLogNormal, Median: d(e.Latency), Sigma: &sigma, Max: d(e.LatencyMax)}
	}
	sc.Spec.API.Latency = scenarios.Latency{Request: lat, Response: lat}
	fast, slow := e.MaxClockRatio, 1/e.MaxClockRatio
	sc.Spec.Nodes = []scenarios.Node{
		{Name: "a"},
		{Name: "b", Start: metav1.Duration{Duration: 2 * time.Second}, Clock: &scenarios.Clock{Rate: &fast}},
		{Name: "c", Start: metav1.Duration{Duration: 4 * time.Second}, Clock: &scenarios.Clock{Rate: &slow}},
	}
	at := func(v time.Duration) metav1.Duration { return metav1.Duration{Duration: v} }
	sc.Spec.Faults = []scenarios.Fault{
		{Type: scenarios.FaultPartition, At: at(time.Minute), Duration: d(45 * time.Second), Nodes: []string{"a"}, Mode: scenarios.ModeDropRequests},
		{Type: scenarios.FaultCrash, At: at(3 * time.Minute), Nodes: []string{"b", "c"}},
		{Type: scenarios.FaultPartition, At: at(5 * time.Minute), Duration: d(45 * time.Second), Nodes: []string{"a"}, Mode: scenarios.ModeDropResponses},
	}
	end := 7 * time.Minute
	if e.PauseBound > 0 {
		sc.Spec.Faults = append(sc.Spec.Faults, scenarios.Fault{Type: scenarios.FaultPause, At: at(end), Duration: d(e.PauseBound), Nodes: []string{"b", "c"}})
		end += e.PauseBound + 2*time.Minute
	}
	sc.Spec.Duration = d(end + 2*time.Minute)
	scenarios.Default(sc)
	return sc
}
