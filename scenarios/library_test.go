package scenarios

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLibrary(t *testing.T) {
	entries := Library()
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Library is not sorted by name: %v", names)
	}
	for _, want := range []string{
		"default", "healthy", "leader-crash", "leader-partition-drop-requests",
		"leader-partition-drop-responses", "leader-partition-refuse", "lost-ack",
		"slow-api", "conflict-storm", "skew-within-bound", "skew-beyond-bound",
		"gc-pause-leader", "release-on-cancel", "rolling-restart", "herd-100",
		"api-outage", "stale-reads",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("library has no %s", want)
		}
	}
	for _, e := range entries {
		t.Run(e.Name, func(t *testing.T) {
			s, err := Named(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			if errs := s.Validate(); len(errs) > 0 {
				t.Fatalf("invalid after defaults: %v", errs)
			}
			if s.Metadata.Name != e.Name {
				t.Errorf("metadata.name %q, file %q", s.Metadata.Name, e.Name)
			}
			d := e.Description
			if d == "" || d != s.Description() || !strings.HasSuffix(d, ".") || strings.Count(d, ". ") > 0 || strings.Contains(d, "\n") {
				t.Errorf("description is not one sentence: %q", d)
			}
			// The file itself is what users copy: it must parse as is.
			data, err := NamedYAML(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			fromFile, err := Parse(e.Name+".yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fromFile, s); diff != "" {
				t.Errorf("Named differs from the file:\n%s", diff)
			}
			out, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("marshalled.yaml", out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if diff := cmp.Diff(s, back); diff != "" {
				t.Errorf("round trip (-before +after):\n%s", diff)
			}
		})
	}
}

func TestNamedReturnsACopy(t *testing.T) {
	a, err := Named(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	a.Spec.Nodes[0].Name = "changed"
	*a.Spec.Seed = 99
	b, _ := Named(DefaultName)
	if b.Spec.Nodes[0].Name != "a" || b.Seed() != 1 {
		t.Errorf("changing one copy changed the library")
	}
}

func TestNamedUnknown(t *testing.T) {
	_, err := Named("leader-crashh")
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("got %T %v, want *LoadError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "leader-crashh: no such library scenario; expected one of: api-outage, conflict-storm, default, ") {
		t.Errorf("message: %s", err)
	}
	if _, err := NamedYAML("../load.go"); err == nil {
		t.Errorf("NamedYAML reached outside the library")
	}
}

// The library scenarios are claims about the elector; check the numbers
// they rest on.
func TestLibraryClaims(t *testing.T) {
	named := func(name string) *Scenario {
		t.Helper()
		s, err := Named(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// bound is the first-order tolerance LDs/(RD+RP)·r_L on a follower's
	// rate, for the leader a (rate 1) and whole-second leases.
	bound := func(s *Scenario) float64 {
		e := s.NodeElector(0)
		lds := e.LeaseDuration.Truncate(time.Second)
		return float64(lds) / float64(e.RenewDeadline+e.RetryPeriod) * s.NodeClock(0).Rate
	}
	for _, name := range []string{"skew-within-bound", "default"} {
		s := named(name)
		for i := range s.Spec.Nodes {
			c := s.NodeClock(i)
			rates := []float64{c.Rate}
			for _, st := range c.Schedule {
				rates = append(rates, st.Rate)
			}
			for _, r := range rates {
				if r >= bound(s) {
					t.Errorf("%s: node %s rate %v is not inside the bound %v", name, s.Spec.Nodes[i].Name, r, bound(s))
				}
			}
		}
	}
	beyond := named("skew-beyond-bound")
	if r := beyond.NodeClock(1).Rate; r <= bound(beyond) {
		t.Errorf("skew-beyond-bound: follower rate %v is inside the bound %v", r, bound(beyond))
	}

	pause := named("gc-pause-leader")
	if f := pause.Spec.Faults[0]; f.Type != FaultPause || f.Duration.Duration <= pause.NodeElector(0).LeaseDuration {
		t.Errorf("gc-pause-leader: the pause must outlast leaseDuration: %+v", f)
	}

	if n := len(named("herd-100").Spec.Nodes); n != 100 {
		t.Errorf("herd-100 has %d nodes", n)
	}
	if named("herd-100").Spec.API.ServiceTime == nil {
		t.Errorf("herd-100 needs a serialising server")
	}

	rolling := named("rolling-restart")
	configs := map[ElectorConfig]bool{}
	for i := range rolling.Spec.Nodes {
		configs[rolling.NodeElector(i)] = true
	}
	if len(configs) != len(rolling.Spec.Nodes) {
		t.Errorf("rolling-restart nodes share elector configs")
	}
	stopped := map[string]bool{}
	for _, f := range rolling.Spec.Faults {
		if f.Type == FaultStop {
			stopped[f.Nodes[0]] = true
		}
	}
	if len(stopped) != len(rolling.Spec.Nodes) {
		t.Errorf("rolling-restart does not stop every node: %v", stopped)
	}

	if !named("release-on-cancel").NodeElector(0).ReleaseOnCancel {
		t.Errorf("release-on-cancel does not release")
	}
	if named("lost-ack").RequestTimeout(0) != 0 {
		t.Errorf("lost-ack needs requests without a timeout")
	}
	if d := named("slow-api").Spec.API.Latency.Response; d == nil || d.Type != DistPareto {
		t.Errorf("slow-api needs a Pareto response latency")
	}

	def := named(DefaultName)
	kinds := map[FaultType]bool{}
	for _, f := range def.Spec.Faults {
		kinds[f.Type] = true
	}
	skewed := 0
	for i := range def.Spec.Nodes {
		if def.NodeClock(i).Rate != 1 {
			skewed++
		}
	}
	if len(def.Spec.Nodes) != 3 || !kinds[FaultCrash] || !kinds[FaultPartition] || skewed != 1 || def.Duration() != 10*time.Minute || def.Spec.API.Latency.Request == nil {
		t.Errorf("default is not three nodes, a crash, a partition, one skewed clock, latency, ten minutes")
	}
	if def.NodeElector(0) != New().NodeElector(0) {
		t.Errorf("default does not run client-go's defaults")
	}
}
