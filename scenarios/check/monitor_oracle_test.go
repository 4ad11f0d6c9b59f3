package check

import (
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// oldEdge is a change in the number of leaders at an instant.
type oldEdge struct {
	at    time.Duration
	delta int
	iv    int
}

// oldSweepEdges returns the interval edges in time order; at equal times ends
// come before starts, so a handover at one instant is neither an overlap nor
// a leaderless gap.
func oldSweepEdges(ivs []Interval) []oldEdge {
	es := make([]oldEdge, 0, 2*len(ivs))
	for i, iv := range ivs {
		if iv.End <= iv.Start {
			continue
		}
		es = append(es, oldEdge{iv.Start, +1, i}, oldEdge{iv.End, -1, i})
	}
	slices.SortStableFunc(es, func(a, b oldEdge) int {
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

// oldCheckOverlap measures the time with two or more leading intervals.
func oldCheckOverlap(ivs []Interval) Overlap {
	var o Overlap
	active := 0
	var from time.Duration
	for _, e := range oldSweepEdges(ivs) {
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

// oldCheckLeaderless measures the time nobody leads from start (when a
// leader could first exist: the first node's start) to end.
func oldCheckLeaderless(ivs []Interval, start, end time.Duration) Leaderless {
	var l Leaderless
	gap := func(from, to time.Duration) {
		if to > from {
			l.Total += to - from
			l.Max = max(l.Max, to-from)
		}
	}
	active := 0
	gapFrom := start
	for _, e := range oldSweepEdges(ivs) {
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

// oldCheckLiveness reports whether and when the first leader came, counted
// from start (the first node's start).
func oldCheckLiveness(ivs []Interval, start, end time.Duration) Liveness {
	lv := Liveness{Start: start, NeverLed: true, TimeToFirstLeader: max(end-start, 0)}
	for _, iv := range ivs {
		if iv.End > iv.Start && (lv.NeverLed || iv.Start-start < lv.TimeToFirstLeader) {
			lv.NeverLed = false
			lv.TimeToFirstLeader = max(iv.Start-start, 0)
		}
	}
	return lv
}

// oldLeaderStep is the set of leaders from At until the next step: Count of
// them, and Sole, the index of the only one when Count is 1.
type oldLeaderStep struct {
	At    time.Duration
	Count int
	Sole  int
}

// oldLeaderSteps folds the interval edges into the leader count over time,
// one step per instant at which it changes.
func oldLeaderSteps(ivs []Interval) []oldLeaderStep {
	var steps []oldLeaderStep
	count, sum := 0, 0 // sum of the active indices: the sole one's when count is 1
	es := oldSweepEdges(ivs)
	for k, e := range es {
		count += e.delta
		sum += e.delta * e.iv
		if k+1 < len(es) && es[k+1].at == e.at {
			continue // the state at an instant is after all of its edges
		}
		st := oldLeaderStep{At: e.at, Count: count, Sole: -1}
		if count == 1 {
			st.Sole = sum
		}
		steps = append(steps, st)
	}
	return steps
}

// oldStepAt is the index of the step in force at t (the last at or before
// it), -1 before the first.
func oldStepAt(steps []oldLeaderStep, t time.Duration) int {
	return sort.Search(len(steps), func(i int) bool { return steps[i].At > t }) - 1
}

// oldCheckFailovers lists, for every leading interval that ended before the
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
func oldCheckFailovers(ivs []Interval, faults []FaultWindow, grace, end time.Duration) []Failover {
	steps := oldLeaderSteps(ivs)
	order := make([]int, 0, len(ivs))
	for i, iv := range ivs {
		if iv.End > iv.Start && iv.End < end && iv.EndReason != "run-end" {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return oldCmpDur(ivs[a].End, ivs[b].End) })
	fos := make([]Failover, 0, len(order))
	for _, i := range order {
		iv := ivs[i]
		f := Failover{From: iv.Node, Lost: iv.End, Overlap: oldOverlapOf(steps, iv)}
		f.Cause, f.Onset = failoverCause(iv, faults, grace)
		gapSet := false
		for k := max(oldStepAt(steps, iv.End), 0); k < len(steps); k++ {
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

// oldOverlapOf is the overlap episode iv ends in: the time up to its end
// during which another node led too.
func oldOverlapOf(steps []oldLeaderStep, iv Interval) time.Duration {
	from := iv.End
	for k := oldStepAt(steps, iv.End-1); k >= 0 && steps[k].Count >= 2; k-- {
		from = max(steps[k].At, iv.Start)
		if from == iv.Start {
			break
		}
	}
	return iv.End - from
}

// oldCheckTransitions counts leadership changing hands (a start by another
// identity than the previous leader's) and spurious losses (intervals ended
// by a failed renewal, with no crash or stop of the leader).
func oldCheckTransitions(ivs []Interval) (transitions, spurious int) {
	order := make([]int, len(ivs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return oldCmpDur(ivs[a].Start, ivs[b].Start) })
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

func oldCmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// oldCheckStaleLeader measures time a node leads while the stored record names
// another holder. holderAt must be a step function whose steps are listed in
// changes (true times, in order).
func oldCheckStaleLeader(ivs []Interval, changes []time.Duration, holderAt func(time.Duration) string) time.Duration {
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

// oldCheckPausedWhileLeading intersects each node's pause windows with its
// leading intervals, filling Interval.Paused, and returns the total.
func oldCheckPausedWhileLeading(ivs []Interval, pauses map[string][]Window) time.Duration {
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

// TestMonitorAgreesWithTheSweep: the monitor, told the changes one at a
// time, measures what a pass over the sorted interval edges after the run
// measures (the old* functions above, kept as the oracle), on random
// intervals, faults, holder changes and pauses at coarse times, so that
// ties at one instant are common.
func TestMonitorAgreesWithTheSweep(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 8).Draw(t, "n")
		var ivs []Interval
		reasons := []string{"renew-failed", "crashed", "stopped", "run-end"}
		tick := func(name string) time.Duration { return time.Duration(rapid.IntRange(0, 20).Draw(t, name)) }
		end := tick("end") + 10
		for i := 0; i < n; i++ {
			s := tick("s")
			e := s + tick("len")
			e = min(e, end)
			s = min(s, e)
			c := e - time.Duration(rapid.IntRange(0, 3).Draw(t, "dr"))
			c = max(c, s)
			node := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "node")
			ivs = append(ivs, Interval{Node: node, Identity: node + rapid.SampledFrom([]string{"", "2"}).Draw(t, "id"), Start: s, End: e, Cancelled: c, EndReason: rapid.SampledFrom(reasons).Draw(t, "r")})
		}
		slices.SortStableFunc(ivs, func(a, b Interval) int { return int(a.Start - b.Start) })
		var faults []FaultWindow
		for k := rapid.IntRange(0, 3).Draw(t, "nf"); k > 0; k-- {
			s := tick("fs")
			faults = append(faults, FaultWindow{Type: "x", Start: s, End: s + tick("fl"), Nodes: []string{rapid.SampledFrom([]string{"a", "b"}).Draw(t, "fn")}})
		}
		grace := tick("g")
		first := time.Duration(0)
		var changes []time.Duration
		holders := map[time.Duration]string{}
		for k := rapid.IntRange(0, 4).Draw(t, "nh"); k > 0; k-- {
			c := tick("hc")
			if _, ok := holders[c]; !ok {
				changes = append(changes, c)
			}
			holders[c] = rapid.SampledFrom([]string{"a", "b", "c2", ""}).Draw(t, "h")
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i] < changes[j] })
		holderAt := func(x time.Duration) string {
			h := ""
			for _, c := range changes {
				if c <= x {
					h = holders[c]
				}
			}
			return h
		}
		pauses := map[string][]Window{}
		for _, node := range []string{"a", "b"} {
			at := time.Duration(0)
			for k := rapid.IntRange(0, 3).Draw(t, "np"); k > 0; k-- {
				s := at + tick("ps")
				e := s + tick("pl")
				pauses[node] = append(pauses[node], Window{Start: s, End: e})
				at = e
			}
		}
		// the runner's setting: everything within [first, end]
		obs := []observation{}
		for _, c := range changes {
			obs = append(obs, observation{at: c, holder: holders[c]})
		}
		for _, node := range []string{"a", "b"} {
			for _, w := range pauses[node] {
				obs = append(obs, observation{at: w.Start, node: node, on: true, pause: true}, observation{at: w.End, node: node, pause: true})
			}
		}
		slices.SortStableFunc(obs, func(a, b observation) int { return int(a.at - b.at) })
		got := replay(ivs, faults, first, end+100, grace, obs)
		clipped := map[string][]Window{}
		for k, ws := range pauses {
			for _, w := range ws {
				clipped[k] = append(clipped[k], Window{Start: w.Start, End: min(w.End, end+100)})
			}
		}
		want := &Result{Leadership: slices.Clone(ivs)}
		want.Overlap = oldCheckOverlap(ivs)
		want.Leaderless = oldCheckLeaderless(ivs, first, end+100)
		want.Liveness = oldCheckLiveness(ivs, first, end+100)
		want.Failovers = oldCheckFailovers(ivs, faults, grace, end+100)
		want.Transitions, want.SpuriousTransitions = oldCheckTransitions(ivs)
		want.StaleLeader = oldCheckStaleLeader(ivs, changes, holderAt)
		want.PausedWhileLeading = oldCheckPausedWhileLeading(want.Leadership, clipped)
		for _, pair := range [][2]any{{got.Overlap, want.Overlap}, {got.Leaderless, want.Leaderless}, {got.Liveness, want.Liveness}, {got.Failovers, want.Failovers},
			{got.Transitions, want.Transitions}, {got.SpuriousTransitions, want.SpuriousTransitions}, {got.StaleLeader, want.StaleLeader}, {got.PausedWhileLeading, want.PausedWhileLeading}} {
			if !reflect.DeepEqual(pair[0], pair[1]) {
				t.Fatalf("got %+v want %+v\nivs %+v", pair[0], pair[1], ivs)
			}
		}
		for i := range ivs {
			if !reflect.DeepEqual(got.Leadership[i].Paused, want.Leadership[i].Paused) {
				t.Fatalf("paused %d: %+v vs %+v", i, got.Leadership[i].Paused, want.Leadership[i].Paused)
			}
		}
	})
}
