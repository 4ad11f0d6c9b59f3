package check

import (
	"slices"
	"testing"

	"github.com/lesim/lesim/scenarios"
)

func TestMetricsOfHandBuiltResults(t *testing.T) {
	never := &Result{Duration: 100 * sec, Liveness: Liveness{NeverLed: true, TimeToFirstLeader: 100 * sec}, Leaderless: Leaderless{Total: 100 * sec, Max: 100 * sec}}
	m := never.MetricMap()
	if m["liveness.failed"] != 1 || m["liveness.timeToFirstLeaderSeconds"] != 100 || m["leaderless.maxSeconds"] != 100 || m["recovery.maxSeconds"] != 0 {
		t.Fatalf("no leader: %v", m)
	}
	ok := &Result{Duration: 100 * sec, Leadership: []Interval{iv("a", sec, 100*sec, "run-end")}, Liveness: Liveness{TimeToFirstLeader: sec}, LivenessWindow: scenarios.LivenessWindow{Bound: 10 * sec},
		Overlap:   Overlap{Total: 2 * sec, Max: 2 * sec, Episodes: []Window{{10 * sec, 12 * sec}}},
		Failovers: []Failover{{Recovery: 4 * sec, HandoverGap: 0, Restored: true}, {Recovery: 8 * sec, HandoverGap: 3 * sec, Restored: true}}}
	m = ok.MetricMap()
	want := map[string]float64{"liveness.failed": 0, "overlap.occurred": 1, "overlap.episodes": 1, "recovery.maxSeconds": 8, "recovery.meanSeconds": 6, "handoverGap.maxSeconds": 3}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if !slices.Equal(MetricNames(), func() []string {
		var out []string
		for _, x := range ok.Metrics() {
			out = append(out, x.Name)
		}
		return out
	}()) {
		t.Error("Metrics and MetricNames disagree on order")
	}
}
