package elector

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/lesim/lesim/sim"
)

// The intent of client-go's TestTryAcquireOrRenewLeases, one attempt at a
// time on the state machine: the attempt's result, the holder it leaves,
// the API calls it makes and the transitions it writes.
func TestTryAcquireOrRenewCases(t *testing.T) {
	past := func(e *Elector) time.Time { return e.env.Clock.Now().Add(-time.Hour) }
	future := func(e *Elector) time.Time { return e.env.Clock.Now().Add(time.Hour) }
	bing := rl.LeaderElectionRecord{HolderIdentity: "bing", LeaseDurationSeconds: 3}
	cases := []struct {
		name         string
		stored       *rl.LeaderElectionRecord
		observed     *rl.LeaderElectionRecord
		observedAt   func(*Elector) time.Time
		matchRaw     bool
		cacheFromGet bool
		wait         time.Duration // a second attempt after this long
		want         bool
		holder       string
		ops          []string
		transitions  int
	}{
		{name: "acquire from no object", want: true, holder: "baz", ops: []string{"get", "create"}},
		{name: "acquire from object without annotations", stored: &rl.LeaderElectionRecord{}, want: true, holder: "baz", ops: []string{"get", "update"}, transitions: 1},
		{name: "acquire from led object with the lease duration seconds", stored: &bing, wait: 3 * time.Second, want: true, holder: "baz", ops: []string{"get", "get", "update"}, transitions: 1},
		{name: "acquire from unled object", stored: &rl.LeaderElectionRecord{HolderIdentity: ""}, want: true, holder: "baz", ops: []string{"get", "update"}, transitions: 1},
		{name: "acquire from led, unacked object", stored: &rl.LeaderElectionRecord{HolderIdentity: "bing"}, observed: &rl.LeaderElectionRecord{HolderIdentity: "bing"}, observedAt: past, matchRaw: true, want: true, holder: "baz", ops: []string{"get", "update"}, transitions: 1},
		{name: "acquire from empty led, acked object", stored: &rl.LeaderElectionRecord{HolderIdentity: ""}, observed: &rl.LeaderElectionRecord{HolderIdentity: ""}, observedAt: future, want: true, holder: "baz", ops: []string{"get", "update"}, transitions: 1},
		{name: "don't acquire from led, acked object", stored: &rl.LeaderElectionRecord{HolderIdentity: "bing", LeaseDurationSeconds: 15}, observed: &rl.LeaderElectionRecord{HolderIdentity: "bing", LeaseDurationSeconds: 15}, observedAt: future, want: false, holder: "bing", ops: []string{"get"}},
		// The fast path fails in the client (nothing cached yet), then
		// Get + Update: two calls, transitions preserved.
		{name: "renew already acquired object", stored: &rl.LeaderElectionRecord{HolderIdentity: "baz", LeaseDurationSeconds: 15}, observed: &rl.LeaderElectionRecord{HolderIdentity: "baz", LeaseDurationSeconds: 15}, observedAt: future, want: true, holder: "baz", ops: []string{"get", "update"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			srv.latency = time.Millisecond
			if c.stored != nil {
				srv.rv = 1
				srv.obj = &stored{rec: *c.stored, rv: 1}
			}
			r := newRun(t, s, srv, "n", opts{id: "baz"})
			e := r.e
			var reported []string
			e.cfg.Callbacks.OnNewLeader = func(id string) { reported = append(reported, id) }
			if c.observed != nil {
				e.observed, e.observedTime = *c.observed, c.observedAt(e)
				if c.matchRaw {
					e.observedRaw = RawOf(c.stored)
				}
			}
			var got bool
			try := func() {
				e.tryAcquireOrRenew(newContext(nil), func(ok bool) { got = ok; e.maybeReportTransition() })
				s.Run()
			}
			try()
			if c.wait > 0 {
				s.RunFor(c.wait)
				try()
			}
			var ops []string
			for _, a := range srv.actions {
				ops = append(ops, a.op)
			}
			if got != c.want || e.GetLeader() != c.holder || !slices.Equal(ops, c.ops) {
				t.Fatalf("got %v holder %q ops %v; want %v %q %v", got, e.GetLeader(), ops, c.want, c.holder, c.ops)
			}
			if c.want && srv.obj.rec.LeaderTransitions != c.transitions {
				t.Fatalf("transitions %d, want %d", srv.obj.rec.LeaderTransitions, c.transitions)
			}
			if len(reported) == 0 || reported[len(reported)-1] != c.holder {
				t.Fatalf("OnNewLeader reported %v, want last %q", reported, c.holder)
			}
		})
	}
}

