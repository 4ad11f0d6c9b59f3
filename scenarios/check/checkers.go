package check

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/lesim/lesim/scenarios"
)

// The Check functions run the Monitor over finished intervals, so each
// checker can be tested on hand-built traces and used where intervals are
// reported rather than simulated (serve, conformance). Intervals that end
// at or before their start never led; they count only as transitions.

// observation is a change other than a leading interval's: a holder change
// or a pause, for replay.
type observation struct {
	at     time.Duration
	node   string
	holder string
	on     bool
	pause  bool
}

// replay tells the monitor ivs (by start, then index), the faults and obs
// (in time order), and returns the Result it filled; end bounds the run.
func replay(ivs []Interval, faults []FaultWindow, first, end, grace time.Duration, obs []observation) *Result {
	res := &Result{Leadership: slices.Clone(ivs), Faults: faults}
	for i := range res.Leadership {
		iv := &res.Leadership[i]
		iv.Paused = nil
		if iv.End < iv.Start {
			iv.End = iv.Start
		}
	}
	order := make([]int, len(ivs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ivs[a].Start, ivs[b].Start) })
	m := NewMonitor(res, first, end, grace, scenarios.LivenessWindow{})
	k := 0
	for _, i := range order {
		at := res.Leadership[i].Start
		for ; k < len(obs) && obs[k].at <= at; k++ {
			m.observe(obs[k])
		}
		m.Started(at, i)
		m.Ended(at, i)
	}
	for ; k < len(obs); k++ {
		m.observe(obs[k])
	}
	m.Finish()
	return res
}

func (m *Monitor) observe(o observation) {
	if o.pause {
		m.Paused(o.at, o.node, o.on)
	} else {
		m.HolderChanged(o.at, o.holder)
	}
}

// span is the earliest start and the latest end or start of ivs.
func span(ivs []Interval) (first, end time.Duration) {
	for i, iv := range ivs {
		if i == 0 || iv.Start < first {
			first = iv.Start
		}
		end = max(end, iv.Start, iv.End)
	}
	return first, end
}

// CheckOverlap measures the time with two or more leading intervals.
func CheckOverlap(ivs []Interval) Overlap {
	first, end := span(ivs)
	return replay(ivs, nil, first, end, 0, nil).Overlap
}

// CheckLeaderless measures the time nobody leads from start (when a
// leader could first exist: the first node's start) to end.
func CheckLeaderless(ivs []Interval, start, end time.Duration) Leaderless {
	return replay(ivs, nil, start, end, 0, nil).Leaderless
}

// CheckLiveness reports whether and when the first leader came, counted
// from start (the first node's start).
func CheckLiveness(ivs []Interval, start, end time.Duration) Liveness {
	return replay(ivs, nil, start, end, 0, nil).Liveness
}

// CheckFailovers lists, for every leading interval that ended before the
// run did, what removed the leader and how leadership came back:
//   - the cause and onset: the latest fault that hit the node while it led
//     and that the loss followed within grace of its end (a renewal can
//     fail up to a renew deadline after a fault, from a request sent
//     during it), else the crash, stop or failed renewal itself (when the
//     leading context was cancelled);
//   - recovery: from the onset to the first moment at or after the loss
//     when exactly one node leads, or to end when none ever does again
//     (Restored false);
//   - handover gap: the leaderless time from the loss to the next leader,
//     0 when another node already led, in which case Overlap is the time
//     the lost interval shared with other leaders.
func CheckFailovers(ivs []Interval, faults []FaultWindow, grace, end time.Duration) []Failover {
	first, _ := span(ivs)
	return replay(ivs, faults, first, end, grace, nil).Failovers
}

// failoverCause is what removed the leader of iv and when it began.
func failoverCause(iv Interval, faults []FaultWindow, grace time.Duration) (string, time.Duration) {
	cause, onset, found := "", time.Duration(0), false
	for _, f := range faults {
		hits := len(f.Nodes) == 0 || slices.Contains(f.Nodes, iv.Node)
		during := f.Start >= iv.Start && f.Start <= iv.End && iv.End <= f.End+grace
		if hits && during && (!found || f.Start >= onset) {
			cause, onset, found = f.Type, f.Start, true
		}
	}
	if found {
		return cause, onset
	}
	return iv.EndReason, min(iv.Cancelled, iv.End)
}

// CheckTransitions counts leadership changing hands (a start by another
// identity than the previous leader's) and spurious losses (intervals ended
// by a failed renewal, with no crash or stop of the leader).
func CheckTransitions(ivs []Interval) (transitions, spurious int) {
	first, end := span(ivs)
	res := replay(ivs, nil, first, end, 0, nil)
	return res.Transitions, res.SpuriousTransitions
}

// CheckStaleLeader measures time a node leads while the stored record names
// another holder. holderAt must be a step function whose steps are listed in
// changes (true times, in order); before the first, nobody is named.
func CheckStaleLeader(ivs []Interval, changes []time.Duration, holderAt func(time.Duration) string) time.Duration {
	obs := make([]observation, len(changes))
	for i, c := range changes {
		obs[i] = observation{at: c, holder: holderAt(c)}
	}
	first, end := span(ivs)
	return replay(ivs, nil, first, end, 0, obs).StaleLeader
}

