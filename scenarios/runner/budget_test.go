package runner

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// TestOffsetsDoNotChangeWhoLeads: a clock offset shifts a node's readings,
// never the intervals it measures, so leadership is the same with offsets
// near the ends of the allowed range as without. Before readings were
// bounded and checked, an offset of +2562047h47m overflowed timer
// deadlines and changed who led.
func TestOffsetsDoNotChangeWhoLeads(t *testing.T) {
	base, err := scenarios.Named("leader-crash")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Run(base)
	if err != nil {
		t.Fatal(err)
	}
	far := 1_200_000 * time.Hour // near MaxReading less the run
	for _, offsets := range [][]time.Duration{{far, -far, far}, {-far, far, 0}} {
		sc := base.Clone()
		for i := range sc.Spec.Nodes {
			if sc.Spec.Nodes[i].Clock == nil {
				sc.Spec.Nodes[i].Clock = &scenarios.Clock{}
			}
			sc.Spec.Nodes[i].Clock.Offset = metav1.Duration{Duration: offsets[i%len(offsets)]}
		}
		if errs := sc.Validate(); len(errs) > 0 {
			t.Fatalf("offsets %v rejected: %v", offsets, errs)
		}
		got, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Leadership, ref.Leadership) || len(got.Leadership) == 0 {
			t.Errorf("offsets %v changed leadership:\n got %+v\nwant %+v", offsets, got.Leadership, ref.Leadership)
		}
	}
}

// TestEventEstimate: the pre-flight estimate names the setting that makes
// a scenario too expensive, and lets the library's scenarios through.
func TestEventEstimate(t *testing.T) {
	const head = "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n"
	sc, err := scenarios.Parse("t.yaml", []byte(head+"  elector: {leaseDuration: 3ns, renewDeadline: 2ns, retryPeriod: 1ns}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, ferr := scenarios.EstimateEvents(sc, scenarios.DefaultMaxEvents)
	if ferr == nil || !strings.Contains(scenarios.Message(ferr), "spec.elector.retryPeriod: retryPeriod 1ns with 3 nodes: about 3e+09 requests per simulated second") {
		t.Errorf("1ns retry: %v", ferr)
	}
	sc, err = scenarios.Parse("t.yaml", []byte(head+"  nodes: [{name: a}, {name: b, elector: {leaseDuration: 1s, renewDeadline: 500ms, retryPeriod: 1us}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ferr := scenarios.EstimateEvents(sc, 1e8); ferr == nil || !strings.HasPrefix(scenarios.Message(ferr), "spec.nodes[1].elector.retryPeriod: retryPeriod 1µs with 1 node") {
		t.Errorf("node-level 1us retry: %v", ferr)
	}
	if _, err := RunWith(sc, RunOptions{MaxEvents: 1e8}); err == nil || !strings.Contains(err.Error(), "--max-events") {
		t.Errorf("RunWith ran a scenario over budget: %v", err)
	}
	for _, e := range scenarios.Library() {
		sc, err := scenarios.Named(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n, ferr := scenarios.EstimateEvents(sc, scenarios.DefaultMaxEvents); ferr != nil {
			t.Errorf("library scenario %s refused (%.3g events): %v", e.Name, n, ferr)
		}
	}
}

// TestRunBudgetStops: a run that reaches its event budget stops with an
// error instead of running on.
func TestRunBudgetStops(t *testing.T) {
	sc, err := scenarios.Named("healthy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunWith(sc, RunOptions{MaxEvents: 1900}); err == nil || !strings.Contains(err.Error(), "exhausted its event budget (1900 events") {
		t.Errorf("budget 1900 (estimate 1800, the run takes about 2000): %v", err)
	}
}
