package scenarios

import (
	"strings"
	"testing"
	"time"
)

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
