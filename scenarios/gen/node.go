package gen

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/scenarios"
)

// node draws the per-node features of node i.
func (d *drawer) node(i int) {
	sp := &d.sc.Spec
	n := &sp.Nodes[i]
	survivor := i == 0 && d.o.FirstNodeSurvives
	if d.on(Identity) {
		n.Identity = rapid.SampledFrom(scenarios.Identities()).Draw(d.t, "identity")
	}
	if d.on(ClockOffset) && d.bool("offsetSet") {
		d.clock(n).Offset = *d.millis(-time.Hour, time.Hour, "offset")
	}
	if d.on(ClockSchedule) && d.bool("scheduleSet") {
		d.clock(n).Schedule = d.schedule()
	}
	if d.on(NodeLatency) && d.bool("nodeLatencySet") {
		n.Latency = &scenarios.Latency{}
		if d.bool("nodeRequestSet") {
			n.Latency.Request = d.o.latency().Draw(d.t, "nodeRequest")
		}
		if d.bool("nodeResponseSet") {
			n.Latency.Response = d.o.latency().Draw(d.t, "nodeResponse")
		}
	}
	d.nodeElector(n, survivor)
	if d.on(RequestTimeout) && d.bool("nodeClientSet") {
		n.Client = &scenarios.Client{RequestTimeout: d.requestTimeout()}
	}
	if d.on(NodeRestart) && d.bool("nodeRestartSet") {
		r := d.restart()
		n.Restart = &r
	}
	if survivor && d.sc.NodeRestart(i).Policy == scenarios.RestartNever {
		if n.Restart == nil {
			n.Restart = &scenarios.Restart{}
		}
		n.Restart.Policy = scenarios.RestartAlways
	}
}

func (d *drawer) clock(n *scenarios.Node) *scenarios.Clock {
	if n.Clock == nil {
		n.Clock = &scenarios.Clock{}
	}
	return n.Clock
}

// schedule draws one or two rate changes in increasing time order, at
// rates in the options' range.
func (d *drawer) schedule() []scenarios.RateChange {
	k := rapid.IntRange(1, 2).Draw(d.t, "rateChanges")
	var out []scenarios.RateChange
	at := time.Duration(-1)
	for range k {
		lo := at + time.Millisecond
		if lo > d.o.Duration {
			break
		}
		at = millis(lo, d.o.Duration, "rateChangeAt").Draw(d.t, "rateChangeAt")
		r := ClockRate(d.o.MinRate, d.o.MaxRate).Draw(d.t, "scheduledRate")
		out = append(out, scenarios.RateChange{At: metav1.Duration{Duration: at}, Rate: &r})
	}
	return out
}

// nodeElector draws node i's elector overrides. Coordinated nodes run
// v0.37, the only variant that has the mode; a survivor is never
// coordinated.
func (d *drawer) nodeElector(n *scenarios.Node, survivor bool) {
	var e scenarios.Elector
	set := false
	specCoordinated := d.sc.Spec.Elector.Coordinated != nil && *d.sc.Spec.Elector.Coordinated
	switch {
	case survivor && specCoordinated:
		no := false
		e.Coordinated, set = &no, true
	case !survivor && d.on(Coordinated) && d.bool("nodeCoordinatedSet"):
		c := d.bool("nodeCoordinated")
		e.Coordinated, set = &c, true
		if c {
			e.Variant = scenarios.VariantV037
		}
	}
	coordinated := specCoordinated
	if e.Coordinated != nil {
		coordinated = *e.Coordinated
	}
	if d.on(NodeElector) {
		if !coordinated && d.bool("nodeVariantSet") {
			e.Variant, set = rapid.SampledFrom(scenarios.Variants()).Draw(d.t, "nodeVariant"), true
		}
		if d.bool("nodeReleaseSet") {
			b := d.bool("nodeRelease")
			e.ReleaseOnCancel, set = &b, true
		}
		if d.bool("nodeCallbackDelaySet") {
			e.CallbackDelay, set = d.millis(0, d.o.MaxCallbackDelay, "nodeCallbackDelay"), true
		}
	}
	if d.on(NodeTimings) && d.bool("nodeTimingsSet") {
		tm := d.o.Timings.Draw(d.t, "nodeTimings").Elector()
		e.LeaseDuration, e.RenewDeadline, e.RetryPeriod, set = tm.LeaseDuration, tm.RenewDeadline, tm.RetryPeriod, true
	}
	if set {
		n.Elector = &e
	}
}
