package scenarios

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const sec = time.Second

func iv(node string, start, end time.Duration, reason string) Interval {
	return Interval{Node: node, Identity: node, Start: start, End: end, Cancelled: end, EndReason: reason}
}

func TestCheckOverlapOnHandBuiltTraces(t *testing.T) {
	// a leads 0–20, b 15–30 (5 s overlap), c 25–26 inside b (1 s), a again
	// 30–40 handed over at the same instant (no overlap).
	ivs := []Interval{iv("a", 0, 20*sec, "renew-failed"), iv("b", 15*sec, 30*sec, "stopped"), iv("c", 25*sec, 26*sec, "crashed"), iv("a", 30*sec, 40*sec, "run-end")}
	o := CheckOverlap(ivs)
	want := []Window{{15 * sec, 20 * sec}, {25 * sec, 26 * sec}}
	if o.Total != 6*sec || o.Max != 5*sec || !slices.Equal(o.Episodes, want) {
		t.Fatalf("overlap %+v", o)
	}
	if o := CheckOverlap([]Interval{iv("a", 0, 10*sec, ""), iv("b", 10*sec, 20*sec, "")}); o.Total != 0 {
		t.Fatalf("a handover at one instant counted as overlap: %+v", o)
	}
}

func TestCheckLeaderlessAndFailovers(t *testing.T) {
	ivs := []Interval{iv("a", 5*sec, 20*sec, "crashed"), iv("b", 35*sec, 50*sec, "renew-failed"), iv("c", 52*sec, 60*sec, "renew-failed")}
	l, fos := CheckLeaderless(ivs, 70*sec)
	// Gaps after the first acquisition: 20–35, 50–52, 60–70 (run end).
	if l.Total != 27*sec || l.Max != 15*sec {
		t.Fatalf("leaderless %+v", l)
	}
	want := []Failover{{At: 20 * sec, Duration: 15 * sec, From: "a", To: "b"}, {At: 50 * sec, Duration: 2 * sec, From: "b", To: "c"}, {At: 60 * sec, Duration: 10 * sec, From: "c"}}
	if !slices.Equal(fos, want) {
		t.Fatalf("failovers %+v\nwant %+v", fos, want)
	}
}

func TestCheckTransitions(t *testing.T) {
	ivs := []Interval{iv("a", 0, 10*sec, "renew-failed"), iv("a", 12*sec, 20*sec, "crashed"), iv("b", 30*sec, 40*sec, "stopped")}
	tr, sp := CheckTransitions(ivs)
	if tr != 1 || sp != 1 {
		t.Fatalf("transitions %d spurious %d, want 1 and 1", tr, sp)
	}
}

func TestCheckStaleLeader(t *testing.T) {
	// The store names a until 12 s, then b. a leads until 20 s: 8 s stale.
	changes := []time.Duration{0, 12 * sec}
	holderAt := func(t time.Duration) string {
		if t < 12*sec {
			return "a"
		}
		return "b"
	}
	ivs := []Interval{iv("a", 0, 20*sec, ""), iv("b", 13*sec, 30*sec, "")}
	if got := CheckStaleLeader(ivs, changes, holderAt); got != 8*sec {
		t.Fatalf("stale leader %v, want 8s", got)
	}
}

func TestCheckPausedWhileLeading(t *testing.T) {
	ivs := []Interval{iv("a", 10*sec, 30*sec, "")}
	got := CheckPausedWhileLeading(ivs, map[string][]Window{"a": {{0, 12 * sec}, {25 * sec, 40 * sec}}, "b": {{0, 100 * sec}}})
	if got != 7*sec || len(ivs[0].Paused) != 2 {
		t.Fatalf("paused while leading %v %+v", got, ivs[0].Paused)
	}
}

func TestCheckExpectReportsViolations(t *testing.T) {
	zero := metav1.Duration{}
	ten := metav1.Duration{Duration: 10 * sec}
	one := 0
	res := &Result{Overlap: Overlap{Max: sec}, Leaderless: Leaderless{Max: 11 * sec}, Failovers: []Failover{{At: 5 * sec, Duration: 11 * sec}}, SpuriousTransitions: 1}
	got := CheckExpect(Expect{MaxOverlap: &zero, MaxLeaderless: &ten, MaxFailover: &ten, MaxSpuriousTransitions: &one}, res)
	if got.Passed || len(got.Violations) != 4 {
		t.Fatalf("expect %+v", got)
	}
	if ok := CheckExpect(Expect{}, res); !ok.Passed {
		t.Fatalf("no bounds must pass: %+v", ok)
	}
}
