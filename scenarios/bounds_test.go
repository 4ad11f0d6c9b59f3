package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestOffsetsDoNotChangeWhoLeads: a clock offset shifts a node's readings,
// never the intervals it measures, so leadership is the same with offsets
// near the ends of the allowed range as without. Before readings were
// bounded and checked, an offset of +2562047h47m overflowed timer
// deadlines and changed who led.
func TestOffsetsDoNotChangeWhoLeads(t *testing.T) {
	base, err := Named("leader-crash")
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
				sc.Spec.Nodes[i].Clock = &Clock{}
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

// TestReadingBounds: each way of pushing a clock past ±MaxReading is
// refused at the field responsible, and the largest values inside the
// bounds are accepted.
func TestReadingBounds(t *testing.T) {
	const head = "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n"
	for _, tc := range []struct{ yaml, want string }{
		{"  nodes: [{name: a, clock: {offset: 1281024h}}]\n", "spec.nodes[0].clock.offset: node a's clock could read"},
		{"  nodes: [{name: a, clock: {offset: -1281024h}}]\n", "spec.nodes[0].clock.offset: node a's clock could read"},
		{"  duration: 1300h\n  nodes: [{name: a, clock: {rate: 1000}}]\n", "spec.nodes[0].clock.rate: node a's clock could read"},
		{"  duration: 1300h\n  nodes: [{name: a, clock: {schedule: [{at: 1h, rate: 999}]}}]\n", "spec.nodes[0].clock.schedule[0].rate: node a's clock could read"},
		{"  duration: 1300h\n  nodes: [{name: a}]\n  faults: [{type: clockRate, at: 1h, nodes: [a], rate: 999}]\n", "spec.faults[0].rate: node a's clock could read"},
		{"  nodes: [{name: a}]\n  faults: [{type: clockJump, at: 1m, nodes: [a], jump: 1281024h}]\n", "spec.faults[0].jump: node a's clock could read"},
		{"  duration: 1281024h\n", "spec.duration: 1281024h is longer than any run can be"},
		{"  nodes: [{name: a, clock: {rate: 0.000999}}]\n", "spec.nodes[0].clock.rate: rate 0.000999 is out of range"},
		{"  nodes: [{name: a, clock: {rate: 1000.001}}]\n", "spec.nodes[0].clock.rate: rate 1000.001 is out of range"},
	} {
		_, err := Parse("b.yaml", []byte(head+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.yaml, err, tc.want)
		}
	}
	for _, ok := range []string{
		"  nodes: [{name: a, clock: {offset: 1281000h, rate: 0.001}}]\n",
		"  duration: 1200h\n  nodes: [{name: a, clock: {rate: 1000}}]\n",
		"  duration: 1281000h\n",
	} {
		if _, err := Parse("ok.yaml", []byte(head+ok)); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

// TestEventEstimate: the pre-flight estimate names the setting that makes
// a scenario too expensive, and lets the library's scenarios through.
func TestEventEstimate(t *testing.T) {
	const head = "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nspec:\n"
	sc, err := Parse("t.yaml", []byte(head+"  elector: {leaseDuration: 3ns, renewDeadline: 2ns, retryPeriod: 1ns}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, ferr := EstimateEvents(sc, DefaultMaxEvents)
	if ferr == nil || !strings.Contains(Message(ferr), "spec.elector.retryPeriod: retryPeriod 1ns with 3 nodes: about 3e+09 requests per simulated second") {
		t.Errorf("1ns retry: %v", ferr)
	}
	sc, err = Parse("t.yaml", []byte(head+"  nodes: [{name: a}, {name: b, elector: {leaseDuration: 1s, renewDeadline: 500ms, retryPeriod: 1us}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ferr := EstimateEvents(sc, 1e8); ferr == nil || !strings.HasPrefix(Message(ferr), "spec.nodes[1].elector.retryPeriod: retryPeriod 1µs with 1 node") {
		t.Errorf("node-level 1us retry: %v", ferr)
	}
	if _, err := RunWith(sc, RunOptions{MaxEvents: 1e8}); err == nil || !strings.Contains(err.Error(), "--max-events") {
		t.Errorf("RunWith ran a scenario over budget: %v", err)
	}
	for _, e := range Library() {
		sc, err := Named(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n, ferr := EstimateEvents(sc, DefaultMaxEvents); ferr != nil {
			t.Errorf("library scenario %s refused (%.3g events): %v", e.Name, n, ferr)
		}
	}
}

// TestRunBudgetStops: a run that reaches its event budget stops with an
// error instead of running on.
func TestRunBudgetStops(t *testing.T) {
	sc, err := Named("healthy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunWith(sc, RunOptions{MaxEvents: 1900}); err == nil || !strings.Contains(err.Error(), "exhausted its event budget (1900 events") {
		t.Errorf("budget 1900 (estimate 1800, the run takes about 2000): %v", err)
	}
}

// TestLoaderYAMLForms: valid YAML that the loader once refused.
func TestLoaderYAMLForms(t *testing.T) {
	const body = "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\n"
	override := body + "spec:\n  elector: &e {leaseDuration: 15s, renewDeadline: 10s}\n  nodes:\n  - name: a\n    elector:\n      <<: *e\n      leaseDuration: 20s\n"
	sc, err := Parse("m.yaml", []byte(override))
	if err != nil {
		t.Fatalf("a merge key overridden by an explicit key: %v", err)
	}
	if ld := sc.NodeElector(0).LeaseDuration; ld != 20*time.Second {
		t.Errorf("merged node leaseDuration %v, want the explicit 20s", ld)
	}
	if _, err := Parse("d.yaml", []byte("---\n"+body)); err != nil {
		t.Errorf("a leading ---: %v", err)
	}
	if _, err := Parse("d.yaml", []byte(body+"---\n"+body)); err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Errorf("two documents: %v", err)
	}
}
