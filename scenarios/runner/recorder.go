package runner

import (
	"fmt"
	"math"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// recorder collects the leading intervals and faults of a run, tells the
// checkers (a check.Monitor) each change of leadership, of the stored
// holder and of a pause as it happens, folds every event into the trace
// hash, and hands trace events to a sink (streamed) or keeps them, only
// when asked.
type recorder struct {
	r    *runner
	keep bool // trace events are wanted: kept, streamed or both
	hold bool // kept in Result.Trace
	sink func(check.TraceEvent)
	seq  int
	res  *check.Result
	h    *traceHasher

	// edges are the fault schedule's starts and ends in time order, told
	// as trace events when true time reaches them; next is the first
	// untold one, due at nextEdgeAt (the largest Duration when none is
	// left: the kernel's observer tests it on every event).
	edges      []faultEdge
	nextEdge   int
	nextEdgeAt time.Duration
	// identities maps a process identity to its node, to say which node
	// wrote the lease; only trace events need it (nil when none are kept).
	identities map[string]*nodeRun

	mon *check.Monitor
	// holder is the stored holder of the election lease; holderKnown
	// once a commit has named one (or none).
	holder      string
	holderKnown bool
}

func newRecorder(r *runner, opts RunOptions) *recorder {
	rc := &recorder{r: r, keep: opts.KeepTrace || opts.OnEvent != nil, hold: opts.KeepTrace, sink: opts.OnEvent,
		h: newTraceHasher(), res: &check.Result{}, nextEdgeAt: math.MaxInt64}
	if rc.keep {
		rc.identities = map[string]*nodeRun{}
	}
	first := r.end
	for _, n := range r.sc.Spec.Nodes {
		first = min(first, n.Start.Duration)
	}
	rc.mon = check.NewMonitor(rc.res, first, r.end, r.sc.FailoverGrace(), r.sc.Liveness())
	return rc
}

func (rc *recorder) now() time.Duration { return rc.r.s.Now() }

func (rc *recorder) addNode(name string, rate float64) {
	rc.res.Nodes = append(rc.res.Nodes, check.NodeSummary{Name: name, Rate: rate})
}

// kernelEvent is the kernel's observer: every event that runs is hashed by
// (time, sequence, owner), which pins the whole event order.
func (rc *recorder) kernelEvent(at time.Duration, seq uint64, owner string) {
	if at >= rc.nextEdgeAt {
		rc.tellEdges(at)
	}
	rc.h.int(int64(at))
	rc.h.int(int64(seq))
	rc.h.str(owner)
}

// trace hashes a harness event and keeps it if the trace is kept.
func (rc *recorder) trace(n *nodeRun, identity, kind, detail string) {
	rc.h.str(kind)
	rc.h.str(detail)
	rc.keepEvent(n, identity, kind, detail)
}

// keepEvent keeps an event without hashing it: elector events are only
// produced when the trace is kept, and the kernel's event order already
// pins them, so the hash is the same with the trace on or off.
func (rc *recorder) keepEvent(n *nodeRun, identity, kind, detail string) {
	if !rc.keep {
		return
	}
	ev := check.TraceEvent{At: rc.now(), Kind: kind, Identity: identity, Detail: detail}
	if n != nil {
		ev.Node = n.node.Name()
		ev.Local = n.node.Clock().LocalNow()
	}
	rc.emit(ev)
}

func (rc *recorder) emit(ev check.TraceEvent) {
	ev.Seq = rc.seq
	rc.seq++
	if rc.sink != nil {
		rc.sink(ev)
	}
	if rc.hold {
		rc.res.Trace = append(rc.res.Trace, ev)
	}
}

func (rc *recorder) note(n *nodeRun, kind, detail string) { rc.trace(n, "", kind, detail) }

func (rc *recorder) electorEvent(n *nodeRun, ev elector.Event) {
	detail := ""
	switch ev.Kind {
	case elector.EvTryStarted:
		detail = ev.Phase.String()
	case elector.EvCallSent:
		detail = ev.Op
	case elector.EvCallReturned:
		detail = ev.Op
		if ev.Err != nil {
			detail += ": " + ev.Err.Error()
		} else {
			detail += ": ok"
		}
	case elector.EvRenewFailed:
		if ev.Err != nil {
			detail = ev.Err.Error()
		}
	case elector.EvNewLeader:
		detail = ev.Holder
	case elector.EvObserved:
		detail = fmt.Sprintf("holder=%q leaseDurationSeconds=%d", ev.Holder, ev.LeaseDurationSeconds)
	case elector.EvLeadingCancelled:
		// The harness records the same instant as leading-cancelled with
		// its reason (startLeading's interval ends there); one line is
		// enough.
		return
	}
	rc.keepEvent(n, ev.Identity, ev.Kind.String(), detail)
}

func (rc *recorder) processStarted(n *nodeRun, identity string) {
	ns := &rc.res.Nodes[n.idx]
	ns.Processes = append(ns.Processes, identity)
	if rc.keep {
		rc.identities[identity] = n
	}
	rc.trace(n, identity, "process-started", "")
}

func (rc *recorder) processEnded(n *nodeRun, p *process) {
	rc.res.RunsEnded++
	rc.trace(n, p.identity, "process-exited", "")
}

func (rc *recorder) processCrashed(n *nodeRun, p *process) {
	rc.trace(n, p.identity, "process-crashed", "")
}

func (rc *recorder) stoppedLeading(n *nodeRun) {
	rc.res.StoppedLeadingCalls++
}

func (rc *recorder) startLeading(n *nodeRun, identity string) (*check.Interval, int) {
	rc.res.Leadership = append(rc.res.Leadership, check.Interval{Node: n.node.Name(), Identity: identity, Start: rc.now(), End: -1, Cancelled: -1})
	rc.trace(n, identity, "leading-started", "")
	i := len(rc.res.Leadership) - 1
	rc.mon.Started(rc.now(), i)
	return &rc.res.Leadership[i], i
}

func (rc *recorder) cancelLeading(i int, reason string, drain time.Duration) {
	iv := &rc.res.Leadership[i]
	if iv.End >= 0 {
		return
	}
	iv.Cancelled, iv.End, iv.EndReason = rc.now(), rc.now()+drain, reason
	rc.mon.Ended(rc.now(), i)
	rc.trace(rc.r.nodes[rc.r.sc.NodeIndex(iv.Node)], iv.Identity, "leading-cancelled", reason)
}

// endLeading ends an interval at once (a crash), also cutting a drain short.
func (rc *recorder) endLeading(i int, reason string) {
	iv := &rc.res.Leadership[i]
	now := rc.now()
	if iv.End >= 0 && iv.End <= now {
		return
	}
	if iv.Cancelled < 0 {
		iv.Cancelled = now
	}
	iv.End, iv.EndReason = now, reason
	rc.mon.Ended(now, i)
}

func (rc *recorder) pause(n *nodeRun, on bool) {
	rc.mon.Paused(rc.now(), n.node.Name(), on)
	if on {
		rc.note(n, "paused", "")
		return
	}
	rc.note(n, "resumed", "")
}

func (rc *recorder) fault(f *scenarios.Fault, targets []*nodeRun) {
	fw := check.FaultWindow{Type: string(f.Type), Start: f.At.Duration, End: f.End()}
	for _, n := range targets {
		fw.Nodes = append(fw.Nodes, n.node.Name())
	}
	switch {
	case f.Mode != "":
		fw.Note = string(f.Mode)
	case f.Rate != nil:
		fw.Note = "rate=" + strconv.FormatFloat(*f.Rate, 'g', -1, 64)
	case f.Jump != nil:
		fw.Note = "jump=" + f.Jump.Duration.String()
	case f.MaxLag != nil:
		fw.Note = "maxLag=" + f.MaxLag.Duration.String()
	}
	rc.res.Faults = append(rc.res.Faults, fw)
	if rc.keep {
		rc.scheduleEdges(f, targets)
	}
}

// leaseCommitted follows the stored holder of the election lease.
func (rc *recorder) leaseCommitted(l *coordinationv1.Lease) {
	holder := ""
	if l != nil && l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	if rc.keep && l != nil {
		transitions := int32(0)
		if l.Spec.LeaseTransitions != nil {
			transitions = *l.Spec.LeaseTransitions
		}
		rc.keepEvent(rc.identities[holder], holder, LeaseWrittenKind, fmt.Sprintf("holder=%q transitions=%d", holder, transitions))
	}
	if rc.holderKnown && rc.holder == holder {
		return
	}
	rc.holder, rc.holderKnown = holder, true
	rc.mon.HolderChanged(rc.now(), holder)
	rc.trace(nil, holder, "holder-changed", fmt.Sprintf("holder=%q", holder))
}
