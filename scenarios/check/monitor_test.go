package check

import (
	"testing"

	"github.com/lesim/lesim/scenarios"
)

// A leader whose end was told ahead of time (its drain) and then cut
// short (a crash) ends where it was cut: the overlap with the next leader
// and the handover follow the cut, not the drain. A monitor that kept the
// first end measures 6 s of overlap.
func TestMonitorEndCutShort(t *testing.T) {
	res := &Result{}
	w := scenarios.LivenessWindow{Start: 3 * sec, Bound: 10 * sec}
	m := NewMonitor(res, 0, 30*sec, 0, w)
	res.Leadership = append(res.Leadership, Interval{Node: "a", Identity: "a", Start: sec, End: -1, Cancelled: -1})
	m.Started(sec, 0)
	res.Leadership[0].Cancelled, res.Leadership[0].End, res.Leadership[0].EndReason = 4*sec, 12*sec, "renew-failed"
	m.Ended(4*sec, 0) // draining until 12 s
	res.Leadership = append(res.Leadership, Interval{Node: "b", Identity: "b", Start: 6 * sec, End: -1, Cancelled: -1})
	m.Started(6*sec, 1)
	res.Leadership[0].End, res.Leadership[0].EndReason = 7*sec, "crashed"
	m.Ended(7*sec, 0) // the crash cuts the drain
	res.Leadership[1].End, res.Leadership[1].EndReason = 30*sec, "run-end"
	m.Ended(30*sec, 1)
	m.Finish()
	if res.Overlap.Total != sec || len(res.Overlap.Episodes) != 1 {
		t.Fatalf("overlap %+v, want 1s (6 s to 7 s)", res.Overlap)
	}
	if len(res.Failovers) != 1 || res.Failovers[0].Lost != 7*sec || res.Failovers[0].Overlap != sec || !res.Failovers[0].Restored || res.Failovers[0].To != "b" {
		t.Fatalf("failovers %+v", res.Failovers)
	}
	if res.SpuriousTransitions != 0 || res.Transitions != 1 {
		t.Fatalf("transitions %d spurious %d, want 1 and 0 (the crash, not the failed renewal, ended a)", res.Transitions, res.SpuriousTransitions)
	}
	if res.LivenessWindow != w || res.Liveness.TimeToFirstLeader != sec || res.Leaderless.Total != sec {
		t.Fatalf("liveness %+v window %+v leaderless %+v", res.Liveness, res.LivenessWindow, res.Leaderless)
	}
}

// Changes at one instant apply together: a handover at 5 s told as the new
// leader's start before the old one's end is neither an overlap nor a gap.
func TestMonitorHandoverAtOneInstant(t *testing.T) {
	res := &Result{Leadership: []Interval{
		{Node: "a", Identity: "a", Start: 0, End: -1, Cancelled: -1},
		{Node: "b", Identity: "b", Start: 5 * sec, End: 20 * sec, Cancelled: 20 * sec, EndReason: "run-end"},
	}}
	m := NewMonitor(res, 0, 20*sec, 0, scenarios.LivenessWindow{})
	m.Started(0, 0)
	m.Started(5*sec, 1)
	res.Leadership[0].End, res.Leadership[0].Cancelled, res.Leadership[0].EndReason = 5*sec, 5*sec, "stopped"
	m.Ended(5*sec, 0)
	m.Ended(5*sec, 1)
	m.Finish()
	if res.Overlap.Total != 0 || len(res.Overlap.Episodes) != 0 || res.Leaderless.Total != 0 {
		t.Fatalf("overlap %+v leaderless %+v, want none", res.Overlap, res.Leaderless)
	}
	if f := res.Failovers; len(f) != 1 || f[0].HandoverGap != 0 || f[0].Recovery != 0 || f[0].To != "b" {
		t.Fatalf("failovers %+v", f)
	}
}
