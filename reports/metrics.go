package reports

// Metric is one number the gate and compare judge a run by. Every metric
// here is "lower is better": more overlap, longer failovers, more traffic
// are all regressions.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// MetricNames lists the judged metrics in a fixed order, which is the order
// of every table, diff and CSV column that shows them.
var MetricNames = []string{
	"overlap.totalSeconds",
	"overlap.maxSeconds",
	"overlap.episodes",
	"leaderless.totalSeconds",
	"leaderless.maxSeconds",
	"failover.maxSeconds",
	"failover.meanSeconds",
	"spuriousTransitions",
	"staleLeaderSeconds",
	"api.requestsPerSecond",
	"workload.unsafeWrites",
}

// Metrics returns the judged metrics of a run in MetricNames order.
func (s *Summary) Metrics() []Metric {
	mean := 0.0
	if n := len(s.Failovers); n > 0 {
		sum := 0.0
		for _, f := range s.Failovers {
			sum += f.DurationSeconds
		}
		mean = sum / float64(n)
	}
	return []Metric{
		{"overlap.totalSeconds", "s", s.Overlap.TotalSeconds},
		{"overlap.maxSeconds", "s", s.Overlap.MaxSeconds},
		{"overlap.episodes", "", float64(s.Overlap.Episodes)},
		{"leaderless.totalSeconds", "s", s.Leaderless.TotalSeconds},
		{"leaderless.maxSeconds", "s", s.Leaderless.MaxSeconds},
		{"failover.maxSeconds", "s", s.MaxFailoverSeconds()},
		{"failover.meanSeconds", "s", mean},
		{"spuriousTransitions", "", float64(s.SpuriousTransitions)},
		{"staleLeaderSeconds", "s", s.StaleLeaderSeconds},
		{"api.requestsPerSecond", "req/s", s.API.RequestsPerSecond},
		{"workload.unsafeWrites", "", float64(s.Workload.UnsafeWrites)},
	}
}

// MetricMap is Metrics as a map by name.
func (s *Summary) MetricMap() map[string]float64 {
	m := map[string]float64{}
	for _, x := range s.Metrics() {
		m[x.Name] = x.Value
	}
	return m
}
