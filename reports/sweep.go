package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dur is a duration that reads and writes as a Go duration string in JSON
// ("15s"), as scenario files do.
type Dur time.Duration

func (d Dur) String() string { return time.Duration(d).String() }

func (d Dur) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Dur) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string such as \"15s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Dur(v)
	return nil
}

// SweepParams are the coordinates of one sweep point. The optional ones are
// present only when the sweep varies them; absent, the scenario's own
// setting applies.
type SweepParams struct {
	LeaseDuration Dur `json:"leaseDuration"`
	RenewDeadline Dur `json:"renewDeadline"`
	RetryPeriod   Dur `json:"retryPeriod"`
	// ClockRatio is the clock rate of every follower relative to the
	// first node's (rate 1).
	ClockRatio float64 `json:"clockRatio"`
	// Latency is a fixed one-way API latency in each direction.
	Latency *Dur `json:"latency,omitempty"`
	// Pause is the length of a pause of the first node.
	Pause *Dur `json:"pause,omitempty"`
	// ErrorRate is the probability that an API request fails with 503.
	ErrorRate *float64 `json:"errorRate,omitempty"`
}

// Key names the point: "lease=15s/renew=10s/retry=2s/skew=1.2", plus the
// optional dimensions the sweep varies. It is the point's identity (seeds
// derive from it) and its Go benchmark sub-name.
func (p SweepParams) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lease=%s/renew=%s/retry=%s/skew=%s", p.LeaseDuration, p.RenewDeadline, p.RetryPeriod, fmtNum(p.ClockRatio))
	if p.Latency != nil {
		fmt.Fprintf(&b, "/latency=%s", *p.Latency)
	}
	if p.Pause != nil {
		fmt.Fprintf(&b, "/pause=%s", *p.Pause)
	}
	if p.ErrorRate != nil {
		fmt.Fprintf(&b, "/errors=%s", fmtNum(*p.ErrorRate))
	}
	return b.String()
}

// LDOverRD is LeaseDuration/RenewDeadline, the heatmap's y axis.
func (p SweepParams) LDOverRD() float64 {
	return float64(p.LeaseDuration) / float64(p.RenewDeadline)
}

// SweepRun is what one seed of a point measured.
type SweepRun struct {
	Seed                 uint64    `json:"seed"`
	TraceHash            string    `json:"traceHash"`
	OverlapSeconds       float64   `json:"overlapSeconds"`
	OverlapMaxSeconds    float64   `json:"overlapMaxSeconds"`
	OverlapEpisodes      int       `json:"overlapEpisodes"`
	LeaderlessSeconds    float64   `json:"leaderlessSeconds"`
	LeaderlessMaxSeconds float64   `json:"leaderlessMaxSeconds"`
	FailoverSeconds      []float64 `json:"recoverySeconds"`
	SpuriousTransitions  int       `json:"spuriousTransitions"`
	APIRequestsPerSecond float64   `json:"apiRequestsPerSecond"`
	UnsafeWrites         int       `json:"unsafeWrites"`
	ExpectPassed         bool      `json:"expectPassed"`
	// LivenessFailed: nobody led, or leadership was not restored.
	LivenessFailed bool `json:"livenessFailed"`
}

// NewSweepRun condenses a run summary.
func NewSweepRun(s *Summary) SweepRun {
	r := SweepRun{
		Seed:                 s.Seed,
		TraceHash:            s.TraceHash,
		OverlapSeconds:       s.Overlap.TotalSeconds,
		OverlapMaxSeconds:    s.Overlap.MaxSeconds,
		OverlapEpisodes:      s.Overlap.Episodes,
		LeaderlessSeconds:    s.Leaderless.TotalSeconds,
		LeaderlessMaxSeconds: s.Leaderless.MaxSeconds,
		FailoverSeconds:      []float64{},
		SpuriousTransitions:  s.SpuriousTransitions,
		APIRequestsPerSecond: s.API.RequestsPerSecond,
		UnsafeWrites:         s.Workload.UnsafeWrites,
		ExpectPassed:         s.Expect.Passed,
		LivenessFailed:       s.Liveness.Failed,
	}
	for _, f := range s.Failovers {
		r.FailoverSeconds = append(r.FailoverSeconds, f.RecoverySeconds)
	}
	return r
}

