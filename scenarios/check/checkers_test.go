package check

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
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

func TestCheckLeaderlessCountsFromTheFirstStart(t *testing.T) {
	ivs := []Interval{iv("a", 5*sec, 20*sec, "crashed"), iv("b", 35*sec, 50*sec, "renew-failed"), iv("c", 52*sec, 60*sec, "renew-failed")}
	// Gaps from the first start (0): 0–5, 20–35, 50–52, 60–70 (run end).
	if l := CheckLeaderless(ivs, 0, 70*sec); l.Total != 32*sec || l.Max != 15*sec {
		t.Fatalf("leaderless %+v, want 32s total, 15s longest", l)
	}
	// Nobody leads: the whole run from the first start is leaderless.
	if l := CheckLeaderless(nil, 2*sec, 60*sec); l.Total != 58*sec || l.Max != 58*sec {
		t.Fatalf("no leader: leaderless %+v, want 58s", l)
	}
	if lv := CheckLiveness(nil, 2*sec, 60*sec); !lv.NeverLed || lv.TimeToFirstLeader != 58*sec {
		t.Fatalf("no leader: %+v", lv)
	}
	if lv := CheckLiveness(ivs, 0, 70*sec); lv.NeverLed || lv.TimeToFirstLeader != 5*sec {
		t.Fatalf("liveness %+v, want first leader after 5s", lv)
	}
}

