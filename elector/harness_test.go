package elector

import (
	"fmt"
	"math"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/lesim/lesim/sim"
)

// The tests drive the elector on the real kernel against a small scripted
// lease server: resourceVersion compare-and-swap, per-call latency, and a
// reactor hook that can fail, hang or delay any call — the role client-go's
// fake clientset reactors play in its own tests.

var leaseGR = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}

type stored struct {
	rec rl.LeaderElectionRecord
	rv  int
}

type action struct {
	at      time.Duration // true time the call was sent
	applied time.Duration // true time the server handled it
	who     string
	op      string
	rv      int // rv sent (update) or returned (get)
	err     error
	hold    string // holder written or read
}

// reaction decides a call's fate at the server.
type reaction struct {
	err     error         // fail with this error instead of applying
	hang    bool          // never answer (the call hangs until aborted)
	dropAck bool          // apply, but never answer
	latency time.Duration // override of the round-trip latency (split evenly)
}

type server struct {
	s       *sim.Sim
	obj     *stored
	rv      int
	latency time.Duration // round trip; the write applies at half of it
	react   func(who, op string, n int) reaction
	counts  map[string]int
	actions []action
}

func newServer(s *sim.Sim) *server {
	return &server{s: s, counts: map[string]int{}}
}

type testLock struct {
	srv        *server
	node       *sim.Node
	id         string
	cache      *stored // nil before any call, as LeaseLock's cache
	emptyCache bool
	events     []string
}

type testCall struct {
	done    bool
	cb      func(error)
	aborted bool
}

func (c *testCall) Abort(err error) {
	if c.done {
		return
	}
	c.done, c.aborted = true, true
	c.cb(err)
}

func (l *testLock) Identity() string     { return l.id }
func (l *testLock) Describe() string     { return "ns/lease" }
func (l *testLock) RecordEvent(s string) { l.events = append(l.events, l.id+" "+s) }

// send models one call: apply at half latency, answer at full latency, as
// node events of the caller.
func (l *testLock) send(op string, apply func() (any, error), deliver func(any, error)) *testCall {
	srv := l.srv
	n := srv.counts[op] + 1
	srv.counts[op] = n
	r := reaction{latency: srv.latency}
	if srv.react != nil {
		rr := srv.react(l.id, op, n)
		if rr.latency == 0 {
			rr.latency = srv.latency
		}
		r = rr
	}
	call := &testCall{}
	sent := srv.s.Now()
	call.cb = func(err error) { deliver(nil, err) }
	srv.s.After(r.latency/2, func() {
		if r.hang {
			srv.actions = append(srv.actions, action{at: sent, who: l.id, op: op, err: fmt.Errorf("hung")})
			return
		}
		var res any
		err := r.err
		if err == nil {
			res, err = apply()
		}
		a := action{at: sent, applied: srv.s.Now(), who: l.id, op: op, err: err}
		if srv.obj != nil {
			a.rv, a.hold = srv.obj.rv, srv.obj.rec.HolderIdentity
		}
		srv.actions = append(srv.actions, a)
		if r.dropAck {
			return
		}
		l.node.After(r.latency-r.latency/2, func() {
			if call.done {
				return
			}
			call.done = true
			deliver(res, err)
		})
	})
	return call
}

func (l *testLock) Get(done func(*rl.LeaderElectionRecord, RawRecord, error)) (Call, error) {
	return l.send("get", func() (any, error) {
		if l.srv.obj == nil {
			return nil, apierrors.NewNotFound(leaseGR, "lease")
		}
		c := *l.srv.obj
		return &c, nil
	}, func(res any, err error) {
		if err != nil {
			done(nil, RawRecord{}, err)
			return
		}
		st := res.(*stored)
		l.cache, l.emptyCache = st, false
		rec := st.rec
		done(&rec, RawOf(&rec), nil)
	}), nil
}

