package gen

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
)

// drawer draws the optional features of one case into sc.
type drawer struct {
	t   *rapid.T
	o   Options
	use Feature
	sc  *scenarios.Scenario
}

func (d *drawer) on(f Feature) bool { return d.use&f != 0 }

func (d *drawer) bool(label string) bool { return rapid.Bool().Draw(d.t, label) }

func (d *drawer) millis(lo, hi time.Duration, label string) *metav1.Duration {
	return dur(millis(lo, hi, label).Draw(d.t, label))
}

// spec draws the spec-level features.
func (d *drawer) spec() {
	sp := &d.sc.Spec
	if d.on(APIErrors) {
		sp.API.Errors = rapid.SliceOfN(d.errorRule(), 1, 3).Draw(d.t, "errors")
	}
	if d.on(SerialServer) {
		sp.API.ServiceTime = Latency(d.o.MaxServiceTime).Draw(d.t, "serviceTime")
	}
	if d.on(Workload) {
		w := &scenarios.Workload{Fencing: d.bool("fencing"), Drain: *d.millis(0, 500*time.Millisecond, "drain")}
		if d.bool("periodSet") {
			w.Period = d.millis(100*time.Millisecond, 3*time.Second, "period")
		}
		sp.Workload = w
	}
	if d.on(Coordinated) && d.bool("specCoordinated") {
		// Every node inherits it; the variant must be v0.37 everywhere.
		yes := true
		sp.Elector.Coordinated, sp.Elector.Variant = &yes, scenarios.VariantV037
	} else if d.on(Variant) {
		sp.Elector.Variant = rapid.SampledFrom(scenarios.Variants()).Draw(d.t, "variant")
	}
	if d.on(ReleaseOnCancel) {
		b := d.bool("releaseOnCancel")
		sp.Elector.ReleaseOnCancel = &b
	}
	if d.on(CallbackDelay) {
		sp.Elector.CallbackDelay = d.millis(0, d.o.MaxCallbackDelay, "callbackDelay")
	}
	if d.on(RequestTimeout) {
		sp.Client.RequestTimeout = d.requestTimeout()
	}
	if d.on(Restart) {
		sp.Restart = d.restart()
	}
	if d.on(Expect) {
		d.expect()
	}
	if d.on(Description) {
		d.sc.Metadata.Annotations = map[string]string{scenarios.DescriptionAnnotation: "A generated scenario."}
	}
	if d.on(PinnedChoices) {
		d.pinnedChoices()
	}
}

// pinnedChoices pins a few choices of the nodes: the run clamps each into
// what the scenario allows, so any value is valid and none widens it.
func (d *drawer) pinnedChoices() {
	sp := &d.sc.Spec
	n := rapid.IntRange(1, 4).Draw(d.t, "choices")
	seen := map[string]bool{}
	for range n {
		kind := rapid.SampledFrom([]string{"jitter", "request", "response", "error"}).Draw(d.t, "choiceKind")
		pc := scenarios.PinnedChoice{Kind: kind, N: rapid.IntRange(0, 20).Draw(d.t, "choiceN")}
		if kind == "error" {
			pick := int64(rapid.IntRange(0, 2).Draw(d.t, "choicePick"))
			pc.Pick = &pick
		} else {
			pc.Node = rapid.SampledFrom(sp.Nodes).Draw(d.t, "choiceNode").Name
			pc.Value = d.millis(0, 10*time.Second, "choiceValue")
		}
		key := pc.Kind + "/" + pc.Node + "/" + string(rune('0'+pc.N))
		if !seen[key] {
			seen[key] = true
			sp.Choices = append(sp.Choices, pc)
		}
	}
}

