package tune

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
	"github.com/lesim/lesim/scenarios/bound"
)

const sec = time.Second

func noLeader(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load("../testdata/no-leader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Clopper–Pearson one-sided 95% upper bounds: 0 of n is 1 − 0.05^(1/n)
// (≈ 3/n); 1 of 10 is 0.3942.
func TestOverlapUpper95(t *testing.T) {
	for _, c := range []struct {
		k, n int
		want float64
	}{{0, 300, 1 - math.Pow(0.05, 1.0/300)}, {0, 1000, 1 - math.Pow(0.05, 1.0/1000)}, {1, 10, 0.3942}, {10, 10, 1}} {
		if got := OverlapUpper95(c.k, c.n); math.Abs(got-c.want) > 5e-4 {
			t.Errorf("%d of %d: %.5f, want %.5f", c.k, c.n, got, c.want)
		}
	}
	if OverlapUpper95(0, 300) >= 0.01 {
		t.Error("0 of 300 must bound the overlap probability below 1%")
	}
}

// The environment's latency reaches the user's max at its 99.9th
// percentile (and is capped there), not only in a margin formula.
func TestEnvironmentLatencyReachesItsMax(t *testing.T) {
	sc := Environment{MaxClockRatio: 1.2, Latency: 5 * time.Millisecond, LatencyMax: 500 * time.Millisecond}.Scenario()
	if errs := sc.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	l := sc.Spec.API.Latency.Request
	if q := scenarios.LatencyQuantile(l, 0.999); q < 499*time.Millisecond || q > 500*time.Millisecond {
		t.Fatalf("p99.9 %v, want 500ms", q)
	}
	if q := scenarios.LatencyQuantile(l, 0.5); q != 5*time.Millisecond {
		t.Fatalf("median %v", q)
	}
}

// The timings nobody can lead with fail the round-trip check, and,
// measured anyway, every run fails liveness: the search rejects them.
func TestNoLeaderTimingsRejected(t *testing.T) {
	sc := noLeader(t)
	bad := Timings{8 * sec, 2 * sec, 1 * sec}
	rt, budget := RoundTrip(Apply(sc, bad))
	if rt != sec || budget != sec {
		t.Fatalf("round trip %v budget %v, want 1s and 1s", rt, budget)
	}
	f, err := Measure(context.Background(), sc, bad, batch.Seeds(1, "t", 4), 2)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{}
	c := Candidate{Timings: bad}
	o.judge(&c, f)
	if f.LivenessFailures != 4 || c.Verdict != "no-leader" {
		t.Fatalf("figures %+v verdict %s", f, c.Verdict)
	}
	// A grid of only that candidate has no pick.
	res, err := Search(context.Background(), sc, Options{Lease: []time.Duration{8 * sec}, Renew: []time.Duration{2 * sec}, Retry: []time.Duration{sec}, SearchSeeds: 2, VerifySeeds: 10, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pick >= 0 || res.Candidates[0].Verdict != "round-trip" {
		t.Fatalf("picked %+v", res.Candidates)
	}
}

// tune's pick, re-run on fresh seeds in the environment it was tuned for
// (500 ms each way), elects a leader in every run and never overlaps.
func TestPickHoldsOnFreshSeeds(t *testing.T) {
	sc := noLeader(t)
	o := Options{Lease: []time.Duration{4 * sec, 8 * sec, 15 * sec}, Renew: []time.Duration{2 * sec, 3 * sec, 5 * sec, 10 * sec}, Retry: []time.Duration{sec, 2 * sec},
		SearchSeeds: 4, VerifySeeds: 40, Seed: 1, Jobs: 2}
	res, err := Search(context.Background(), sc, o)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := res.Picked()
	if !ok {
		t.Fatalf("no pick: %+v", res.Candidates)
	}
	if c.RenewDeadline <= 2*sec || c.Verified == nil || c.Verified.Runs != 40 {
		t.Fatalf("pick %+v", c)
	}
	f, err := Measure(context.Background(), sc, c.Timings, batch.Seeds(99, "fresh", 60), 2)
	if err != nil {
		t.Fatal(err)
	}
	if f.OverlapRuns != 0 || f.LivenessFailures != 0 {
		t.Fatalf("pick %v on fresh seeds: %+v", c.Timings, f)
	}
	t.Logf("pick %v: %+v", c.Timings, f)
}

// partitioned is the safety bound's environment (scenarios/bound): the
// leader partitioned, two followers at rate.
func partitioned(rate float64) *scenarios.Scenario {
	sc := bound.PartitionedLeaderScenario(scenarios.Timings{LeaseDuration: 15 * sec, RenewDeadline: 10 * sec, RetryPeriod: 2 * sec}, 2)
	bound.FollowerRate().Apply(sc, rate)
	scenarios.Default(sc)
	return sc
}

// TestAdversaryRejectsWhatSeedsPass: 15s/10s/2s with followers at 1.251
// (bound 1.25) passes search and verification on random seeds, which
// rarely line up the schedule that overlaps; the worst-case search finds
// it and the pick is rejected. Without the check (AdversaryBudget < 0)
// the same candidate is picked; at 1.249 the check passes it.
func TestAdversaryRejectsWhatSeedsPass(t *testing.T) {
	o := Options{Lease: []time.Duration{15 * sec}, Renew: []time.Duration{10 * sec}, Retry: []time.Duration{2 * sec},
		SearchSeeds: 4, VerifySeeds: 20, Seed: 1, Jobs: 1}
	res, err := Search(context.Background(), partitioned(1.251), o)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Candidates[0]
	if c.Verified == nil || c.Verified.OverlapRuns != 0 {
		t.Fatalf("the seeds were meant to pass the candidate: %+v", c)
	}
	if res.Pick >= 0 || c.Verdict != "adversary" || c.Adversary == nil || c.Adversary.Overlap <= 0 || c.Adversary.Counterexample == nil {
		t.Fatalf("the adversary should reject 15s/10s/2s at rate 1.251: pick %d, %+v, adversary %+v", res.Pick, c, c.Adversary)
	}
	o.AdversaryBudget = -1
	if res, err = Search(context.Background(), partitioned(1.251), o); err != nil || res.Pick != 0 {
		t.Fatalf("without the adversary the seeds pick it: pick %d, err %v", res.Pick, err)
	}
	o.AdversaryBudget = 0
	res, err = Search(context.Background(), partitioned(1.249), o)
	if err != nil || res.Pick != 0 || res.Candidates[0].Adversary == nil || res.Candidates[0].Adversary.Overlap != 0 {
		t.Fatalf("at 1.249 the adversary must pass it: pick %d, err %v, %+v", res.Pick, err, res.Candidates)
	}
}
