package scenarios

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/elector"
)

// Defaults. The elector timings are client-go's (and kube-controller-manager's
// --leader-elect-* defaults), so that a scenario says only what differs from
// the configuration people actually run.
const (
	DefaultSeed          uint64        = 1
	DefaultDuration      time.Duration = 10 * time.Minute
	DefaultVariant                     = VariantV037
	DefaultLeaseDuration time.Duration = 15 * time.Second
	DefaultRenewDeadline time.Duration = 10 * time.Second
	DefaultRetryPeriod   time.Duration = 2 * time.Second
	DefaultRestartPolicy               = RestartAlways
	DefaultRestartDelay  time.Duration = 10 * time.Second
	DefaultIdentity                    = IdentityPerProcess
	// DefaultRetryAfter is what kube-apiserver sends with its own 429s.
	DefaultRetryAfter     time.Duration = time.Second
	DefaultWorkloadPeriod time.Duration = time.Second
)

// DefaultNodeNames are the nodes of a scenario that lists none.
func DefaultNodeNames() []string { return []string{"a", "b", "c"} }

// JitterFactor is the elector's (client-go's leaderelection.JitterFactor),
// which client-go's validation (and so ours) applies to retryPeriod.
const JitterFactor = elector.JitterFactor

// DefaultRequestTimeout is the per-request timeout client-go's
// resourcelock.NewFromKubeconfig gives the lock's client: max(1s, RD/2).
func DefaultRequestTimeout(renewDeadline time.Duration) time.Duration {
	return max(time.Second, renewDeadline/2)
}

// New returns a valid scenario with every default applied: three nodes on
// client-go's defaults, no latency, no faults, ten minutes, seed 1.
func New() *Scenario {
	s := &Scenario{TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind}}
	Default(s)
	return s
}

// Default fills in every spec-level default that is absent, so that the
// scenario written back by Marshal states them explicitly. Node-level
// overrides stay absent (they mean "inherit"): read a node's effective
// values through NodeElector, NodeRestart, RequestTimeout, NodeClock,
// NodeLatency and NodeIdentity. apiVersion and kind are not defaulted: a
// file must say what it is.
//
// Default also replaces empty lists and maps by nil, so that a scenario
// that went through Marshal and Parse compares equal to the original.
func Default(s *Scenario) {
	sp := &s.Spec
	if sp.Seed == nil {
		v := DefaultSeed
		sp.Seed = &v
	}
	if sp.Duration == nil {
		sp.Duration = Dur(DefaultDuration)
	}
	e := &sp.Elector
	if e.Variant == "" {
		e.Variant = DefaultVariant
	}
	if e.LeaseDuration == nil {
		e.LeaseDuration = Dur(DefaultLeaseDuration)
	}
	if e.RenewDeadline == nil {
		e.RenewDeadline = Dur(DefaultRenewDeadline)
	}
	if e.RetryPeriod == nil {
		e.RetryPeriod = Dur(DefaultRetryPeriod)
	}
	if e.ReleaseOnCancel == nil {
		e.ReleaseOnCancel = new(bool)
	}
	if e.Coordinated == nil {
		e.Coordinated = new(bool)
	}
	if e.CallbackDelay == nil {
		e.CallbackDelay = Dur(0)
	}
	if sp.Restart.Policy == "" {
		sp.Restart.Policy = DefaultRestartPolicy
	}
	if sp.Restart.Delay == nil {
		sp.Restart.Delay = Dur(DefaultRestartDelay)
	}
	if len(sp.API.Errors) == 0 {
		sp.API.Errors = nil
	}
	for i := range sp.API.Errors {
		r := &sp.API.Errors[i]
		if r.Kind == ErrorTooManyRequests && r.RetryAfter == nil {
			r.RetryAfter = Dur(DefaultRetryAfter)
		}
	}
	if len(sp.Nodes) == 0 {
		sp.Nodes = defaultNodes()
	}
	for i := range sp.Nodes {
		if c := sp.Nodes[i].Clock; c != nil && len(c.Schedule) == 0 {
			c.Schedule = nil
		}
	}
	if len(sp.Faults) == 0 {
		sp.Faults = nil
	}
	for i := range sp.Faults {
		if len(sp.Faults[i].Nodes) == 0 {
			sp.Faults[i].Nodes = nil
		}
	}
	if w := sp.Workload; w != nil && w.Period == nil {
		w.Period = Dur(DefaultWorkloadPeriod)
	}
	if len(s.Metadata.Annotations) == 0 {
		s.Metadata.Annotations = nil
	}
}

func defaultNodes() []Node {
	nodes := make([]Node, len(DefaultNodeNames()))
	for i, name := range DefaultNodeNames() {
		nodes[i].Name = name
	}
	return nodes
}

// Dur is a *metav1.Duration of d, for scenarios built in code.
func Dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

// The accessors below return effective values whether or not Default has
// been applied, so that code building scenarios by hand cannot read a
// half-defaulted value. Node indexes are indexes into Spec.Nodes, which
// Default fills with the default nodes when it is empty.

