package elector

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/lesim/lesim/sim"
)

const ms = time.Millisecond

var errServer = apierrors.NewInternalError(errors.New("injected"))

// failBetween fails every call sent in [from, to).
func failBetween(s *sim.Sim, from, to time.Duration) func(string, string, int) reaction {
	return func(_, _ string, _ int) reaction {
		if now := s.Now(); now >= from && now < to {
			return reaction{err: errServer}
		}
		return reaction{}
	}
}

func TestValidationMatchesClientGo(t *testing.T) {
	s := sim.New(1)
	n := s.AddNode("a", sim.ClockConfig{})
	lock := &testLock{id: "a"}
	cb := Callbacks{OnStartedLeading: func(*Context) {}, OnStoppedLeading: func() {}}
	env := Env{Clock: n.Clock(), Rand: s.Stream("x")}
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"all zero", Config{}, "leaseDuration must be greater than renewDeadline"},
		{"ld equals rd", Config{LeaseDuration: 10 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: time.Second}, "leaseDuration must be greater than renewDeadline"},
		{"rd equals 1.2 rp", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: 10 * time.Second}, "renewDeadline must be greater than retryPeriod*JitterFactor"},
		{"negative rd", Config{LeaseDuration: time.Second, RenewDeadline: -time.Second, RetryPeriod: -2 * time.Second}, "renewDeadline must be greater than zero"},
		{"zero ld", Config{LeaseDuration: 0, RenewDeadline: -2, RetryPeriod: -10}, "leaseDuration must be greater than zero"},
		{"negative rp", Config{LeaseDuration: 2, RenewDeadline: 1, RetryPeriod: -5}, "retryPeriod must be greater than zero"},
		{"no started", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, Lock: lock}, "OnStartedLeading callback must not be nil"},
		{"no stopped", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, Lock: lock, Callbacks: Callbacks{OnStartedLeading: cb.OnStartedLeading}}, "OnStoppedLeading callback must not be nil"},
		{"no lock", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, Callbacks: cb}, "Lock must not be nil."},
		{"empty identity", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, Callbacks: cb, Lock: &testLock{}}, "Lock identity is empty"},
		{"coordinated seed", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second, Callbacks: cb, Lock: lock, Variant: VariantSeed, Coordinated: true}, `coordinated leader election needs variant "v0.37"`},
		{"valid sub-second", Config{LeaseDuration: 1900 * ms, RenewDeadline: 1500 * ms, RetryPeriod: 400 * ms, Callbacks: cb, Lock: lock}, ""},
		{"valid overlapping", Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 8 * time.Second, Callbacks: cb, Lock: lock}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg, env)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Fatalf("New() error = %q, want %q", got, c.want)
			}
		})
	}
}

// A leader whose calls all fail from 5s on: with RP 2s and RD 10s, the poll
// that starts after the last success tries at +0, +2, +4, +6, +8 and gives
// up at exactly +10 (the attempt that would tick at +10 loses to the
// deadline), cancelling its leading context then.
func TestRenewGivesUpExactlyAtDeadline(t *testing.T) {
	for _, v := range []Variant{VariantV037, VariantSeed} {
		t.Run(string(v), func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			srv.latency = 10 * ms
			srv.react = failBetween(s, 5*time.Second, time.Hour)
			a := newRun(t, s, srv, "a", opts{variant: v})
			a.e.Run()
			s.RunUntil(60 * time.Second)

			// get@0 create@0.01 | renew polls: 0.02, 2.03, 4.04 succeed; 6.05 fails.
			if got, want := srv.sendTimes("a", "create"), secs(0.01); !slices.Equal(got, want) {
				t.Fatalf("create at %v, want %v", got, want)
			}
			updates := srv.sendTimes("a", "update")
			want := secs(0.02, 2.03, 4.04, 6.05, 8.05, 10.05, 12.05, 14.05)
			if v == VariantV037 && len(updates) == len(want)+1 {
				// The tick at 16.05 ties the deadline; see TestTickAtDeadlineIsARace.
				want = append(want, secs(16.05)...)
			}
			if v == VariantSeed {
				// The seed's ticker starts when the first attempt returns
				// (6.07): ticks at 8.07, 10.07, 12.07, 14.07, 16.07 — the
				// last one after the deadline.
				want = secs(0.02, 2.03, 4.04, 6.05, 8.07, 10.07, 12.07, 14.07)
			}
			if !slices.Equal(updates, want) {
				t.Fatalf("updates at %v\nwant          %v", updates, want)
			}
			if want := secs(16.05); !slices.Equal(a.cancelled, want) || !slices.Equal(a.stopped, want) {
				t.Fatalf("leading ctx cancelled at %v, stopped at %v; want both %v", a.cancelled, a.stopped, want)
			}
			if got := strings.Join(a.log, "|"); !strings.HasSuffix(got, "16.05s ctx-cancelled|16.05s stopped") {
				t.Fatalf("callback order: %s", got)
			}
			if a.e.Running() {
				t.Fatal("Run has not returned")
			}
			if !a.e.IsLeader() {
				t.Fatal("IsLeader reflects the last observation and must stay true after API errors")
			}
		})
	}
}

