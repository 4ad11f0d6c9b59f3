package check

import (
	"slices"
	"time"
)

// Metric is one number a run is judged by. Every metric is "lower is
// better": more overlap, slower recovery, more traffic are all worse.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// MetricInfo describes a metric. A Rate metric is 0 or 1 per run (did it
// happen), so that comparisons of it are comparisons of proportions. A
// Diagnostic metric is reported with its statistics but decides no
// verdict: leaderless time and the handover gap count a leader cut off
// from the API as leading, so timings whose leader steps down sooner show
// more of both although a working leader returns sooner — recovery, from
// the fault's onset, is what judges a failover.
type MetricInfo struct {
	Name       string
	Unit       string
	Rate       bool
	Diagnostic bool
	Doc        string
}

// metricInfos lists the judged metrics in a fixed order, which is the
// order of every table, diff and column that shows them.
var metricInfos = []MetricInfo{
	{"liveness.failed", "", true, false, "1 when the run fails the liveness verdict (nobody ever led, nobody led in the liveness window, or leadership not restored)"},
	{"liveness.timeToFirstLeaderSeconds", "s", false, false, "from the first node's start to the first leader (the whole run when nobody led)"},
	{"overlap.occurred", "", true, false, "1 when two nodes led at once at any time of the run"},
	{"overlap.totalSeconds", "s", false, false, "time with two or more leaders"},
	{"overlap.maxSeconds", "s", false, false, "longest overlap episode"},
	{"overlap.episodes", "", false, false, "overlap episodes"},
	{"leaderless.totalSeconds", "s", false, true, "time with no leader, from the first node's start"},
	{"leaderless.maxSeconds", "s", false, true, "longest leaderless stretch, from the first node's start"},
	{"recovery.maxSeconds", "s", false, false, "longest recovery: fault onset to a node leading alone (to the run's end when never restored)"},
	{"recovery.meanSeconds", "s", false, false, "mean recovery over the run's failovers"},
	{"handoverGap.maxSeconds", "s", false, true, "longest leaderless gap between a leader's loss and the next leader"},
	{"spuriousTransitions", "", false, false, "leadership lost with no crash or stop"},
	{"staleLeaderSeconds", "s", false, false, "time a node led while the record named another"},
	{"api.requestsPerSecond", "req/s", false, false, "API requests per second of simulated time, all nodes"},
	{"workload.unsafeWrites", "", false, false, "workload writes accepted from a node not holding the lease"},
}

// MetricInfos returns the judged metrics in their fixed order.
func MetricInfos() []MetricInfo { return slices.Clone(metricInfos) }

// MetricNames lists the judged metrics' names in order.
func MetricNames() []string {
	out := make([]string, len(metricInfos))
	for i, m := range metricInfos {
		out[i] = m.Name
	}
	return out
}

// MetricInfoOf returns a metric's description.
func MetricInfoOf(name string) (MetricInfo, bool) {
	for _, m := range metricInfos {
		if m.Name == name {
			return m, true
		}
	}
	return MetricInfo{}, false
}

// LivenessFailed reports whether the run fails the liveness verdict
// (spec.expect.requireLeader's), whatever the scenario's expect says.
func (r *Result) LivenessFailed() bool { return len(livenessViolations(r)) > 0 }

// Metrics returns the judged metrics of a run in MetricInfos order.
func (r *Result) Metrics() []Metric {
	var recMax, recSum, gapMax time.Duration
	for _, f := range r.Failovers {
		recMax, recSum, gapMax = max(recMax, f.Recovery), recSum+f.Recovery, max(gapMax, f.HandoverGap)
	}
	recMean := 0.0
	if n := len(r.Failovers); n > 0 {
		recMean = recSum.Seconds() / float64(n)
	}
	values := []float64{
		bool01(r.LivenessFailed()),
		r.Liveness.TimeToFirstLeader.Seconds(),
		bool01(r.Overlap.Total > 0),
		r.Overlap.Total.Seconds(),
		r.Overlap.Max.Seconds(),
		float64(len(r.Overlap.Episodes)),
		r.Leaderless.Total.Seconds(),
		r.Leaderless.Max.Seconds(),
		recMax.Seconds(),
		recMean,
		gapMax.Seconds(),
		float64(r.SpuriousTransitions),
		r.StaleLeader.Seconds(),
		r.API.PerSecond,
		float64(r.Workload.UnsafeWrites),
	}
	out := make([]Metric, len(metricInfos))
	for i, m := range metricInfos {
		out[i] = Metric{Name: m.Name, Unit: m.Unit, Value: values[i]}
	}
	return out
}

// MetricMap is Metrics as a map by name.
func (r *Result) MetricMap() map[string]float64 {
	m := map[string]float64{}
	for _, x := range r.Metrics() {
		m[x.Name] = x.Value
	}
	return m
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
