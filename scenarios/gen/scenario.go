package gen

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
)

// Feature is an optional part of the schema that Scenario draws. Each case
// uses a random subset of the features Options leaves in (swarm testing,
// as for fault kinds), and a feature not used draws nothing, so that a
// failure shrinks toward the features it needs.
type Feature uint32

const (
	APIErrors       Feature = 1 << iota // spec.api.errors: injected errors of every op and kind
	SerialServer                        // spec.api.serviceTime: the serialising server
	Workload                            // spec.workload
	Variant                             // spec.elector.variant: seed (client-go v0.30) or v0.37
	ReleaseOnCancel                     // spec.elector.releaseOnCancel
	CallbackDelay                       // spec.elector.callbackDelay
	RequestTimeout                      // spec.client and nodes[].client request timeouts, 0 (none) included
	Restart                             // spec.restart: policy and delay
	RestartNever                        // restart policy Never wherever a policy is drawn
	Identity                            // nodes[].identity
	ClockOffset                         // nodes[].clock.offset
	ClockSchedule                       // nodes[].clock.schedule: rate changes
	NodeLatency                         // nodes[].latency
	NodeElector                         // nodes[].elector: variant, releaseOnCancel, callbackDelay
	NodeTimings                         // nodes[].elector: lease duration, renew deadline, retry period
	Coordinated                         // coordinated election, spec-level and per node
	NodeRestart                         // nodes[].restart
	FaultTargets                        // latency and staleReads faults on all nodes (absent list) or some
	Expect                              // spec.expect bounds
	Description                         // the description annotation
	PinnedChoices                       // spec.choices: jitter waits and latencies pinned
	Envelope                            // ranges: nodes[].clock.rateBand, nodes[].jitter, faults[].atMax and durationMax

	// AllFeatures is every feature; Options{Exclude: AllFeatures} draws
	// only nodes, rates, spec-level timings and latency, and faults.
	AllFeatures Feature = 1<<iota - 1
)

var featureNames = []string{"apiErrors", "serialServer", "workload", "variant", "releaseOnCancel", "callbackDelay",
	"requestTimeout", "restart", "restartNever", "identity", "clockOffset", "clockSchedule", "nodeLatency",
	"nodeElector", "nodeTimings", "coordinated", "nodeRestart", "faultTargets", "expect", "description", "pinnedChoices", "envelope"}

// Options bounds what Scenario draws. The zero value draws 2–3 nodes, any
// valid timings, rates in [1, 1.5], latency up to 200 ms, up to 3 faults of
// a swarm-drawn subset of every fault kind, a swarm-drawn subset of every
// optional feature, 5 simulated minutes.
type Options struct {
	MinNodes, MaxNodes int
	Duration           time.Duration
	// Timings draws the elector configuration (default Timings()).
	Timings *rapid.Generator[scenarios.Timings]
	MinRate float64 // default 1
	MaxRate float64 // default 1.5; also bounds clock schedules
	// MaxLatency bounds the API's per-direction latency, spec-level and
	// per node (default 200ms).
	MaxLatency time.Duration
	// FixedLatency restricts latencies to the fixed family.
	FixedLatency bool
	// FaultKinds are the kinds faults are drawn from (default all);
	// each case draws a subset of them and of the features. NoSwarm turns
	// that off: every kind and every feature left in is used.
	FaultKinds []scenarios.FaultType
	NoSwarm    bool
	MaxFaults  int // default 3; -1 for none
	// Fault bounds the faults; its Duration (default and at most the
	// run's) is the time by which they start and end.
	Fault FaultOptions
	// Exclude lists features never drawn.
	Exclude Feature
	// MaxErrorProbability bounds injected errors' probability (default
	// 0.3); MaxServiceTime the serialising server's service time (default
	// 5ms); MaxCallbackDelay the callback delay (default 100ms).
	MaxErrorProbability float64
	MaxServiceTime      time.Duration
	MaxCallbackDelay    time.Duration
	// FirstNodeSurvives keeps node "a" able to lead whatever else is drawn:
	// its restart policy is Always and it is never coordinated.
	FirstNodeSurvives bool
}