// With RenewDeadline a multiple of RetryPeriod and renewals that fail at
// once, the poll's last tick falls on its deadline. client-go's wait loop
// races the two (the tick wins about half the time on the wall clock and in
// a synctest bubble alike) and then sends one more update, which the
// deadline aborts at once; lesim flips a fair coin from Env.Ties.
// Over 400 seeds the extra update must appear in a share that a fair coin
// explains (two-sided binomial test, n = 400, p = 0.5, level 1e-6), always
// at the deadline, aborted there, with the step-down at that instant.
func TestTickAtDeadlineIsARace(t *testing.T) {
	const n = 400
	heads := 0
	for seed := uint64(1); seed <= n; seed++ {
		s := sim.New(seed)
		srv := newServer(s)
		srv.latency = 10 * ms
		srv.react = failBetween(s, 5*time.Second, time.Hour)
		a := newRun(t, s, srv, "a", opts{})
		a.e.Run()
		s.RunUntil(60 * time.Second)
		updates := srv.sendTimes("a", "update")
		want := secs(0.02, 2.03, 4.04, 6.05, 8.05, 10.05, 12.05, 14.05)
		if len(updates) == len(want)+1 {
			heads++
			want = append(want, secs(16.05)...)
		}
		if !slices.Equal(updates, want) {
			t.Fatalf("seed %d: updates at %v\nwant %v", seed, updates, want)
		}
		if want := secs(16.05); !slices.Equal(a.stopped, want) {
			t.Fatalf("seed %d: stopped at %v, want %v", seed, a.stopped, want)
		}
		if gets := srv.sendTimes("a", "get"); slices.Contains(gets, secs(16.05)[0]) {
			// The aborted fast path falls through to a Get, which the
			// ended context stops before it is sent.
			t.Fatalf("seed %d: a get sent at the deadline: %v", seed, gets)
		}
	}
	if p := binomialTwoSided(heads, n, 0.5); p < 1e-6 {
		t.Fatalf("the tick won %d of %d ties: two-sided binomial p = %.2g against a fair coin", heads, n, p)
	}
}

// binomialTwoSided is the two-sided p-value of k successes in n trials with
// success probability p: twice the smaller tail, capped at 1.
func binomialTwoSided(k, n int, p float64) float64 {
	b := distuv.Binomial{N: float64(n), P: p}
	lower := b.CDF(float64(k))
	upper := 1 - b.CDF(float64(k-1))
	return math.Min(1, 2*math.Min(lower, upper))
}

// The acquire loop waits RP·(1+1.2u) after the end of each failed try.
func TestAcquireJitterWithinBounds(t *testing.T) {
	s := sim.New(7)
	srv := newServer(s)
	srv.latency = 4 * ms
	a := newRun(t, s, srv, "a", opts{})
	b := newRun(t, s, srv, "b", opts{})
	a.e.Run()
	s.RunUntil(time.Second)
	b.e.Run()
	s.RunUntil(10 * time.Minute)
	gets := srv.sendTimes("b", "get")
	if len(gets) < 100 {
		t.Fatalf("follower made only %d tries", len(gets))
	}
	lo, hi := 2*time.Second, time.Duration(2.2*float64(2*time.Second))
	minGap, maxGap := time.Hour, time.Duration(0)
	for i := 1; i < len(gets); i++ {
		gap := gets[i] - gets[i-1] - srv.latency // the wait starts when the try ends
		minGap, maxGap = min(minGap, gap), max(maxGap, gap)
		if gap < lo || gap >= hi {
			t.Fatalf("wait %v outside [%v, %v)", gap, lo, hi)
		}
	}
	// The draws must actually spread over the window.
	if maxGap-minGap < 2*time.Second {
		t.Fatalf("jitter spread only %v..%v", minGap, maxGap)
	}
	if len(b.started) != 0 {
		t.Fatal("follower took a lease that was renewed all along")
	}
}

