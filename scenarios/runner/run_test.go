package runner

import (
	"runtime"
	"testing"
	"time"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

func mustNamed(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Named(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mustRun(t *testing.T, sc *scenarios.Scenario, opts RunOptions) *check.Result {
	t.Helper()
	res, err := RunWith(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Invariants every run must keep, whatever its faults.
	for i, iv := range res.Leadership {
		if iv.Start > iv.End || iv.Cancelled < iv.Start || iv.Cancelled > iv.End {
			t.Fatalf("interval %d malformed: %+v", i, iv)
		}
	}
	if res.StoppedLeadingCalls != res.RunsEnded {
		t.Fatalf("OnStoppedLeading called %d times for %d ended runs", res.StoppedLeadingCalls, res.RunsEnded)
	}
	return res
}

func TestRunIsDeterministic(t *testing.T) {
	for _, name := range []string{"default", "conflict-storm", "stale-reads", "gc-pause-leader"} {
		sc := mustNamed(t, name)
		prev := runtime.GOMAXPROCS(1)
		a := mustRun(t, sc, RunOptions{KeepTrace: true})
		runtime.GOMAXPROCS(8)
		b := mustRun(t, sc, RunOptions{KeepTrace: true})
		runtime.GOMAXPROCS(prev)
		c := mustRun(t, sc, RunOptions{})
		if a.TraceHash != b.TraceHash || a.TraceHash != c.TraceHash {
			t.Fatalf("%s: trace hashes differ: %s %s %s", name, a.TraceHash, b.TraceHash, c.TraceHash)
		}
		if i := check.FirstDivergence(a.Trace, b.Trace); i >= 0 {
			t.Fatalf("%s: traces diverge at event %d", name, i)
		}
		seed := sc.Seed() + 1
		d := mustRun(t, sc, RunOptions{Seed: &seed})
		if d.TraceHash == a.TraceHash {
			t.Fatalf("%s: another seed gave the same trace", name)
		}
	}
}

func TestHealthyHasOneLeaderAndNoOverlap(t *testing.T) {
	res := mustRun(t, mustNamed(t, "healthy"), RunOptions{})
	if len(res.Leadership) != 1 {
		t.Fatalf("leadership %+v", res.Leadership)
	}
	// Leaderless only until the first acquisition.
	if res.Overlap.Total != 0 || res.Leaderless.Total != res.Liveness.TimeToFirstLeader || res.Transitions != 0 {
		t.Fatalf("overlap %v leaderless %v transitions %d", res.Overlap.Total, res.Leaderless.Total, res.Transitions)
	}
	if res.Leadership[0].Start > time.Second {
		t.Fatalf("first leader only at %v", res.Leadership[0].Start)
	}
}

func TestLeaderCrashFailsOverWithinLeaseBounds(t *testing.T) {
	res := mustRun(t, mustNamed(t, "leader-crash"), RunOptions{})
	if len(res.Failovers) == 0 {
		t.Fatalf("no failover: %+v", res.Leadership)
	}
	f := res.Failovers[0]
	// Takeover waits a full lease after the last renewal the follower saw:
	// at least LD - (RP + latency) after the crash, at most LD + 2·2.2·RP.
	if f.Cause != "crash" || f.Recovery < 15*time.Second-3*time.Second || f.Recovery > 15*time.Second+9*time.Second {
		t.Fatalf("failover %+v", f)
	}
	if res.Overlap.Total != 0 {
		t.Fatalf("overlap %v after a crash", res.Overlap.Total)
	}
}

func TestLibraryExpectationsHold(t *testing.T) {
	for _, e := range scenarios.Library() {
		t.Run(e.Name, func(t *testing.T) {
			res := mustRun(t, mustNamed(t, e.Name), RunOptions{})
			if !res.Expect.Passed {
				t.Fatalf("expectations violated: %v", res.Expect.Violations)
			}
		})
	}
}

// ExpectSet follows the scenario: a library scenario writes spec.expect, a
// bare one does not (and is still judged on requireLeader's default).
func TestExpectSetFollowsTheScenario(t *testing.T) {
	sc, err := scenarios.Named("healthy")
	if err != nil {
		t.Fatal(err)
	}
	if res := mustRun(t, sc, RunOptions{}); !res.ExpectSet {
		t.Fatalf("healthy writes spec.expect, ExpectSet false")
	}
	sc.Spec.Expect = scenarios.Expect{}
	if res := mustRun(t, sc, RunOptions{}); res.ExpectSet || !res.Expect.Passed {
		t.Fatalf("without spec.expect: ExpectSet %v, expect %+v", res.ExpectSet, res.Expect)
	}
}
