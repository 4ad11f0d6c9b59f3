package check

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/lesim/lesim/scenarios"
)

// The checkers are pure functions of a run's recorded intervals, so each can
// be tested on hand-built traces.

// edge is a change in the number of leaders at an instant.
type edge struct {
	at    time.Duration
	delta int
	iv    int
}

// sweepEdges returns the interval edges in time order; at equal times ends
// come before starts, so a handover at one instant is neither an overlap nor
// a leaderless gap.
func sweepEdges(ivs []Interval) []edge {
	es := make([]edge, 0, 2*len(ivs))
	for i, iv := range ivs {
		if iv.End <= iv.Start {
			continue
		}
		es = append(es, edge{iv.Start, +1, i}, edge{iv.End, -1, i})
	}
	slices.SortStableFunc(es, func(a, b edge) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return a.delta - b.delta
	})
	return es
}

// CheckOverlap measures the time with two or more leading intervals.
func CheckOverlap(ivs []Interval) Overlap {
	var o Overlap
	active := 0
	var from time.Duration
	for _, e := range sweepEdges(ivs) {
		before := active
		active += e.delta
		if before < 2 && active >= 2 {
			from = e.at
		}
		if before >= 2 && active < 2 {
			o.Episodes = append(o.Episodes, Window{Start: from, End: e.at})
			d := e.at - from
			o.Total += d
			o.Max = max(o.Max, d)
		}
	}
	return o
}

// CheckLeaderless measures the time nobody leads from start (when a
// leader could first exist: the first node's start) to end.
func CheckLeaderless(ivs []Interval, start, end time.Duration) Leaderless {
	var l Leaderless
	gap := func(from, to time.Duration) {
		if to > from {
			l.Total += to - from
			l.Max = max(l.Max, to-from)
		}
	}
	active := 0
	gapFrom := start
	for _, e := range sweepEdges(ivs) {
		at := min(max(e.at, start), end)
		before := active
		active += e.delta
		if before == 0 && active > 0 {
			gap(gapFrom, at)
		}
		if active == 0 && before > 0 {
			gapFrom = at
		}
	}
	if active == 0 {
		gap(gapFrom, end)
	}
	return l
}

// CheckLiveness reports whether and when the first leader came, counted
// from start (the first node's start).
func CheckLiveness(ivs []Interval, start, end time.Duration) Liveness {
	lv := Liveness{Start: start, NeverLed: true, TimeToFirstLeader: max(end-start, 0)}
	for _, iv := range ivs {
		if iv.End > iv.Start && (lv.NeverLed || iv.Start-start < lv.TimeToFirstLeader) {
			lv.NeverLed = false
			lv.TimeToFirstLeader = max(iv.Start-start, 0)
		}
	}
	return lv
}

// leaderStep is the set of leaders from At until the next step: Count of
// them, and Sole, the index of the only one when Count is 1.
type leaderStep struct {
	At    time.Duration
	Count int
	Sole  int
}

// leaderSteps folds the interval edges into the leader count over time,
// one step per instant at which it changes.
func leaderSteps(ivs []Interval) []leaderStep {
	var steps []leaderStep
	count, sum := 0, 0 // sum of the active indices: the sole one's when count is 1
	es := sweepEdges(ivs)
	for k, e := range es {
		count += e.delta
		sum += e.delta * e.iv
		if k+1 < len(es) && es[k+1].at == e.at {
			continue // the state at an instant is after all of its edges
		}
		st := leaderStep{At: e.at, Count: count, Sole: -1}
		if count == 1 {
			st.Sole = sum
		}
		steps = append(steps, st)
	}
	return steps
}

// stepAt is the index of the step in force at t (the last at or before
// it), -1 before the first.
func stepAt(steps []leaderStep, t time.Duration) int {
	return sort.Search(len(steps), func(i int) bool { return steps[i].At > t }) - 1
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
	steps := leaderSteps(ivs)
	order := make([]int, 0, len(ivs))
	for i, iv := range ivs {
		if iv.End > iv.Start && iv.End < end && iv.EndReason != "run-end" {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDur(ivs[a].End, ivs[b].End) })
	fos := make([]Failover, 0, len(order))
	for _, i := range order {
		iv := ivs[i]
		f := Failover{From: iv.Node, Lost: iv.End, Overlap: overlapOf(steps, iv)}
		f.Cause, f.Onset = failoverCause(iv, faults, grace)
		gapSet := false
		for k := max(stepAt(steps, iv.End), 0); k < len(steps); k++ {
			st := steps[k]
			at := max(st.At, iv.End)
			if st.Count > 0 && !gapSet {
				f.HandoverGap, gapSet = at-iv.End, true
			}
			if st.Count == 1 {
				f.Restored, f.To = true, ivs[st.Sole].Node
				f.Recovery = at - f.Onset
				break
			}
		}
		if !f.Restored {
			f.Recovery = end - f.Onset
			if !gapSet {
				f.HandoverGap = end - iv.End
			}
		}
		fos = append(fos, f)
	}
	return fos
}

// overlapOf is the overlap episode iv ends in: the time up to its end
// during which another node led too.
func overlapOf(steps []leaderStep, iv Interval) time.Duration {
	from := iv.End
	for k := stepAt(steps, iv.End-1); k >= 0 && steps[k].Count >= 2; k-- {
		from = max(steps[k].At, iv.Start)
		if from == iv.Start {
			break
		}
	}
	return iv.End - from
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
	order := make([]int, len(ivs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDur(ivs[a].Start, ivs[b].Start) })
	prev := ""
	for _, i := range order {
		if prev != "" && ivs[i].Identity != prev {
			transitions++
		}
		prev = ivs[i].Identity
		if ivs[i].EndReason == "renew-failed" {
			spurious++
		}
	}
	return transitions, spurious
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CheckStaleLeader measures time a node leads while the stored record names
// another holder. holderAt must be a step function whose steps are listed in
// changes (true times, in order).
func CheckStaleLeader(ivs []Interval, changes []time.Duration, holderAt func(time.Duration) string) time.Duration {
	var total time.Duration
	for _, iv := range ivs {
		// Cut the interval at every holder change inside it (changes are in
		// time order: find the first one after the start).
		cuts := []time.Duration{iv.Start}
		for i := sort.Search(len(changes), func(i int) bool { return changes[i] > iv.Start }); i < len(changes) && changes[i] < iv.End; i++ {
			cuts = append(cuts, changes[i])
		}
		cuts = append(cuts, iv.End)
		for k := 0; k+1 < len(cuts); k++ {
			if holderAt(cuts[k]) != iv.Identity {
				total += cuts[k+1] - cuts[k]
			}
		}
	}
	return total
}

// CheckPausedWhileLeading intersects each node's pause windows with its
// leading intervals, filling Interval.Paused, and returns the total.
func CheckPausedWhileLeading(ivs []Interval, pauses map[string][]Window) time.Duration {
	var total time.Duration
	for i := range ivs {
		iv := &ivs[i]
		for _, p := range pauses[iv.Node] {
			s, e := max(p.Start, iv.Start), min(p.End, iv.End)
			if e > s {
				iv.Paused = append(iv.Paused, Window{Start: s, End: e})
				total += e - s
			}
		}
	}
	return total
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