func TestCheckFailoversFromTheFault(t *testing.T) {
	d := iv("d", 62*sec, 70*sec, "renew-failed")
	d.Cancelled = 64 * sec // then 6 s of drain
	ivs := []Interval{
		iv("a", 5*sec, 20*sec, "crashed"),       // crashed at 20; b leads at 35
		iv("b", 35*sec, 50*sec, "renew-failed"), // partitioned at 40; c already leads from 48
		iv("c", 48*sec, 60*sec, "stopped"),      // stopped at 60; d leads at 62
		d,                                       // lost with no fault at 64 (drain to 70); nobody after
		iv("e", 75*sec, 90*sec, "run-end"),      // not a failover: the run ended
	}
	faults := []FaultWindow{
		{Type: "crash", Nodes: []string{"a"}, Start: 20 * sec, End: 20 * sec},
		{Type: "partition", Nodes: []string{"b"}, Start: 40 * sec, End: 55 * sec},
		{Type: "stop", Nodes: []string{"c"}, Start: 58 * sec, End: 58 * sec},
		{Type: "partition", Nodes: []string{"x"}, Start: 63 * sec, End: 64 * sec}, // another node's
	}
	got := CheckFailovers(ivs, faults, 10*sec, 90*sec)
	want := []Failover{
		{Cause: "crash", Onset: 20 * sec, Lost: 20 * sec, From: "a", To: "b", Restored: true, Recovery: 15 * sec, HandoverGap: 15 * sec},
		// Overlapping handover: a failover with its overlap, recovered
		// when c leads alone.
		{Cause: "partition", Onset: 40 * sec, Lost: 50 * sec, From: "b", To: "c", Restored: true, Recovery: 10 * sec, Overlap: 2 * sec},
		{Cause: "stop", Onset: 58 * sec, Lost: 60 * sec, From: "c", To: "d", Restored: true, Recovery: 4 * sec, HandoverGap: 2 * sec},
		{Cause: "renew-failed", Onset: 64 * sec, Lost: 70 * sec, From: "d", To: "e", Restored: true, Recovery: 11 * sec, HandoverGap: 5 * sec},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("failovers\n got %+v\nwant %+v", got, want)
	}
	// A fault long before the loss (beyond grace after its end) did not
	// cause it: a clock-rate change at 10 s, a loss at 100 s.
	x := []Interval{iv("x", 0, 100*sec, "renew-failed")}
	got = CheckFailovers(x, []FaultWindow{{Type: "clockRate", Nodes: []string{"x"}, Start: 10 * sec, End: 10 * sec}}, 10*sec, 200*sec)
	if got[0].Cause != "renew-failed" || got[0].Onset != 100*sec {
		t.Fatalf("a stale fault blamed: %+v", got[0])
	}
	// Never restored: recovery and gap run to the end.
	got = CheckFailovers(ivs[:4], faults, 10*sec, 90*sec)
	if f := got[3]; f.Restored || f.To != "" || f.Recovery != 26*sec || f.HandoverGap != 20*sec {
		t.Fatalf("unrestored failover %+v", f)
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
	res := &Result{Duration: 100 * sec, Leadership: []Interval{iv("a", 0, 100*sec, "run-end")}, Overlap: Overlap{Max: sec}, Leaderless: Leaderless{Max: 11 * sec},
		Failovers: []Failover{{Onset: 5 * sec, Recovery: 12 * sec, HandoverGap: 11 * sec, Restored: true}}, SpuriousTransitions: 1,
		Liveness: Liveness{TimeToFirstLeader: 11 * sec}}
	got := CheckExpect(scenarios.Expect{MaxTimeToFirstLeader: &ten, MaxRecovery: &ten, MaxOverlap: &zero, MaxLeaderless: &ten, MaxFailover: &ten, MaxSpuriousTransitions: &one}, res)
	if got.Passed || len(got.Violations) != 6 {
		t.Fatalf("expect %+v", got)
	}
	if ok := CheckExpect(scenarios.Expect{}, res); !ok.Passed {
		t.Fatalf("no bounds must pass: %+v", ok)
	}
}

func TestCheckExpectRequiresALeaderByDefault(t *testing.T) {
	w := scenarios.LivenessWindow{Start: 10 * sec, Bound: 20 * sec}
	never := &Result{Duration: 100 * sec, Liveness: Liveness{NeverLed: true, TimeToFirstLeader: 100 * sec}, LivenessWindow: w}
	if got := CheckExpect(scenarios.Expect{}, never); got.Passed || !strings.Contains(strings.Join(got.Violations, ""), "no node ever led") {
		t.Fatalf("a run with no leader passed: %+v", got)
	}
	no := false
	if got := CheckExpect(scenarios.Expect{RequireLeader: &no}, never); !got.Passed {
		t.Fatalf("requireLeader false must accept a run with no leader: %+v", got)
	}
	// Lost at 50 and never restored: 50 + bound 20 <= 100 fails; the same
	// loss at 85 is too close to the end to judge.
	lost := func(at time.Duration) *Result {
		ivs := []Interval{iv("a", 5*sec, at, "renew-failed")}
		return &Result{Duration: 100 * sec, Leadership: ivs, LivenessWindow: w, Liveness: Liveness{TimeToFirstLeader: 5 * sec},
			Failovers: CheckFailovers(ivs, nil, 0, 100*sec)}
	}
	if got := CheckExpect(scenarios.Expect{}, lost(50*sec)); got.Passed || !strings.Contains(got.Violations[0], "never restored") {
		t.Fatalf("leadership never restored passed: %+v", got)
	}
	if got := CheckExpect(scenarios.Expect{}, lost(85*sec)); !got.Passed {
		t.Fatalf("a loss within the bound of the end failed: %+v", got)
	}
	// Nobody leads inside the window [10, 30]: a leader only before it.
	early := &Result{Duration: 100 * sec, Leadership: []Interval{iv("a", 0, 5*sec, "renew-failed")}, LivenessWindow: w}
	if got := CheckExpect(scenarios.Expect{}, early); got.Passed {
		t.Fatalf("nobody leading in the liveness window passed: %+v", got)
	}
}

// The new expect bounds are validated like the others: a negative
// duration is bad input naming its field path.
func TestExpectLivenessFieldsValidated(t *testing.T) {
	base := "apiVersion: lesim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  expect: {%s}\n"
	for field, want := range map[string]string{
		"maxRecovery: -1s":          "spec.expect.maxRecovery",
		"maxTimeToFirstLeader: -2s": "spec.expect.maxTimeToFirstLeader",
		"requireLeader: maybe":      "requireLeader",
	} {
		_, err := scenarios.Parse("x.yaml", []byte(strings.Replace(base, "%s", field, 1)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", field, err, want)
		}
	}
	sc, err := scenarios.Parse("x.yaml", []byte(strings.Replace(base, "%s", "requireLeader: false, maxRecovery: 30s, maxTimeToFirstLeader: 5s", 1)))
	if err != nil || sc.Spec.Expect.LeaderRequired() || sc.Spec.Expect.MaxRecovery.Duration != 30*sec {
		t.Fatalf("%v %+v", err, sc)
	}
}