// Seed is the run's seed.
func (s *Scenario) Seed() uint64 {
	if s.Spec.Seed == nil {
		return DefaultSeed
	}
	return *s.Spec.Seed
}

// Duration is the simulated (true) time the run lasts.
func (s *Scenario) Duration() time.Duration {
	if s.Spec.Duration == nil {
		return DefaultDuration
	}
	return s.Spec.Duration.Duration
}

// Description is the scenario's one-sentence description, if any.
func (s *Scenario) Description() string {
	return s.Metadata.Annotations[DescriptionAnnotation]
}

// NodeIndex returns the index of the named node in Spec.Nodes, or -1.
func (s *Scenario) NodeIndex(name string) int {
	for i := range s.Spec.Nodes {
		if s.Spec.Nodes[i].Name == name {
			return i
		}
	}
	return -1
}

// SpecElector is the spec-level elector configuration with defaults.
func (s *Scenario) SpecElector() ElectorConfig {
	return mergeElector(ElectorConfig{
		Variant:       DefaultVariant,
		LeaseDuration: DefaultLeaseDuration,
		RenewDeadline: DefaultRenewDeadline,
		RetryPeriod:   DefaultRetryPeriod,
	}, &s.Spec.Elector)
}

// NodeElector is node i's elector configuration: its overrides on top of
// the spec-level configuration on top of the defaults.
func (s *Scenario) NodeElector(i int) ElectorConfig {
	return mergeElector(s.SpecElector(), s.Spec.Nodes[i].Elector)
}

func mergeElector(c ElectorConfig, e *Elector) ElectorConfig {
	if e == nil {
		return c
	}
	if e.Variant != "" {
		c.Variant = e.Variant
	}
	if e.LeaseDuration != nil {
		c.LeaseDuration = e.LeaseDuration.Duration
	}
	if e.RenewDeadline != nil {
		c.RenewDeadline = e.RenewDeadline.Duration
	}
	if e.RetryPeriod != nil {
		c.RetryPeriod = e.RetryPeriod.Duration
	}
	if e.ReleaseOnCancel != nil {
		c.ReleaseOnCancel = *e.ReleaseOnCancel
	}
	if e.Coordinated != nil {
		c.Coordinated = *e.Coordinated
	}
	if e.CallbackDelay != nil {
		c.CallbackDelay = e.CallbackDelay.Duration
	}
	return c
}

// NodeRestart is node i's restart configuration.
func (s *Scenario) NodeRestart(i int) RestartConfig {
	c := mergeRestart(RestartConfig{Policy: DefaultRestartPolicy, Delay: DefaultRestartDelay}, &s.Spec.Restart)
	return mergeRestart(c, s.Spec.Nodes[i].Restart)
}

func mergeRestart(c RestartConfig, r *Restart) RestartConfig {
	if r == nil {
		return c
	}
	if r.Policy != "" {
		c.Policy = r.Policy
	}
	if r.Delay != nil {
		c.Delay = r.Delay.Duration
	}
	return c
}

// RequestTimeout is node i's per-request client timeout; 0 means none.
// Absent at both levels it follows client-go's rule on the node's own
// renewDeadline.
func (s *Scenario) RequestTimeout(i int) time.Duration {
	if c := s.Spec.Nodes[i].Client; c != nil && c.RequestTimeout != nil {
		return c.RequestTimeout.Duration
	}
	if t := s.Spec.Client.RequestTimeout; t != nil {
		return t.Duration
	}
	return DefaultRequestTimeout(s.NodeElector(i).RenewDeadline)
}

// NodeClock is node i's clock configuration.
func (s *Scenario) NodeClock(i int) ClockConfig {
	c := ClockConfig{Rate: 1}
	k := s.Spec.Nodes[i].Clock
	if k == nil {
		return c
	}
	if k.Rate != nil {
		c.Rate = *k.Rate
	} else if k.RateBand != nil {
		c.Rate = k.RateBand.Max // before the run resolves the band: the fastest
	}
	c.Offset = k.Offset.Duration
	for _, r := range k.Schedule {
		step := RateStep{At: r.At.Duration, Rate: 1}
		if r.Rate != nil {
			step.Rate = *r.Rate
		}
		c.Schedule = append(c.Schedule, step)
	}
	return c
}

// NodeLatency is node i's latency per direction: its own where it sets one,
// the spec-level one otherwise. A nil direction takes no time.
func (s *Scenario) NodeLatency(i int) Latency {
	l := s.Spec.API.Latency
	if n := s.Spec.Nodes[i].Latency; n != nil {
		if n.Request != nil {
			l.Request = n.Request
		}
		if n.Response != nil {
			l.Response = n.Response
		}
	}
	return l
}

// NodeIdentity is node i's identity mode.
func (s *Scenario) NodeIdentity(i int) Identity {
	if id := s.Spec.Nodes[i].Identity; id != "" {
		return id
	}
	return DefaultIdentity
}