// A follower takes over no earlier than LeaseDuration on its own clock after
// it last saw the record change, and no later than one jittered wait after.
func TestTakeoverAfterLeaseDurationOnFollowerClock(t *testing.T) {
	for _, rate := range []float64{1, 1.25, 0.8} {
		s := sim.New(3)
		srv := newServer(s)
		srv.latency = 2 * ms
		a := newRun(t, s, srv, "a", opts{})
		b := newRun(t, s, srv, "b", opts{rate: rate})
		a.e.Run()
		s.RunUntil(500 * ms)
		b.e.Run()
		s.RunUntil(30 * time.Second)
		a.node.Crash()
		crash := s.Now()
		s.RunUntil(2 * time.Minute)
		if len(b.started) != 1 {
			t.Fatalf("rate %v: follower started %d times", rate, len(b.started))
		}
		// The last change b could see is a's last renewal before the crash.
		var lastWrite time.Duration
		for _, act := range srv.actions {
			if act.who == "a" && act.op == "update" && act.err == nil {
				lastWrite = act.applied
			}
		}
		if crash-lastWrite > 2*time.Second+10*ms {
			t.Fatalf("bad setup: last write %v, crash %v", lastWrite, crash)
		}
		earliest := lastWrite + time.Duration(15*float64(time.Second)/rate)
		latest := lastWrite + time.Duration((15+2*4.4)*float64(time.Second)/rate) + 10*ms
		if got := b.started[0]; got < earliest || got > latest {
			t.Fatalf("rate %v: takeover at %v, want in [%v, %v]", rate, got, earliest, latest)
		}
	}
}

// Stop ordering, renew giving up on its own: the release write is applied
// while the leading context is still live; the context is cancelled after,
// and OnStoppedLeading comes last.
func TestStopOrderingRenewFailureReleasesFirst(t *testing.T) {
	s := sim.New(1)
	srv := newServer(s)
	srv.latency = 10 * ms
	srv.react = failBetween(s, 5*time.Second, 16*time.Second)
	a := newRun(t, s, srv, "a", opts{release: true})
	a.e.Run()
	s.RunUntil(30 * time.Second)
	var rel *action
	for i := range srv.actions {
		if act := &srv.actions[i]; act.op == "update" && act.err == nil && act.hold == "" {
			rel = act
		}
	}
	if rel == nil {
		t.Fatalf("no release write; actions %+v", srv.actions)
	}
	if len(a.cancelled) != 1 || !(rel.applied < a.cancelled[0]) {
		t.Fatalf("release applied at %v, leading ctx cancelled at %v: release must come first", rel.applied, a.cancelled)
	}
	// Renew fails at 16.05; release Get 16.05–16.06, Update 16.06–16.07.
	if want := secs(16.07); !slices.Equal(a.cancelled, want) || !slices.Equal(a.stopped, want) {
		t.Fatalf("cancelled %v stopped %v, want %v", a.cancelled, a.stopped, want)
	}
	if got := strings.Join(a.log, "|"); !strings.HasSuffix(got, "ctx-cancelled|16.07s stopped") {
		t.Fatalf("callback order %s", got)
	}
}

// Stop ordering, caller cancels: the leading context is cancelled at once,
// the release follows, OnStoppedLeading comes last.
func TestStopOrderingCallerCancelCancelsFirst(t *testing.T) {
	for _, v := range []Variant{VariantV037, VariantSeed} {
		t.Run(string(v), func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			srv.latency = 10 * ms
			a := newRun(t, s, srv, "a", opts{release: true, variant: v})
			a.e.Run()
			s.RunUntil(7 * time.Second)
			a.e.Stop()
			s.RunUntil(30 * time.Second)
			if want := secs(7); !slices.Equal(a.cancelled, want) {
				t.Fatalf("leading ctx cancelled at %v, want %v", a.cancelled, want)
			}
			last := srv.actions[len(srv.actions)-1]
			if last.op != "update" || last.hold != "" || last.err != nil {
				t.Fatalf("last action %+v is not the release", last)
			}
			// v0.37 reads first (7.00–7.01) then writes (7.01–7.02); the
			// seed writes at once (7.00–7.01).
			wantStop := secs(7.02)
			if v == VariantSeed {
				wantStop = secs(7.01)
			}
			if !(last.applied > a.cancelled[0]) || !slices.Equal(a.stopped, wantStop) {
				t.Fatalf("release applied %v stopped %v, want after %v and stopped %v", last.applied, a.stopped, a.cancelled, wantStop)
			}
			if got := srv.obj.rec; got.HolderIdentity != "" || got.LeaseDurationSeconds != 1 {
				t.Fatalf("released record %+v", got)
			}
		})
	}
}

