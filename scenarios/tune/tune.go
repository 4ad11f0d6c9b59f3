// Package tune searches elector timings for a scenario as given — its
// nodes, clocks, latencies with their tails, faults and load — for the
// fastest recovery (or the least API traffic) under hard constraints:
// no overlap in any of N verification runs (with the 95% upper bound on
// the overlap probability that N clean runs support), a leader elected
// and restored in every run, and a renew round trip at the latencies'
// 99.9th percentile that fits in min(RenewDeadline, request timeout).
//
// The search runs every candidate of the grid that passes the static
// round-trip check on a few seeds, ranks the clean ones by the objective,
// and verifies them in that order on fresh seeds until one passes: the
// pick is verified on seeds it was not chosen on.
package tune

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/check"
)

// Timings are the three elector timings tuned.
type Timings struct {
	LeaseDuration time.Duration `json:"leaseDuration"`
	RenewDeadline time.Duration `json:"renewDeadline"`
	RetryPeriod   time.Duration `json:"retryPeriod"`
}

func (t Timings) String() string {
	return fmt.Sprintf("%v/%v/%v", t.LeaseDuration, t.RenewDeadline, t.RetryPeriod)
}

// Objective is what the search minimises.
type Objective string

const (
	// Recovery: the 99th percentile of recovery time over every failover
	// of every run (time to first leader when the scenario has none).
	Recovery Objective = "recovery"
	// API: mean API requests per second.
	API Objective = "api"
)

// Options are a search's.
type Options struct {
	Lease, Renew, Retry []time.Duration
	// SearchSeeds runs per candidate in the search (default 10);
	// VerifySeeds runs of a pick's verification (default 300).
	SearchSeeds, VerifySeeds int
	Objective                Objective
	// MaxAPIRate and MaxRecovery are optional constraints (0: none):
	// mean requests/s, and recovery p99.
	MaxAPIRate  float64
	MaxRecovery time.Duration
	// MaxVerified bounds how many ranked candidates are verified before
	// the search gives up (default 8).
	MaxVerified int
	Seed        uint64
	Jobs        int
	// AdversaryBudget is the runs of the worst-case search that checks a
	// verified pick within the environment (scenarios/worstcase: every
	// latency within its distribution's support, every acquire wait within
	// client-go's jitter): a pick it finds an overlap for is rejected
	// ("adversary"). Default DefaultAdversaryBudget; negative: no check.
	AdversaryBudget int
	// Progress, when set, is called after each candidate's search runs.
	Progress func(done, total int)
}

// DefaultVerifySeeds is the default verification size: 300 clean runs
// bound the overlap probability below 1% (95% upper bound).
const DefaultVerifySeeds = 300

// DefaultAdversaryBudget is the default budget of the adversary check.
const DefaultAdversaryBudget = 200

func (o *Options) defaults() {
	if o.AdversaryBudget == 0 {
		o.AdversaryBudget = DefaultAdversaryBudget
	}
	if o.SearchSeeds <= 0 {
		o.SearchSeeds = 10
	}
	if o.VerifySeeds <= 0 {
		o.VerifySeeds = DefaultVerifySeeds
	}
	if o.Objective == "" {
		o.Objective = Recovery
	}
	if o.MaxVerified <= 0 {
		o.MaxVerified = 8
	}
}

// Figures are what a set of runs of one candidate measured.
type Figures struct {
	Runs        int `json:"runs"`
	OverlapRuns int `json:"overlapRuns"`
	// OverlapUpper95 is the one-sided 95% Clopper–Pearson upper bound on
	// the probability that a run overlaps.
	OverlapUpper95 float64 `json:"overlapUpper95"`
	// LivenessFailures counts runs that fail liveness (no leader, or
	// leadership not restored).
	LivenessFailures int     `json:"livenessFailures"`
	RecoveryP99      float64 `json:"recoveryP99Seconds"`
	RecoveryMax      float64 `json:"recoveryMaxSeconds"`
	APIRate          float64 `json:"apiRequestsPerSecond"`
	Failovers        int     `json:"failovers"`
}

// Candidate is one grid point with its static check and search figures.
type Candidate struct {
	Timings
	// RoundTrip is the renew round trip at the latencies' 99.9th
	// percentile; Budget is min(RD, request timeout) it must fit in.
	RoundTrip time.Duration `json:"roundTrip"`
	Budget    time.Duration `json:"budget"`
	Search    Figures       `json:"search"`
	Objective float64       `json:"objective"`
	// Verdict: "ok", "invalid" (client-go rejects it), "round-trip",
	// "overlap", "no-leader", "api", "recovery", "verify-failed", or
	// "adversary" (the worst-case search overlapped a verified pick).
	Verdict string `json:"verdict"`
	// Verified holds the verification figures when it was verified.
	Verified *Figures `json:"verified,omitempty"`
	// Adversary holds the worst-case search's finding for a pick that
	// passed verification.
	Adversary *Adversary `json:"adversary,omitempty"`
}