func (d *drawer) errorRule() *rapid.Generator[scenarios.ErrorRule] {
	return rapid.Custom(func(t *rapid.T) scenarios.ErrorRule {
		r := scenarios.ErrorRule{
			Op:   rapid.SampledFrom(scenarios.Ops()).Draw(t, "op"),
			Kind: rapid.SampledFrom(scenarios.ErrorKinds()).Draw(t, "kind"),
		}
		p := float64(rapid.IntRange(0, int(d.o.MaxErrorProbability*1000)).Draw(t, "probabilityPermille")) / 1000
		r.Probability = &p
		if r.Kind == scenarios.ErrorTooManyRequests && rapid.Bool().Draw(t, "retryAfterSet") {
			r.RetryAfter = dur(time.Duration(rapid.IntRange(1, 3).Draw(t, "retryAfterSeconds")) * time.Second)
		}
		return r
	})
}

// requestTimeout draws none (0s) or a bound from 100ms to 10s.
func (d *drawer) requestTimeout() *metav1.Duration {
	if d.bool("noRequestTimeout") {
		return dur(0)
	}
	return d.millis(100*time.Millisecond, 10*time.Second, "requestTimeout")
}

func (d *drawer) restart() scenarios.Restart {
	var r scenarios.Restart
	if d.bool("policySet") {
		r.Policy = scenarios.RestartAlways
		if d.on(RestartNever) && d.bool("never") {
			r.Policy = scenarios.RestartNever
		}
	}
	if d.bool("delaySet") {
		r.Delay = d.millis(0, 20*time.Second, "restartDelay")
	}
	return r
}

func (d *drawer) expect() {
	e := &d.sc.Spec.Expect
	bound := func(label string) *metav1.Duration {
		if !d.bool(label + "Set") {
			return nil
		}
		return d.millis(0, time.Minute, label)
	}
	count := func(label string) *int {
		if !d.bool(label + "Set") {
			return nil
		}
		n := rapid.IntRange(0, 5).Draw(d.t, label)
		return &n
	}
	e.MaxOverlap, e.MaxLeaderless, e.MaxFailover = bound("maxOverlap"), bound("maxLeaderless"), bound("maxFailover")
	e.MaxTimeToFirstLeader, e.MaxRecovery = bound("maxTimeToFirstLeader"), bound("maxRecovery")
	if d.bool("requireLeaderSet") {
		req := d.bool("requireLeader")
		e.RequireLeader = &req
	}
	e.MaxSpuriousTransitions = count("maxSpuriousTransitions")
	if d.sc.Spec.Workload != nil {
		e.MaxUnsafeWrites = count("maxUnsafeWrites")
	}
}

// envelope turns some values into the envelope's ranges: a node's rate
// into the band [MinRate, rate], its acquire waits into a part of
// client-go's jitter, a fault's start and window into ranges that still
// end by the end of the run.
func (d *drawer) envelope() {
	sp := &d.sc.Spec
	for i := range sp.Nodes {
		n := &sp.Nodes[i]
		if n.Clock != nil && n.Clock.Rate != nil && d.bool("rateBand") {
			n.Clock.RateBand = &scenarios.RateBand{Min: d.o.MinRate, Max: *n.Clock.Rate}
			n.Clock.Rate = nil
		}
		if d.bool("jitterRange") {
			rp := d.sc.NodeElector(i).RetryPeriod
			span := time.Duration(1.2*float64(rp)) - 1
			lo := rp + span*time.Duration(rapid.IntRange(0, 4).Draw(d.t, "jitterLoFifths"))/5
			n.Jitter = &scenarios.JitterRange{Min: metav1.Duration{Duration: lo}, Max: metav1.Duration{Duration: rp + span}}
		}
	}
	for i := range sp.Faults {
		f := &sp.Faults[i]
		slack := d.sc.Duration() - f.End()
		if slack <= 0 || !d.bool("faultRange") {
			continue
		}
		f.AtMax = dur(f.At.Duration + slack*time.Duration(rapid.IntRange(0, 4).Draw(d.t, "atSlackEighths"))/8)
		if f.Duration != nil {
			f.DurationMax = dur(f.Duration.Duration + slack*time.Duration(rapid.IntRange(0, 4).Draw(d.t, "durationSlackEighths"))/8)
		}
	}
}
