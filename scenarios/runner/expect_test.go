package runner

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/scenarios"
)

// The environment in which nobody can lead: LD 8s, RD 2s, RP 1s and 500 ms
// each way, so a round trip (1 s) never fits in the request timeout
// max(1s, RD/2) = 1 s. It must fail by default, and fail maxLeaderless.
func TestNoLeaderRunFails(t *testing.T) {
	sc, err := scenarios.Load("../testdata/no-leader.yaml")
	if err != nil {
		t.Fatal(err)
	}
	thirty := metav1.Duration{Duration: 30 * time.Second}
	sc.Spec.Expect.MaxLeaderless = &thirty
	res := mustRun(t, sc, RunOptions{})
	if !res.Liveness.NeverLed || len(res.Leadership) != 0 {
		t.Fatalf("somebody led: %+v", res.Leadership)
	}
	if res.Leaderless.Max != res.Duration || res.Expect.Passed || len(res.Expect.Violations) != 2 {
		t.Fatalf("leaderless %+v, expect %+v", res.Leaderless, res.Expect)
	}
}
