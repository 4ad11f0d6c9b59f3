package compare

import (
	"context"
	"math"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/batch"
)

// The paired t interval of differences 1..5: mean 3, s = 1.5811, se =
// 0.7071, t(0.975, 4) = 2.7764: [1.0368, 4.9632], p = 0.0132. A normal
// quantile (1.96) in place of Student's would give [1.614, 4.386].
func TestPairedTAgainstHandComputation(t *testing.T) {
	a := []float64{0, 0, 0, 0, 0}
	b := []float64{1, 2, 3, 4, 5}
	d := Paired("x", a, b, false, Threshold{Absolute: 1})
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"diff", d.Diff, 3}, {"ciLow", d.CILow, 1.0368}, {"ciHigh", d.CIHigh, 4.9632}, {"p", d.P, 0.0132}} {
		if math.Abs(c.got-c.want) > 5e-4 {
			t.Errorf("%s = %.4f, want %.4f", c.name, c.got, c.want)
		}
	}
	if !d.Significant || d.Verdict != Worse || d.BWorse != 5 {
		t.Fatalf("a significant increase of 3 over a threshold of 1 is worse: %+v", d)
	}
	// The same increase under a practical threshold of 4 is not.
	if d := Paired("x", a, b, false, Threshold{Absolute: 4}); d.Verdict != Same {
		t.Fatalf("a difference below the practical threshold judged %s", d.Verdict)
	}
	// Symmetric noise around 0 is not significant.
	if d := Paired("x", []float64{1, 2, 3, 4}, []float64{2, 1, 4, 3}, false, Threshold{}); d.Significant || d.Verdict != Same || d.P != 1 {
		t.Fatalf("noise judged %+v", d)
	}
}

// A tiny but consistent increase in API traffic (+0.0017/s) is
// significant, yet below the practical threshold: not worse.
func TestTinyAPIIncreaseIsNotWorse(t *testing.T) {
	a := []float64{1.50, 1.52, 1.49, 1.51, 1.50}
	b := []float64{1.5017, 1.5217, 1.4917, 1.5117, 1.5017}
	d := Paired("api.requestsPerSecond", a, b, false, DefaultThresholds()["api.requestsPerSecond"])
	if !d.Significant || d.Verdict != Same {
		t.Fatalf("+0.0017 req/s: %+v", d)
	}
}

// McNemar: 10 of 20 runs newly fail: significant (p = 2·0.5^10); 1 of
// 20 is not (p = 1).
func TestRateComparison(t *testing.T) {
	a := make([]float64, 20)
	b := make([]float64, 20)
	for i := range 10 {
		b[i] = 1
	}
	d := Paired("overlap.occurred", a, b, true, Threshold{})
	if d.Test != "McNemar exact" || math.Abs(d.P-2*math.Pow(0.5, 10)) > 1e-12 || d.Diff != 0.5 || d.Verdict != Worse || d.CILow <= 0 {
		t.Fatalf("10 of 20: %+v", d)
	}
	b = make([]float64, 20)
	b[3] = 1
	if d := Paired("overlap.occurred", a, b, true, Threshold{}); d.Significant || d.Verdict != Same || d.P != 1 {
		t.Fatalf("1 of 20: %+v", d)
	}
}

func mustLoad(t *testing.T, path string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mustNamed(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Named(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func withTimings(sc *scenarios.Scenario, ld, rd, rp time.Duration) *scenarios.Scenario {
	sc = sc.Clone()
	sc.Spec.Elector.LeaseDuration = &metav1.Duration{Duration: ld}
	sc.Spec.Elector.RenewDeadline = &metav1.Duration{Duration: rd}
	sc.Spec.Elector.RetryPeriod = &metav1.Duration{Duration: rp}
	return sc
}

// Timings that restore a working leader about 5 s sooner after the
// leader's partition are better, although their leader steps down sooner
// and so leaves a longer handover gap: failover counts from the fault's
// onset. Judged by the gap (from the step-down), they would be worse.
func TestFasterRecoveryIsBetter(t *testing.T) {
	a := mustNamed(t, "leader-partition-drop-requests")
	b := withTimings(a, 10*time.Second, 3*time.Second, 2*time.Second)
	c, _, err := Run(context.Background(), "default", "fast", a, b, batch.Seeds(1, "test", 20), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := c.Get("recovery.maxSeconds")
	if rec.Verdict != Better || rec.CIHigh >= -4 || c.Verdict != Better {
		t.Fatalf("recovery: %+v; verdict %s %v", rec, c.Verdict, c.Reasons)
	}
	if gap, _ := c.Get("handoverGap.maxSeconds"); gap.Verdict != Worse || gap.Judged {
		t.Fatalf("handover gap: %+v", gap)
	}
	t.Logf("recovery.maxSeconds B-A %.2fs [%.2f, %.2f] over %d pairs", rec.Diff, rec.CILow, rec.CIHigh, rec.N)
	// Swapped, the slower config is worse on recovery.
	c, _, err = Run(context.Background(), "fast", "default", b, a, batch.Seeds(1, "test", 20), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := c.Get("recovery.maxSeconds"); rec.Verdict != Worse || c.Verdict != Worse {
		t.Fatalf("slower recovery: %+v (verdict %s)", rec, c.Verdict)
	}
}

// The same configuration on different seeds is noise: nothing is worse.
func TestNoiseIsNotWorse(t *testing.T) {
	for _, name := range []string{"leader-crash", "leader-partition-drop-responses", "slow-api"} {
		sc := mustNamed(t, name)
		ra, err := batch.Run(context.Background(), 2, []*scenarios.Scenario{sc}, batch.Seeds(1, "a", 20))
		if err != nil {
			t.Fatal(err)
		}
		rb, err := batch.Run(context.Background(), 2, []*scenarios.Scenario{sc}, batch.Seeds(1, "b", 20))
		if err != nil {
			t.Fatal(err)
		}
		c := compareRuns("a", "b", ra[0], rb[0], nil)
		if c.Verdict == Worse || c.Verdict == Fails {
			t.Errorf("%s: noise judged %s: %v\n%+v", name, c.Verdict, c.Reasons, c.Diffs)
		}
		if _, err := Compare("a", "b", ra[0], rb[0], nil); err == nil {
			t.Fatal("runs on different seeds compared as pairs")
		}
	}
}

// A side on which nobody leads fails, whatever its other metrics (it
// has no overlap and no failover at all).
func TestNoLeaderSideFails(t *testing.T) {
	good := mustLoad(t, "../testdata/no-leader.yaml")
	good = withTimings(good, 15*time.Second, 10*time.Second, 2*time.Second)
	bad := mustLoad(t, "../testdata/no-leader.yaml")
	seeds := batch.Seeds(1, "test", 5)
	c, _, err := Run(context.Background(), "good", "no-leader", good, bad, seeds, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Verdict != Fails || c.LivenessFailuresB != 5 || c.LivenessFailuresA != 0 {
		t.Fatalf("no leader on B: %s %v", c.Verdict, c.Reasons)
	}
	c, _, err = Run(context.Background(), "no-leader", "good", bad, good, seeds, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Verdict != Better {
		t.Fatalf("B leads where A never does: %s %v", c.Verdict, c.Reasons)
	}
}