// MaxFailover is the run's longest recovery, 0 without any failover.
func (r *SweepRun) MaxFailover() float64 {
	m := 0.0
	for _, f := range r.FailoverSeconds {
		m = max(m, f)
	}
	return m
}

// SweepStats aggregates the runs of a point. The Failover* statistics are
// of recovery time (a fault's onset to a node leading alone; JSON
// recovery*), pooling the failovers of all runs.
type SweepStats struct {
	Runs                     int     `json:"runs"`
	RunsWithOverlap          int     `json:"runsWithOverlap"`
	OverlapMeanSeconds       float64 `json:"overlapMeanSeconds"`
	OverlapMaxSeconds        float64 `json:"overlapMaxSeconds"`
	Failovers                int     `json:"failovers"`
	FailoverMeanSeconds      float64 `json:"recoveryMeanSeconds"`
	FailoverP50Seconds       float64 `json:"recoveryP50Seconds"`
	FailoverP99Seconds       float64 `json:"recoveryP99Seconds"`
	FailoverMaxSeconds       float64 `json:"recoveryMaxSeconds"`
	LeaderlessMaxSeconds     float64 `json:"leaderlessMaxSeconds"`
	APIRequestsPerSecondMean float64 `json:"apiRequestsPerSecondMean"`
	UnsafeWrites             int     `json:"unsafeWrites"`
	ExpectFailures           int     `json:"expectFailures"`
	LivenessFailures         int     `json:"livenessFailures"`
}

// Aggregate computes a point's statistics from its runs, in run order so
// that the floating-point sums are the same wherever they are computed.
func Aggregate(runs []SweepRun) SweepStats {
	st := SweepStats{Runs: len(runs)}
	var fo []float64
	overlap, rps := 0.0, 0.0
	for _, r := range runs {
		if r.OverlapSeconds > 0 {
			st.RunsWithOverlap++
		}
		overlap += r.OverlapSeconds
		st.OverlapMaxSeconds = max(st.OverlapMaxSeconds, r.OverlapSeconds)
		fo = append(fo, r.FailoverSeconds...)
		st.LeaderlessMaxSeconds = max(st.LeaderlessMaxSeconds, r.LeaderlessMaxSeconds)
		rps += r.APIRequestsPerSecond
		st.UnsafeWrites += r.UnsafeWrites
		if !r.ExpectPassed {
			st.ExpectFailures++
		}
		if r.LivenessFailed {
			st.LivenessFailures++
		}
	}
	if n := len(runs); n > 0 {
		st.OverlapMeanSeconds = overlap / float64(n)
		st.APIRequestsPerSecondMean = rps / float64(n)
	}
	st.Failovers = len(fo)
	if len(fo) > 0 {
		sum := 0.0
		for _, f := range fo {
			sum += f
		}
		st.FailoverMeanSeconds = sum / float64(len(fo))
		slices.Sort(fo)
		st.FailoverP50Seconds = Quantile(fo, 0.5)
		st.FailoverP99Seconds = Quantile(fo, 0.99)
		st.FailoverMaxSeconds = fo[len(fo)-1]
	}
	return st
}

// Quantile is the nearest-rank quantile of sorted values: an observed value,
// never an interpolation between two.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// SweepPoint is one point of a sweep with its runs.
type SweepPoint struct {
	// Index is the point's position in the sweep's fixed order; shard
	// s of n holds the points with Index mod n = s.
	Index  int         `json:"index"`
	Key    string      `json:"key"`
	Params SweepParams `json:"params"`
	Stats  SweepStats  `json:"stats"`
	Runs   []SweepRun  `json:"runs"`
}

// SweepSpec defines a sweep: everything its results depend on, and nothing
// they do not (worker count, shard layout, wall time).
type SweepSpec struct {
	// ID is a hash of the rest of the spec: shards with equal IDs come
	// from the same sweep.
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	// ScenarioSHA256 hashes the base scenario as resolved, so that two
	// shards run against different files cannot be merged.
	ScenarioSHA256 string    `json:"scenarioSHA256"`
	Seed           uint64    `json:"seed"`
	Seeds          int       `json:"seeds"`
	Lease          []Dur     `json:"lease"`
	Renew          []Dur     `json:"renew"`
	Retry          []Dur     `json:"retry"`
	Skew           []float64 `json:"skew"`
	Latency        []Dur     `json:"latency,omitempty"`
	Pause          []Dur     `json:"pause,omitempty"`
	ErrorRate      []float64 `json:"errorRate,omitempty"`
	// Points is the number of points of the whole sweep (all shards).
	Points int `json:"points"`
	// Skipped counts grid combinations that are not valid elector
	// configurations (renewDeadline >= leaseDuration, ...).
	Skipped int `json:"skipped"`
}