// A renewal still in flight at the deadline is abandoned: the leader stops
// at the deadline while the server applies the write later.
func TestInflightRenewalAbandonedAtDeadline(t *testing.T) {
	s := sim.New(1)
	srv := newServer(s)
	srv.latency = 10 * ms
	srv.react = func(who, op string, n int) reaction {
		if op == "update" && s.Now() >= 5*time.Second {
			return reaction{latency: 24 * time.Second} // applies 12s after sending
		}
		return reaction{}
	}
	a := newRun(t, s, srv, "a", opts{})
	a.e.Run()
	s.RunUntil(60 * time.Second)
	if want := secs(16.05); !slices.Equal(a.stopped, want) {
		t.Fatalf("stopped %v, want %v", a.stopped, want)
	}
	var late *action
	for i := range srv.actions {
		if act := &srv.actions[i]; act.op == "update" && act.at == 6050*ms {
			late = act
		}
	}
	if late == nil || late.err != nil || late.applied != 18050*ms {
		t.Fatalf("in-flight renewal: %+v, want applied at 18.05s after the leader stopped", late)
	}
}

// A node whose clock runs at rate r sees its periods scaled by 1/r.
func TestClockRateScalesPeriods(t *testing.T) {
	for _, rate := range []float64{2, 0.5} {
		s := sim.New(1)
		srv := newServer(s)
		a := newRun(t, s, srv, "a", opts{rate: rate})
		a.e.Run()
		s.RunUntil(20 * time.Second)
		ups := srv.sendTimes("a", "update")
		gap := time.Duration(float64(2*time.Second) / rate)
		for i := 2; i < len(ups); i++ {
			if d := ups[i] - ups[i-1]; d != gap {
				t.Fatalf("rate %v: renewal gap %v, want %v", rate, d, gap)
			}
		}
	}
}

// The two polls differ after an overrun (spec §5.3/§5.4): RP 100ms, a first
// attempt that takes 250ms.
func TestPollScheduleAfterOverrun(t *testing.T) {
	for _, c := range []struct {
		v    Variant
		want []time.Duration
	}{
		{VariantV037, []time.Duration{0, 250 * ms, 300 * ms, 400 * ms, 500 * ms}},
		{VariantSeed, []time.Duration{0, 350 * ms, 450 * ms, 550 * ms, 650 * ms}},
	} {
		t.Run(string(c.v), func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			var pollStart time.Duration
			srv.react = func(who, op string, n int) reaction {
				if pollStart == 0 && op == "update" && n == 1 {
					return reaction{} // the renewal right after acquisition
				}
				if op == "update" && n == 2 {
					pollStart = s.Now()
					return reaction{latency: 250 * ms, err: errServer}
				}
				if pollStart > 0 {
					return reaction{err: errServer}
				}
				return reaction{}
			}
			a := newRun(t, s, srv, "a", opts{ld: 2 * time.Second, rd: time.Second, rp: 100 * ms, variant: c.v})
			a.e.Run()
			s.RunUntil(pollStart + 700*ms + time.Second)
			var got []time.Duration
			for _, at := range srv.sendTimes("a", "update") {
				if at >= pollStart && len(got) < len(c.want) {
					got = append(got, at-pollStart)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("attempts at %v, want %v", got, c.want)
			}
		})
	}
}

func TestRunStartsAndStopsOnce(t *testing.T) {
	s := sim.New(1)
	srv := newServer(s)
	a := newRun(t, s, srv, "a", opts{})
	a.e.Stop() // cancelled before Run: Run returns at once
	a.e.Run()
	s.RunUntil(time.Minute)
	if len(a.stopped) != 1 || len(a.started) != 0 || len(srv.actions) != 0 {
		t.Fatalf("stopped %v started %v actions %d", a.stopped, a.started, len(srv.actions))
	}
}