// CheckPausedWhileLeading intersects each node's pause windows with its
// leading intervals, filling Interval.Paused, and returns the total.
func CheckPausedWhileLeading(ivs []Interval, pauses map[string][]Window) time.Duration {
	var obs []observation
	for _, node := range slices.Sorted(maps.Keys(pauses)) {
		for _, w := range pauses[node] {
			obs = append(obs, observation{at: w.Start, node: node, on: true, pause: true}, observation{at: w.End, node: node, pause: true})
		}
	}
	slices.SortStableFunc(obs, func(a, b observation) int { return cmp.Compare(a.at, b.at) })
	first, end := span(ivs)
	res := replay(ivs, nil, first, end, 0, obs)
	for i := range ivs {
		ivs[i].Paused = res.Leadership[i].Paused
	}
	return res.PausedWhileLeading
}

// CheckExpect compares a result with spec.expect. Liveness is checked
// unless requireLeader is false: a run in which nobody ever leads fails,
// and so does one in which nobody leads inside the scenario's liveness
// window (after the last fault and its settle time) or in which a loss of
// leadership after that window's start is not restored within its bound.
func CheckExpect(x scenarios.Expect, res *Result) ExpectResult {
	var v []string
	if x.LeaderRequired() {
		v = append(v, livenessViolations(res)...)
	}
	if x.MaxTimeToFirstLeader != nil && res.Liveness.TimeToFirstLeader > x.MaxTimeToFirstLeader.Duration {
		v = append(v, fmt.Sprintf("liveness: time to first leader %v exceeds maxTimeToFirstLeader %v%s", res.Liveness.TimeToFirstLeader, x.MaxTimeToFirstLeader.Duration, neverLed(res)))
	}
	if x.MaxOverlap != nil && res.Overlap.Max > x.MaxOverlap.Duration {
		v = append(v, fmt.Sprintf("overlap: longest episode %v exceeds maxOverlap %v", res.Overlap.Max, x.MaxOverlap.Duration))
	}
	if x.MaxLeaderless != nil && res.Leaderless.Max > x.MaxLeaderless.Duration {
		v = append(v, fmt.Sprintf("leaderless: longest stretch %v exceeds maxLeaderless %v%s", res.Leaderless.Max, x.MaxLeaderless.Duration, neverLed(res)))
	}
	for _, f := range res.Failovers {
		if x.MaxRecovery != nil && f.Recovery > x.MaxRecovery.Duration {
			v = append(v, fmt.Sprintf("failover: recovery from the %s at %v took %v%s, exceeds maxRecovery %v", f.Cause, f.Onset, f.Recovery, unrestored(f), x.MaxRecovery.Duration))
		}
		if x.MaxFailover != nil && f.HandoverGap > x.MaxFailover.Duration {
			v = append(v, fmt.Sprintf("failover: handover gap after %s lost leadership at %v was %v%s, exceeds maxFailover %v", f.From, f.Lost, f.HandoverGap, unrestored(f), x.MaxFailover.Duration))
		}
	}
	if x.MaxSpuriousTransitions != nil && res.SpuriousTransitions > *x.MaxSpuriousTransitions {
		v = append(v, "spuriousTransitions: "+strconv.Itoa(res.SpuriousTransitions)+" exceeds maxSpuriousTransitions "+strconv.Itoa(*x.MaxSpuriousTransitions))
	}
	if x.MaxUnsafeWrites != nil && res.Workload.UnsafeWrites > *x.MaxUnsafeWrites {
		v = append(v, "workload: "+strconv.Itoa(res.Workload.UnsafeWrites)+" unsafe writes exceed maxUnsafeWrites "+strconv.Itoa(*x.MaxUnsafeWrites))
	}
	return ExpectResult{Passed: len(v) == 0, Violations: v}
}

func neverLed(res *Result) string {
	if res.Liveness.NeverLed {
		return " (no node ever led)"
	}
	return ""
}

func unrestored(f Failover) string {
	if !f.Restored {
		return " (leadership never restored)"
	}
	return ""
}

// livenessViolations is requireLeader's verdict.
func livenessViolations(res *Result) []string {
	lv, w := res.Liveness, res.LivenessWindow
	if lv.NeverLed {
		return []string{fmt.Sprintf("liveness: no node ever led (from the first start at %v to the end at %v); requireLeader", lv.Start, res.Duration)}
	}
	var v []string
	if w.End() <= res.Duration && !LedWithin(res.Leadership, w.Start, w.End()) {
		v = append(v, fmt.Sprintf("liveness: nobody led between %v (the last fault over, every process back) and %v (+%v, the election bound); requireLeader", w.Start, w.End(), w.Bound))
	}
	for _, f := range res.Failovers {
		if !f.Restored && max(f.Onset, w.Start)+w.Bound <= res.Duration {
			v = append(v, fmt.Sprintf("liveness: leadership lost by %s at %v (%s) never restored before the end at %v; requireLeader", f.From, f.Lost, f.Cause, res.Duration))
		}
	}
	return v
}

// LedWithin reports whether some interval leads at a moment of [from, to].
func LedWithin(ivs []Interval, from, to time.Duration) bool {
	for _, iv := range ivs {
		if iv.Start <= to && iv.End >= from && iv.End > iv.Start {
			return true
		}
	}
	return false
}