// ShardInfo says which part of a sweep a file holds.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// SweepFile is the JSON output of a sweep or of one shard of it. A merged
// set of shards is byte-identical to the unsharded file.
type SweepFile struct {
	Kind   string       `json:"kind"`
	Sweep  SweepSpec    `json:"sweep"`
	Shard  *ShardInfo   `json:"shard,omitempty"`
	Points []SweepPoint `json:"points"`
}

// SweepKind is SweepFile.Kind.
const SweepKind = "lesim.dev/sweep"

// WriteSweepJSON writes f as indented JSON.
func WriteSweepJSON(w io.Writer, f *SweepFile) error { return writeJSON(w, f) }

// SweepCSVHeader is the header row of WriteSweepCSV.
var SweepCSVHeader = []string{
	"index", "key", "lease_s", "renew_s", "retry_s", "clock_ratio", "latency_s", "pause_s", "error_rate",
	"runs", "runs_with_overlap", "overlap_mean_s", "overlap_max_s",
	"failovers", "recovery_mean_s", "recovery_p50_s", "recovery_p99_s", "recovery_max_s",
	"leaderless_max_s", "api_rps_mean", "unsafe_writes", "expect_failures",
}

// WriteSweepCSV writes one row per point, in index order. Dimensions the
// sweep does not vary are empty cells.
func WriteSweepCSV(w io.Writer, points []SweepPoint) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SweepCSVHeader); err != nil {
		return err
	}
	for _, p := range points {
		pr, st := p.Params, p.Stats
		opt := func(d *Dur) string {
			if d == nil {
				return ""
			}
			return fmtNum(time.Duration(*d).Seconds())
		}
		er := ""
		if pr.ErrorRate != nil {
			er = fmtNum(*pr.ErrorRate)
		}
		row := []string{
			strconv.Itoa(p.Index), p.Key,
			fmtNum(time.Duration(pr.LeaseDuration).Seconds()), fmtNum(time.Duration(pr.RenewDeadline).Seconds()), fmtNum(time.Duration(pr.RetryPeriod).Seconds()),
			fmtNum(pr.ClockRatio), opt(pr.Latency), opt(pr.Pause), er,
			strconv.Itoa(st.Runs), strconv.Itoa(st.RunsWithOverlap), fmtNum(st.OverlapMeanSeconds), fmtNum(st.OverlapMaxSeconds),
			strconv.Itoa(st.Failovers), fmtNum(st.FailoverMeanSeconds), fmtNum(st.FailoverP50Seconds), fmtNum(st.FailoverP99Seconds), fmtNum(st.FailoverMaxSeconds),
			fmtNum(st.LeaderlessMaxSeconds), fmtNum(st.APIRequestsPerSecondMean), strconv.Itoa(st.UnsafeWrites), strconv.Itoa(st.ExpectFailures),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteSweepBench writes the sweep in Go benchmark format, one line per run
// (benchstat computes its statistics over the repeated lines of a name):
//
//	BenchmarkSweep/lease=15s/renew=10s/retry=2s/skew=1.2 1 0 overlap-s 17.3 failover-s ...
//
// failover-s is the run's longest failover (0 without one).
func WriteSweepBench(w io.Writer, f *SweepFile) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario: %s\nsweep-seed: %d\n", f.Sweep.Scenario, f.Sweep.Seed)
	for _, p := range f.Points {
		for _, r := range p.Runs {
			fmt.Fprintf(&b, "BenchmarkSweep/%s 1 %s overlap-s %s failover-s %s leaderless-s %s api-req/s\n",
				p.Key, fmtNum(r.OverlapSeconds), fmtNum(r.MaxFailover()), fmtNum(r.LeaderlessMaxSeconds), fmtNum(r.APIRequestsPerSecond))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtNum prints a float in the shortest form that reads back exactly.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
