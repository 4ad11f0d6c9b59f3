package runner

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// Trace event kinds the harness adds to the elector's own (see
// elector.EventKind for those). Events of these kinds are told only to a
// kept or streamed trace and are not folded into the trace hash: the
// kernel's event order already pins when they happen.
const (
	// FaultStartedKind and FaultEndedKind bound a windowed fault
	// (partition, pause, latency, API outage, stale reads); FaultKind is an
	// instantaneous one (crash, stop, clock rate, clock jump). Detail reads
	// "type=<type>" followed by the fault's settings (mode=, rate=, jump=,
	// maxLag=). A fault on nodes gives one event per node.
	FaultStartedKind = "fault-started"
	FaultEndedKind   = "fault-ended"
	FaultKind        = "fault"
	// ClockRateKind is a node's clock changing rate (scheduled or by a
	// fault), detail "rate=<rate>"; ClockJumpKind a wall-clock jump,
	// detail "jump=<duration>" (monotonic readings do not move).
	ClockRateKind = "clock-rate"
	ClockJumpKind = "clock-jump"
	// LeaseWrittenKind is a write of the election lease applied by the
	// server (create, update or release), attributed to the node whose
	// process holds it afterwards (none for an emptied lease); detail
	// "holder=<identity> transitions=<n>".
	LeaseWrittenKind = "lease-written"
)

// faultEdge is the start or end of a scheduled fault.
type faultEdge struct {
	at    time.Duration
	kind  string
	nodes []*nodeRun // nil for API-wide faults
	f     *scenarios.Fault
}

// scheduleEdges adds a fault's starts and ends to the edges to tell.
func (rc *recorder) scheduleEdges(f *scenarios.Fault, targets []*nodeRun) {
	if f.End() > f.At.Duration {
		rc.edges = append(rc.edges,
			faultEdge{at: f.At.Duration, kind: FaultStartedKind, nodes: targets, f: f},
			faultEdge{at: f.End(), kind: FaultEndedKind, nodes: targets, f: f})
	} else {
		rc.edges = append(rc.edges, faultEdge{at: f.At.Duration, kind: FaultKind, nodes: targets, f: f})
	}
	slices.SortStableFunc(rc.edges, func(a, b faultEdge) int { return cmp.Compare(a.at, b.at) })
	rc.setNextEdgeAt()
}

func (rc *recorder) setNextEdgeAt() {
	rc.nextEdgeAt = math.MaxInt64
	if rc.nextEdge < len(rc.edges) {
		rc.nextEdgeAt = rc.edges[rc.nextEdge].at
	}
}

// tellEdges tells the fault edges at or before true time at. The kernel's
// observer calls it just before the first event at or after the edge runs
// — the fault's own event or one at the same instant — so the edge
// precedes what the fault causes.
func (rc *recorder) tellEdges(at time.Duration) {
	for ; rc.nextEdge < len(rc.edges) && rc.edges[rc.nextEdge].at <= at; rc.nextEdge++ {
		e := rc.edges[rc.nextEdge]
		detail := faultDetail(e.f)
		if len(e.nodes) == 0 {
			rc.emit(check.TraceEvent{At: e.at, Kind: e.kind, Detail: detail})
			continue
		}
		for _, n := range e.nodes {
			ev := check.TraceEvent{At: e.at, Node: n.node.Name(), Local: n.node.Clock().Local(e.at), Kind: e.kind, Detail: detail}
			rc.emit(ev)
			switch e.f.Type {
			case scenarios.FaultClockRate:
				ev.Kind, ev.Detail = ClockRateKind, "rate="+strconv.FormatFloat(*e.f.Rate, 'g', -1, 64)
				rc.emit(ev)
			case scenarios.FaultClockJump:
				ev.Kind, ev.Detail = ClockJumpKind, "jump="+e.f.Jump.Duration.String()
				rc.emit(ev)
			}
		}
	}
	rc.setNextEdgeAt()
}

// faultDetail is "type=<type>" and the fault's settings.
func faultDetail(f *scenarios.Fault) string {
	parts := []string{"type=" + string(f.Type)}
	if f.Mode != "" {
		parts = append(parts, "mode="+string(f.Mode))
	}
	if f.Rate != nil {
		parts = append(parts, "rate="+strconv.FormatFloat(*f.Rate, 'g', -1, 64))
	}
	if f.Jump != nil {
		parts = append(parts, "jump="+f.Jump.Duration.String())
	}
	if f.MaxLag != nil {
		parts = append(parts, "maxLag="+f.MaxLag.Duration.String())
	}
	if f.RestartAfter != nil {
		parts = append(parts, "restartAfter="+f.RestartAfter.Duration.String())
	}
	return strings.Join(parts, " ")
}
