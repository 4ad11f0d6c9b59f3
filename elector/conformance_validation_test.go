package elector

import (
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection"
	"pgregory.net/rapid"

	"github.com/lesim/lesim/sim"
)

// Validation is checked against client-go's own NewLeaderElector on random
// timings, so the order and the text of the errors cannot drift.
func TestValidationAgreesWithClientGo(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("a", sim.ClockConfig{})
	env := Env{Clock: n.Clock(), Rand: s.Stream("x")}
	rapid.Check(t, func(t *rapid.T) {
		dur := func(label string) time.Duration {
			return time.Duration(rapid.OneOf(
				rapid.Int64Range(-3, 3),
				rapid.Int64Range(-int64(30*time.Second), int64(30*time.Second)),
				rapid.SampledFrom([]int64{0, int64(time.Second), int64(2 * time.Second), int64(10 * time.Second), int64(12 * time.Second), int64(15 * time.Second)}),
			).Draw(t, label))
		}
		ld, rd, rp := dur("ld"), dur("rd"), dur("rp")
		id := rapid.SampledFrom([]string{"", "a"}).Draw(t, "identity")
		ours := Config{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp, Lock: &testLock{id: id},
			Callbacks: Callbacks{OnStartedLeading: func(*Context) {}, OnStoppedLeading: func() {}}}
		theirs := leaderelection.LeaderElectionConfig{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp,
			Lock: &identityLock{id: id}, Callbacks: leaderelection.LeaderCallbacks{OnStartedLeading: nopStarted, OnStoppedLeading: func() {}}}
		_, errOurs := New(ours, env)
		_, errTheirs := leaderelection.NewLeaderElector(theirs)
		if msg(errOurs) != msg(errTheirs) {
			t.Fatalf("lesim: %q, client-go: %q", msg(errOurs), msg(errTheirs))
		}
	})
}

func msg(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