// Adversary is what the worst-case search found for a candidate.
type Adversary struct {
	Runs int `json:"runs"`
	// Overlap is the worst overlap found (0: none); Closest, when there
	// is none, how near the worst schedule came.
	Overlap time.Duration `json:"overlap"`
	Closest time.Duration `json:"closest"`
	// Counterexample is the schedule that overlapped (choices pinned).
	Counterexample *scenarios.Scenario `json:"-"`
}

// Result is a search's outcome.
type Result struct {
	Objective  Objective   `json:"objective"`
	Candidates []Candidate `json:"candidates"`
	// Pick is the index of the chosen candidate, -1 when none passed.
	Pick int `json:"pick"`
}

// Picked returns the chosen candidate.
func (r *Result) Picked() (Candidate, bool) {
	if r.Pick < 0 {
		return Candidate{}, false
	}
	return r.Candidates[r.Pick], true
}

// Apply returns sc with the timings at spec level and the nodes' own
// timing overrides removed: every node runs the tuned timings.
func Apply(sc *scenarios.Scenario, t Timings) *scenarios.Scenario {
	s := sc.Clone()
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	s.Spec.Elector.LeaseDuration, s.Spec.Elector.RenewDeadline, s.Spec.Elector.RetryPeriod = d(t.LeaseDuration), d(t.RenewDeadline), d(t.RetryPeriod)
	for i := range s.Spec.Nodes {
		if e := s.Spec.Nodes[i].Elector; e != nil {
			e.LeaseDuration, e.RenewDeadline, e.RetryPeriod = nil, nil, nil
		}
	}
	return s
}

// RoundTrip is the renew round trip of sc (timings applied) at the
// latencies' 99.9th percentile, the service time's included, for its
// slowest node, and the budget it must fit in: min(RD, request timeout)
// of that node (RD when it has no request timeout).
func RoundTrip(sc *scenarios.Scenario) (rt, budget time.Duration) {
	budget = -1
	for i := range sc.Spec.Nodes {
		l := sc.NodeLatency(i)
		r := scenarios.LatencyQuantile(l.Request, 0.999) + scenarios.LatencyQuantile(l.Response, 0.999) + scenarios.LatencyQuantile(sc.Spec.API.ServiceTime, 0.999)
		b := sc.NodeElector(i).RenewDeadline
		if to := sc.RequestTimeout(i); to > 0 {
			b = min(b, to)
		}
		rt = max(rt, r)
		if budget < 0 || b < budget {
			budget = b
		}
	}
	return rt, budget
}

// OverlapUpper95 is the one-sided 95% Clopper–Pearson upper bound on a
// probability of which k of n trials showed: for k = 0 it is
// 1 − 0.05^(1/n), about 3/n (the rule of three).
func OverlapUpper95(k, n int) float64 {
	if n <= 0 {
		return 1
	}
	if k >= n {
		return 1
	}
	return distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(0.95)
}

// Measure runs sc with timings t on seeds and returns its figures.
func Measure(ctx context.Context, sc *scenarios.Scenario, t Timings, seeds []uint64, jobs int) (Figures, error) {
	res, err := batch.Run(ctx, jobs, []*scenarios.Scenario{Apply(sc, t)}, seeds)
	if err != nil {
		return Figures{}, err
	}
	return figures(res[0]), nil
}

func figures(runs []*check.Result) Figures {
	f := Figures{Runs: len(runs)}
	var rec, first []float64
	for _, r := range runs {
		if r.Overlap.Total > 0 {
			f.OverlapRuns++
		}
		if r.LivenessFailed() {
			f.LivenessFailures++
		}
		f.APIRate += r.API.PerSecond / float64(len(runs))
		for _, fo := range r.Failovers {
			rec = append(rec, fo.Recovery.Seconds())
		}
		first = append(first, r.Liveness.TimeToFirstLeader.Seconds())
	}
	f.Failovers = len(rec)
	if len(rec) == 0 {
		rec = first // no failover: the objective is the first election
	}
	slices.Sort(rec)
	if len(rec) > 0 {
		f.RecoveryP99 = stat.Quantile(0.99, stat.Empirical, rec, nil)
		f.RecoveryMax = rec[len(rec)-1]
	}
	f.OverlapUpper95 = OverlapUpper95(f.OverlapRuns, f.Runs)
	return f
}
