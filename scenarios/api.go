package scenarios

import (
	"time"

	"github.com/lesim/lesim/fakeapi"
)

// APIConfig is the API server configuration a defaulted, valid scenario
// starts with: latencies, per-node latencies, injected errors and service
// time. Other servers over the same store (the REST surface) take it too.
func APIConfig(sc *Scenario) fakeapi.Config {
	cfg := fakeapi.Config{
		RequestLatency:  toDist(sc.Spec.API.Latency.Request),
		ResponseLatency: toDist(sc.Spec.API.Latency.Response),
	}
	if st := sc.Spec.API.ServiceTime; st != nil {
		d := toDist(st)
		cfg.ServiceTime = &d
	}
	for _, e := range sc.Spec.API.Errors {
		rule := fakeapi.ErrorRule{Op: fakeapi.Op(e.Op), Kind: fakeapi.ErrorKind(e.Kind)}
		if e.Op == OpAny {
			rule.Op = fakeapi.OpAny
		}
		if e.Probability != nil {
			rule.Probability = *e.Probability
		}
		if e.RetryAfter != nil {
			rule.RetryAfterSeconds = int(e.RetryAfter.Duration / time.Second)
		}
		cfg.Errors = append(cfg.Errors, rule)
	}
	for _, n := range sc.Spec.Nodes {
		if n.Latency == nil {
			continue
		}
		if cfg.NodeLatency == nil {
			cfg.NodeLatency = map[string]fakeapi.NodeLatency{}
		}
		cfg.NodeLatency[n.Name] = fakeapi.NodeLatency{Request: toDistPtr(n.Latency.Request), Response: toDistPtr(n.Latency.Response)}
	}
	return cfg
}

// toDist converts a scenario distribution to the API server's; nil is zero
// latency.
func toDist(d *Distribution) fakeapi.Distribution {
	if d == nil {
		return fakeapi.Fixed(0)
	}
	var out fakeapi.Distribution
	switch d.Type {
	case DistFixed:
		out = fakeapi.Fixed(d.Value.Duration)
	case DistUniform:
		out = fakeapi.Uniform(d.Min.Duration, d.Max.Duration)
	case DistExponential:
		out = fakeapi.Exponential(d.Mean.Duration)
	case DistNormal:
		out = fakeapi.Normal(d.Mean.Duration, d.Stddev.Duration)
	case DistLogNormal:
		out = fakeapi.LogNormal(d.Median.Duration, *d.Sigma)
	case DistPareto:
		out = fakeapi.Pareto(d.Scale.Duration, *d.Shape)
	}
	if d.Max != nil && d.Type != DistUniform {
		out = out.Capped(d.Max.Duration)
	}
	return out
}

func toDistPtr(d *Distribution) *fakeapi.Distribution {
	if d == nil {
		return nil
	}
	out := toDist(d)
	return &out
}

// APIFaults are the fakeapi faults of one scenario fault (one per target
// node where the fault is a node's; a latency fault without nodes is on
// every node), or nil for a fault of the nodes themselves (crash, pause,
// stop, clocks).
func APIFaults(f *Fault) []fakeapi.Fault {
	var out []fakeapi.Fault
	switch f.Type {
	case FaultPartition:
		for _, n := range f.Nodes {
			out = append(out, fakeapi.PartitionFault{Node: n, Mode: fakeapi.PartitionMode(f.Mode)})
		}
	case FaultAPIOutage:
		out = append(out, fakeapi.OutageFault{Mode: fakeapi.OutageMode(f.Mode)})
	case FaultLatency:
		nodes := f.Nodes
		if len(nodes) == 0 {
			nodes = []string{""} // every node
		}
		for _, n := range nodes {
			out = append(out, fakeapi.LatencyFault{Node: n, Request: toDistPtr(f.Request), Response: toDistPtr(f.Response)})
		}
	case FaultStaleReads:
		out = append(out, fakeapi.StaleReadsFault{MaxLag: f.MaxLag.Duration})
	}
	return out
}

// APIWindows are the scenario's faults that live in the API server
// (partitions, outages, latency and stale reads) as fakeapi windows on true
// time, one per fault and target node, for servers that realise them
// outside the simulation. Node faults (crash, pause, stop, clocks) are not
// among them.
func APIWindows(sc *Scenario) []fakeapi.Window {
	var ws []fakeapi.Window
	for i := range sc.Spec.Faults {
		f := &sc.Spec.Faults[i]
		w := fakeapi.Window{At: f.At.Duration}
		if f.Duration != nil {
			w.Duration = f.Duration.Duration
		}
		for _, af := range APIFaults(f) {
			w.Fault = af
			ws = append(ws, w)
		}
	}
	return ws
}