func (l *testLock) Create(rec rl.LeaderElectionRecord, done func(error)) (Call, error) {
	return l.send("create", func() (any, error) {
		if l.srv.obj != nil {
			return nil, apierrors.NewAlreadyExists(leaseGR, "lease")
		}
		l.srv.rv++
		l.srv.obj = &stored{rec: rec, rv: l.srv.rv}
		c := *l.srv.obj
		return &c, nil
	}, func(res any, err error) {
		if err != nil {
			l.cache, l.emptyCache = nil, true
			done(err)
			return
		}
		l.cache = res.(*stored)
		done(nil)
	}), nil
}

func (l *testLock) Update(rec rl.LeaderElectionRecord, done func(error)) (Call, error) {
	if l.cache == nil {
		if l.emptyCache {
			return nil, fmt.Errorf("resource name may not be empty")
		}
		return nil, fmt.Errorf("lease not initialized, call get or create first")
	}
	rv := l.cache.rv
	return l.send("update", func() (any, error) {
		if l.srv.obj == nil {
			return nil, apierrors.NewNotFound(leaseGR, "lease")
		}
		if l.srv.obj.rv != rv {
			return nil, apierrors.NewConflict(leaseGR, "lease", fmt.Errorf("the object has been modified"))
		}
		l.srv.rv++
		l.srv.obj = &stored{rec: rec, rv: l.srv.rv}
		c := *l.srv.obj
		return &c, nil
	}, func(res any, err error) {
		if err != nil {
			done(err)
			return
		}
		l.cache = res.(*stored)
		done(nil)
	}), nil
}

// run is one elector on its own node with recorded callbacks.
type run struct {
	t         *testing.T
	node      *sim.Node
	lock      *testLock
	e         *Elector
	log       []string // callback log with true times
	leadCtx   *Context
	started   []time.Duration
	stopped   []time.Duration
	cancelled []time.Duration
	events    []Event
}

type opts struct {
	ld, rd, rp time.Duration
	rate       float64
	variant    Variant
	release    bool
	id         string
}

func defaults(o opts) opts {
	if o.ld == 0 {
		o.ld, o.rd, o.rp = 15*time.Second, 10*time.Second, 2*time.Second
	}
	if o.variant == "" {
		o.variant = VariantV037
	}
	return o
}

func newRun(t *testing.T, s *sim.Sim, srv *server, name string, o opts) *run {
	t.Helper()
	o = defaults(o)
	n := s.AddNode(name, sim.ClockConfig{Rate: o.rate})
	id := o.id
	if id == "" {
		id = name
	}
	r := &run{t: t, node: n, lock: &testLock{srv: srv, node: n, id: id}}
	cfg := Config{
		Lock: r.lock, LeaseDuration: o.ld, RenewDeadline: o.rd, RetryPeriod: o.rp,
		ReleaseOnCancel: o.release, Name: "test", Variant: o.variant,
		Callbacks: Callbacks{
			OnStartedLeading: func(ctx *Context) {
				r.leadCtx = ctx
				r.started = append(r.started, s.Now())
				r.log = append(r.log, fmt.Sprintf("%v started", s.Now()))
				ctx.AfterDone(func() {
					r.cancelled = append(r.cancelled, s.Now())
					r.log = append(r.log, fmt.Sprintf("%v ctx-cancelled", s.Now()))
				})
			},
			OnStoppedLeading: func() {
				r.stopped = append(r.stopped, s.Now())
				r.log = append(r.log, fmt.Sprintf("%v stopped", s.Now()))
			},
		},
		Trace: func(ev Event) { r.events = append(r.events, ev) },
	}
	e, err := New(cfg, Env{Clock: n.Clock(), Rand: s.Stream("node/" + name + "/jitter")})
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r
}

// sendTimes lists the true times at which this run sent calls of op.
func (srv *server) sendTimes(who, op string) []time.Duration {
	var out []time.Duration
	for _, a := range srv.actions {
		if a.who == who && a.op == op {
			out = append(out, a.at)
		}
	}
	return out
}

func secs(ds ...float64) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(math.Round(d * float64(time.Second)))
	}
	return out
}