func (o Options) withDefaults() Options {
	if o.MinNodes <= 0 {
		o.MinNodes = 2
	}
	if o.MaxNodes < o.MinNodes {
		o.MaxNodes = max(3, o.MinNodes)
	}
	if o.Duration <= 0 {
		o.Duration = 5 * time.Minute
	}
	if o.Timings == nil {
		o.Timings = Timings()
	}
	if o.MinRate <= 0 {
		o.MinRate = 1
	}
	if o.MaxRate < o.MinRate {
		o.MaxRate = max(1.5, o.MinRate)
	}
	if o.MaxLatency <= 0 {
		o.MaxLatency = 200 * time.Millisecond
	}
	if o.FaultKinds == nil {
		o.FaultKinds = scenarios.FaultTypes()
	}
	if o.MaxFaults == 0 {
		o.MaxFaults = 3
	}
	if o.MaxErrorProbability <= 0 {
		o.MaxErrorProbability = 0.3
	}
	if o.MaxServiceTime <= 0 {
		o.MaxServiceTime = 5 * time.Millisecond
	}
	if o.MaxCallbackDelay <= 0 {
		o.MaxCallbackDelay = 100 * time.Millisecond
	}
	if o.Fault.Duration <= 0 || o.Fault.Duration > o.Duration {
		o.Fault.Duration = o.Duration
	}
	return o
}

// Scenario draws a complete valid scenario: nodes "a", "b", "c", …
// starting in that order, each with a clock rate, the spec-level timings and
// latency, a seed, a fault schedule and the optional features of Feature.
func Scenario(o Options) *rapid.Generator[*scenarios.Scenario] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) *scenarios.Scenario {
		sc := &scenarios.Scenario{TypeMeta: metav1.TypeMeta{APIVersion: scenarios.APIVersion, Kind: scenarios.Kind}}
		sc.Metadata.Name = "generated"
		sp := &sc.Spec
		seed := rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		sp.Seed = &seed
		sp.Duration = dur(o.Duration)
		sp.Elector = o.Timings.Draw(t, "timings").Elector()
		lat := o.latency()
		sp.API.Latency.Request = lat.Draw(t, "requestLatency")
		sp.API.Latency.Response = lat.Draw(t, "responseLatency")
		n := rapid.IntRange(o.MinNodes, o.MaxNodes).Draw(t, "nodes")
		names := make([]string, n)
		for i := range n {
			names[i] = string(rune('a' + i))
			node := scenarios.Node{Name: names[i]}
			if i > 0 {
				node.Start = metav1.Duration{Duration: millis(0, 10*time.Second, "start").Draw(t, "start")}
			}
			if r := ClockRate(o.MinRate, o.MaxRate).Draw(t, "rate"); r != 1 {
				node.Clock = &scenarios.Clock{Rate: &r}
			}
			sp.Nodes = append(sp.Nodes, node)
		}
		// Features are drawn after the base scenario, so that with every
		// feature excluded the draws, and so the scenarios of a seed, are
		// those of a generator without features.
		use := o.features(t)
		if o.MaxFaults > 0 && len(o.FaultKinds) > 0 {
			kinds := o.FaultKinds
			if !o.NoSwarm {
				kinds = FaultKinds(kinds).Draw(t, "faultKinds")
			}
			fo := o.Fault
			fo.Nodes = names
			fo.targets = use&FaultTargets != 0
			sp.Faults = FaultSchedule(kinds, o.MaxFaults, fo).Draw(t, "faults")
		}
		d := drawer{t: t, o: o, use: use, sc: sc}
		d.spec()
		for i := range sp.Nodes {
			d.node(i)
		}
		if d.on(Envelope) {
			d.envelope()
		}
		return sc
	})
}

func (o Options) latency() *rapid.Generator[*scenarios.Distribution] {
	if o.FixedLatency {
		return FixedLatency(o.MaxLatency)
	}
	return Latency(o.MaxLatency)
}

// features draws the features a case uses: every one left in with NoSwarm,
// else a subset. Nothing is drawn when every feature is excluded.
func (o Options) features(t *rapid.T) Feature {
	var use Feature
	for i, name := range featureNames {
		f := Feature(1) << i
		if o.Exclude&f != 0 {
			continue
		}
		if o.NoSwarm || rapid.Bool().Draw(t, "feature/"+name) {
			use |= f
		}
	}
	return use
}
