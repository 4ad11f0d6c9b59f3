package runner

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// A latency fault without nodes slows every node, as the schema says
// ("absent: all"): requests slower than the client's timeout cost the
// leader its lease and leave the cluster leaderless, exactly as when the
// fault names every node, and unlike a run without the fault.
func TestLatencyFaultWithoutNodesHitsEveryNode(t *testing.T) {
	base := mustNamed(t, "healthy")
	slow := &scenarios.Distribution{Type: scenarios.DistFixed, Value: &metav1.Duration{Duration: time.Minute}}
	withFault := func(nodes []string) *scenarios.Scenario {
		sc := base.Clone()
		sc.Spec.Faults = append(sc.Spec.Faults, scenarios.Fault{Type: scenarios.FaultLatency, At: metav1.Duration{Duration: 20 * time.Second},
			Duration: &metav1.Duration{Duration: 40 * time.Second}, Nodes: nodes, Request: slow})
		return sc
	}
	var all []string
	for _, n := range base.Spec.Nodes {
		all = append(all, n.Name)
	}
	none := mustRun(t, base, RunOptions{})
	every := mustRun(t, withFault(nil), RunOptions{})
	named := mustRun(t, withFault(all), RunOptions{})
	got, want, without := fmt.Sprint(every.Leaderless), fmt.Sprint(named.Leaderless), fmt.Sprint(none.Leaderless)
	if got == without || got != want {
		t.Fatalf("leaderless: %s with a latency fault without nodes, %s naming every node, %s without the fault", got, want, without)
	}
}