// client-go's TestFastPathLeaderElection: after acquisition the renewals go
// through the fast path only; a conflicting fast path falls back to Get +
// Update within the same attempt.
func TestFastPathThenSlowPath(t *testing.T) {
	for _, c := range []struct {
		name     string
		conflict int // which update conflicts (0: none)
		want     []string
	}{
		{"fast path after lock acquired", 0, []string{"get", "create", "update", "update"}},
		{"fallback to slow path after fast path fails", 2, []string{"get", "create", "update", "update", "get", "update", "update"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			srv.latency = time.Millisecond
			srv.react = func(_, op string, n int) reaction {
				if op == "update" && n == c.conflict {
					srv.rv++ // someone wrote in between: our cached RV is stale
					srv.obj.rv = srv.rv
				}
				return reaction{}
			}
			r := newRun(t, s, srv, "n", opts{ld: 15 * time.Second, rd: 2 * time.Second, rp: time.Second, id: "baz"})
			r.e.Run()
			for len(srv.actions) < len(c.want) {
				s.Step()
			}
			var ops []string
			for _, a := range srv.actions[:len(c.want)] {
				ops = append(ops, a.op)
			}
			if !slices.Equal(ops, c.want) {
				t.Fatalf("ops %v, want %v", ops, c.want)
			}
		})
	}
}

// client-go's TestReleaseLeaseLeases, TestReleaseMethodCallsGet and
// TestReleaseRetriesOnConflict, for v0.37; the seed's release writes at
// once with the cached resourceVersion and fails on a conflict.
func TestReleaseSemantics(t *testing.T) {
	for _, v := range []Variant{VariantV037, VariantSeed} {
		t.Run(string(v), func(t *testing.T) {
			s := sim.New(1)
			srv := newServer(s)
			srv.latency = time.Millisecond
			conflicted := false
			srv.react = func(_, op string, n int) reaction {
				if op == "update" && n == 1 && !conflicted { // the first release write
					conflicted = true
					srv.rv++
					srv.obj.rv = srv.rv
				}
				return reaction{}
			}
			r := newRun(t, s, srv, "n", opts{id: "baz", variant: v})
			var reported []string
			r.e.cfg.Callbacks.OnNewLeader = func(id string) { reported = append(reported, id) }
			ok := false
			r.e.tryAcquireOrRenew(newContext(nil), func(bool) { r.e.maybeReportTransition() })
			s.Run()
			r.e.release(func() { ok = r.e.GetLeader() == "" })
			s.Run()
			var ops []string
			for _, a := range srv.actions {
				ops = append(ops, a.op)
			}
			if v == VariantV037 {
				// get, create | get, update (conflict), get, update
				if !ok || !slices.Equal(ops, []string{"get", "create", "get", "update", "get", "update"}) || srv.obj.rec.HolderIdentity != "" {
					t.Fatalf("released=%v ops %v holder %q", ok, ops, srv.obj.rec.HolderIdentity)
				}
				if srv.obj.rec.LeaderTransitions != 0 || srv.obj.rec.LeaseDurationSeconds != 1 {
					t.Fatalf("release record %+v", srv.obj.rec)
				}
				r.e.maybeReportTransition()
				s.Run()
				if reported[len(reported)-1] != "" {
					t.Fatalf("OnNewLeader reports %v, want the empty holder last", reported)
				}
			} else if ok || !slices.Equal(ops, []string{"get", "create", "update"}) || srv.obj.rec.HolderIdentity != "baz" {
				t.Fatalf("seed release: released=%v ops %v holder %q; want one conflicting update", ok, ops, srv.obj.rec.HolderIdentity)
			}
		})
	}
}

// The watchdog check of client-go's healthz adaptor.
func TestCheck(t *testing.T) {
	s := sim.New(1)
	srv := newServer(s)
	r := newRun(t, s, srv, "n", opts{ld: time.Minute, rd: 30 * time.Second, rp: time.Second, id: "baz"})
	e := r.e
	now := e.env.Clock.Now()
	for _, c := range []struct {
		holder string
		age    time.Duration
		fail   bool
	}{
		{"baz", time.Hour, true}, {"other", time.Hour, false}, {"baz", 0, false}, {"baz", 61 * time.Second, false},
	} {
		e.observed = rl.LeaderElectionRecord{HolderIdentity: c.holder, RenewTime: metav1.NewTime(now)}
		e.observedTime = now.Add(-c.age)
		if err := e.Check(20 * time.Second); (err != nil) != c.fail {
			t.Fatalf("holder %s age %v: Check = %v", c.holder, c.age, err)
		} else if err != nil && err.Error() != "failed election to renew leadership on lease test" {
			t.Fatalf("Check error text %q", err)
		}
	}
}
