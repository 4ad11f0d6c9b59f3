package scenarios

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaults(t *testing.T) {
	s, err := Parse("min.yaml", []byte("apiVersion: lesim.dev/v1alpha1\nkind: Scenario\n"))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(1)
	f := false
	want := &Scenario{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		Spec: Spec{
			Seed:     &seed,
			Duration: Dur(10 * time.Minute),
			Elector: Elector{
				Variant:         VariantV037,
				LeaseDuration:   Dur(15 * time.Second),
				RenewDeadline:   Dur(10 * time.Second),
				RetryPeriod:     Dur(2 * time.Second),
				ReleaseOnCancel: &f,
				Coordinated:     &f,
				CallbackDelay:   Dur(0),
			},
			Restart: Restart{Policy: RestartAlways, Delay: Dur(10 * time.Second)},
			Nodes:   []Node{{Name: "a"}, {Name: "b"}, {Name: "c"}},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, New()); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	for i := range s.Spec.Nodes {
		if got := s.NodeElector(i); got != (ElectorConfig{Variant: VariantV037, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}) {
			t.Errorf("node %d elector %+v", i, got)
		}
		if got := s.NodeRestart(i); got != (RestartConfig{Policy: RestartAlways, Delay: 10 * time.Second}) {
			t.Errorf("node %d restart %+v", i, got)
		}
		if got := s.RequestTimeout(i); got != 5*time.Second {
			t.Errorf("node %d request timeout %v, want client-go's max(1s, 10s/2)", i, got)
		}
		if got := s.NodeClock(i); !cmp.Equal(got, ClockConfig{Rate: 1}) {
			t.Errorf("node %d clock %+v", i, got)
		}
		if got := s.NodeLatency(i); got.Request != nil || got.Response != nil {
			t.Errorf("node %d latency %+v", i, got)
		}
		if got := s.NodeIdentity(i); got != IdentityPerProcess {
			t.Errorf("node %d identity %v", i, got)
		}
	}
	if s.Seed() != 1 || s.Duration() != 10*time.Minute || s.Spec.Workload != nil || s.Spec.Faults != nil {
		t.Errorf("spec %+v", s.Spec)
	}

	// Defaulting twice changes nothing; defaulting fills only what is absent.
	again := s.Clone()
	Default(again)
	if diff := cmp.Diff(s, again); diff != "" {
		t.Errorf("Default is not idempotent:\n%s", diff)
	}

	// The accessors give the same answers before Default.
	raw := &Scenario{Spec: Spec{Nodes: []Node{{Name: "x"}}}}
	if raw.Seed() != 1 || raw.Duration() != 10*time.Minute || raw.NodeElector(0) != s.NodeElector(0) || raw.NodeRestart(0) != s.NodeRestart(0) || raw.RequestTimeout(0) != 5*time.Second {
		t.Errorf("accessors before Default differ")
	}
}

func TestDefaultedFields(t *testing.T) {
	s, err := Parse("d.yaml", []byte(scenarioHead+`spec:
  api:
    errors:
    - {op: any, kind: tooManyRequests, probability: 0.1}
    - {op: any, kind: tooManyRequests, probability: 0.1, retryAfter: 0s}
  workload: {}
  faults: []
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Spec.API.Errors[0].RetryAfter; got == nil || got.Duration != time.Second {
		t.Errorf("retryAfter default %v, want 1s", got)
	}
	if got := s.Spec.API.Errors[1].RetryAfter; got == nil || got.Duration != 0 {
		t.Errorf("explicit retryAfter 0s became %v", got)
	}
	if w := s.Spec.Workload; w == nil || w.Period.Duration != time.Second || w.Fencing || w.Drain.Duration != 0 {
		t.Errorf("workload %+v", w)
	}
	if s.Spec.Faults != nil {
		t.Errorf("empty fault list kept: %#v", s.Spec.Faults)
	}
}

// TestNodeMerge checks that node values come from the node where it sets
// them, from the spec where it does not, and from the defaults last.
func TestNodeMerge(t *testing.T) {
	s, err := Parse("merge.yaml", []byte(scenarioHead+`spec:
  elector: {leaseDuration: 30s, renewDeadline: 20s, releaseOnCancel: true, callbackDelay: 5ms}
  client: {requestTimeout: 3s}
  restart: {policy: Never}
  api:
    latency:
      request: {distribution: fixed, value: 1ms}
      response: {distribution: fixed, value: 2ms}
  nodes:
  - {name: a}
  - name: b
    elector: {variant: seed, renewDeadline: 12s, releaseOnCancel: false}
    restart: {delay: 1s}
    latency: {response: {distribution: fixed, value: 9s}}
    clock: {rate: 1.5, offset: -1h, schedule: [{at: 1m, rate: 0.9}, {at: 2m, rate: 1}]}
    identity: stable
  - {name: c, elector: {renewDeadline: 4s, retryPeriod: 3s}, client: {requestTimeout: 0s}}
  - {name: d, elector: {renewDeadline: 1s, retryPeriod: 500ms}}
`))
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Elector ElectorConfig
		Restart RestartConfig
		Timeout time.Duration
		Clock   ClockConfig
		Latency [2]time.Duration
		ID      Identity
	}
	got := make([]node, len(s.Spec.Nodes))
	for i := range got {
		l := s.NodeLatency(i)
		got[i] = node{s.NodeElector(i), s.NodeRestart(i), s.RequestTimeout(i), s.NodeClock(i), [2]time.Duration{l.Request.Value.Duration, l.Response.Value.Duration}, s.NodeIdentity(i)}
	}
	spec := ElectorConfig{Variant: VariantV037, LeaseDuration: 30 * time.Second, RenewDeadline: 20 * time.Second, RetryPeriod: 2 * time.Second, ReleaseOnCancel: true, CallbackDelay: 5 * time.Millisecond}
	withB := spec
	withB.Variant, withB.RenewDeadline, withB.ReleaseOnCancel = VariantSeed, 12*time.Second, false
	withC := spec
	withC.RenewDeadline, withC.RetryPeriod = 4*time.Second, 3*time.Second
	withD := spec
	withD.RenewDeadline, withD.RetryPeriod = time.Second, 500*time.Millisecond
	never := RestartConfig{Policy: RestartNever, Delay: 10 * time.Second}
	flat := ClockConfig{Rate: 1}
	ms := time.Millisecond
	want := []node{
		{spec, never, 3 * time.Second, flat, [2]time.Duration{ms, 2 * ms}, IdentityPerProcess},
		{withB, RestartConfig{Policy: RestartNever, Delay: time.Second}, 3 * time.Second,
			ClockConfig{Rate: 1.5, Offset: -time.Hour, Schedule: []RateStep{{time.Minute, 0.9}, {2 * time.Minute, 1}}},
			[2]time.Duration{ms, 9 * time.Second}, IdentityStable},
		{withC, never, 0, flat, [2]time.Duration{ms, 2 * ms}, IdentityPerProcess},
		{withD, never, 3 * time.Second, flat, [2]time.Duration{ms, 2 * ms}, IdentityPerProcess},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged node configs (-want +got):\n%s", diff)
	}
	// Node overrides stay overrides: Default does not copy the spec into
	// them, so Marshal writes what the file said.
	if e := s.Spec.Nodes[0].Elector; e != nil {
		t.Errorf("node a got an elector override: %+v", e)
	}
}

func TestRequestTimeoutRule(t *testing.T) {
	for _, tc := range []struct {
		rd, want time.Duration
	}{
		{10 * time.Second, 5 * time.Second},
		{1500 * time.Millisecond, time.Second},
		{2 * time.Second, time.Second},
		{107 * time.Second, 53500 * time.Millisecond},
	} {
		if got := DefaultRequestTimeout(tc.rd); got != tc.want {
			t.Errorf("DefaultRequestTimeout(%v) = %v, want %v", tc.rd, got, tc.want)
		}
	}
	s := New()
	s.Spec.Nodes[1].Elector = &Elector{LeaseDuration: Dur(60 * time.Second), RenewDeadline: Dur(30 * time.Second)}
	if got := s.RequestTimeout(1); got != 15*time.Second {
		t.Errorf("request timeout follows the node's own renewDeadline: got %v", got)
	}
}

func TestSample(t *testing.T) {
	d := func(x time.Duration) *metav1.Duration { return Dur(x) }
	f := func(x float64) *float64 { return &x }
	ms := time.Millisecond
	const n = 20000
	for _, tc := range []struct {
		name     string
		dist     *Distribution
		min, max time.Duration
		mean     time.Duration // 0: not checked
	}{
		{"nil", nil, 0, 0, 0},
		{"fixed", &Distribution{Type: DistFixed, Value: d(3 * ms)}, 3 * ms, 3 * ms, 3 * ms},
		{"fixed capped", &Distribution{Type: DistFixed, Value: d(3 * ms), Max: d(ms)}, ms, ms, ms},
		{"uniform", &Distribution{Type: DistUniform, Min: d(ms), Max: d(3 * ms)}, ms, 3 * ms, 2 * ms},
		{"exponential", &Distribution{Type: DistExponential, Mean: d(10 * ms)}, 0, time.Hour, 10 * ms},
		{"exponential capped", &Distribution{Type: DistExponential, Mean: d(10 * ms), Max: d(5 * ms)}, 0, 5 * ms, 0},
		{"normal truncated at 0", &Distribution{Type: DistNormal, Mean: d(0), Stddev: d(ms)}, 0, time.Hour, 798 * time.Microsecond},
		{"lognormal", &Distribution{Type: DistLogNormal, Median: d(2 * ms), Sigma: f(0)}, 2 * ms, 2 * ms, 2 * ms},
		{"pareto", &Distribution{Type: DistPareto, Scale: d(ms), Shape: f(3)}, ms, time.Hour, 1500 * time.Microsecond},
		{"pareto heavy, capped", &Distribution{Type: DistPareto, Scale: d(ms), Shape: f(0.1), Max: d(time.Second)}, ms, time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var sum float64
			for range n {
				x := tc.dist.Sample(r)
				if x < tc.min || x > tc.max {
					t.Fatalf("draw %v outside [%v, %v]", x, tc.min, tc.max)
				}
				sum += float64(x)
			}
			if tc.mean != 0 {
				if got := sum / n; math.Abs(got-float64(tc.mean)) > 0.05*float64(tc.mean) {
					t.Errorf("mean %v, want about %v", time.Duration(got), tc.mean)
				}
			}
		})
	}
	// The median of a lognormal is its median parameter.
	r := rand.New(rand.NewPCG(3, 4))
	ln := &Distribution{Type: DistLogNormal, Median: Dur(2 * ms), Sigma: f(1)}
	below := 0
	for range n {
		if ln.Sample(r) < 2*ms {
			below++
		}
	}
	if frac := float64(below) / n; math.Abs(frac-0.5) > 0.02 {
		t.Errorf("lognormal: %.3f of draws below the median", frac)
	}
}
