package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
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

// CheckLeaderless measures the time nobody leads after the first
// acquisition, up to end, and each failover: from the end of the last
// leading interval to the next start.
func CheckLeaderless(ivs []Interval, end time.Duration) (Leaderless, []Failover) {
	var l Leaderless
	var fos []Failover
	active := 0
	started := false
	var gapFrom time.Duration
	var lastNode string
	for _, e := range sweepEdges(ivs) {
		if e.at > end {
			break
		}
		before := active
		active += e.delta
		if e.delta > 0 && before == 0 {
			if started {
				d := e.at - gapFrom
				l.Total += d
				l.Max = max(l.Max, d)
				fos = append(fos, Failover{At: gapFrom, Duration: d, From: lastNode, To: ivs[e.iv].Node})
			}
			started = true
		}
		if e.delta < 0 && active == 0 {
			gapFrom = e.at
			lastNode = ivs[e.iv].Node
		}
	}
	if started && active == 0 && gapFrom < end {
		d := end - gapFrom
		l.Total += d
		l.Max = max(l.Max, d)
		fos = append(fos, Failover{At: gapFrom, Duration: d, From: lastNode})
	}
	return l, fos
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

// CheckExpect compares a result with spec.expect.
func CheckExpect(x Expect, res *Result) ExpectResult {
	var v []string
	if x.MaxOverlap != nil && res.Overlap.Max > x.MaxOverlap.Duration {
		v = append(v, fmt.Sprintf("overlap: longest episode %v exceeds maxOverlap %v", res.Overlap.Max, x.MaxOverlap.Duration))
	}
	if x.MaxLeaderless != nil && res.Leaderless.Max > x.MaxLeaderless.Duration {
		v = append(v, fmt.Sprintf("leaderless: longest stretch %v exceeds maxLeaderless %v", res.Leaderless.Max, x.MaxLeaderless.Duration))
	}
	if x.MaxFailover != nil {
		for _, f := range res.Failovers {
			if f.Duration > x.MaxFailover.Duration {
				v = append(v, fmt.Sprintf("failover at %v took %v, exceeds maxFailover %v", f.At, f.Duration, x.MaxFailover.Duration))
			}
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

// finish closes open intervals at the run's end and runs every checker.
func (r *runner) finish() *Result {
	rc := r.rec
	res := rc.res
	res.Scenario = r.sc.Metadata.Name
	res.Seed = r.s.Seed()
	res.Duration = r.end
	r.countDrainingRuns()
	for i := range res.Leadership {
		iv := &res.Leadership[i]
		if iv.End < 0 || iv.End > r.end {
			if iv.Cancelled < 0 {
				iv.Cancelled = r.end
			}
			iv.End = r.end
			if iv.EndReason == "" {
				iv.EndReason = "run-end"
			}
		}
	}
	pauses := map[string][]Window{}
	for i, name := range rc.nodes {
		ws := rc.pauses[i]
		if from := rc.pausedFrom[i]; from >= 0 {
			ws = append(ws, Window{Start: from, End: r.end})
		}
		pauses[name] = ws
	}
	res.Overlap = CheckOverlap(res.Leadership)
	res.Leaderless, res.Failovers = CheckLeaderless(res.Leadership, r.end)
	res.Transitions, res.SpuriousTransitions = CheckTransitions(res.Leadership)
	changes := make([]time.Duration, len(rc.holders))
	for i, c := range rc.holders {
		changes[i] = c.at
	}
	res.StaleLeader = CheckStaleLeader(res.Leadership, changes, rc.holderAt)
	res.PausedWhileLeading = CheckPausedWhileLeading(res.Leadership, pauses)

	counts := r.srv.Counts()
	res.API.Requests = int(counts.Total())
	res.API.ByOp = countsByOp(counts)
	if r.end > 0 {
		res.API.PerSecond = float64(res.API.Requests) / r.end.Seconds()
	}
	for i := range res.Nodes {
		nc := r.srv.NodeCounts(res.Nodes[i].Name)
		res.Nodes[i].Requests = int(nc.Total())
		res.Nodes[i].ByOp = countsByOp(nc)
	}
	res.Expect = CheckExpect(r.sc.Spec.Expect, res)
	res.TraceHash = fmt.Sprintf("%016x", rc.h.Sum64())
	return res
}
