package fakeapi

import (
	"context"
	"errors"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

const ms = time.Millisecond

// fixture is a server with fixed 10ms request / 20ms response latency unless
// the test's config says otherwise.
type fixture struct {
	t     *testing.T
	s     *sim.Sim
	srv   *Server
	nodes map[string]*sim.Node
}

func newFixture(t *testing.T, cfg Config, nodes ...string) *fixture {
	t.Helper()
	if cfg.RequestLatency == (Distribution{}) {
		cfg.RequestLatency = Fixed(10 * ms)
	}
	if cfg.ResponseLatency == (Distribution{}) {
		cfg.ResponseLatency = Fixed(20 * ms)
	}
	cfg.RecordHistory = true
	s := sim.New(1)
	f := &fixture{t: t, s: s, srv: NewServer(s, cfg), nodes: map[string]*sim.Node{}}
	for _, n := range nodes {
		f.nodes[n] = s.AddNode(n, sim.ClockConfig{})
	}
	return f
}

func (f *fixture) client(n string) *Client { return f.srv.Client(f.nodes[n]) }

// result captures what done received and when.
type result struct {
	calls int
	at    time.Duration
	resp  Response
}

// do sends req from node n at true time at and returns where the outcome
// will land.
func (f *fixture) do(at time.Duration, n string, req Request, timeout time.Duration) *result {
	res := &result{}
	f.s.Schedule(at, func() {
		synchronous := true
		f.client(n).Do(req, timeout, func(r Response) {
			if synchronous {
				f.t.Errorf("done ran inside Do for %v", req.Op)
			}
			res.calls++
			res.at = f.s.Now()
			res.resp = r
		})
		synchronous = false
	})
	return res
}

func (f *fixture) only(t *testing.T) Record {
	t.Helper()
	h := f.srv.History()
	if len(h) == 0 {
		t.Fatal("empty history")
	}
	return h[len(h)-1]
}

func get(name string) Request { return Request{Op: OpGet, Namespace: "ns", Name: name} }
func create(l *coordinationv1.Lease) Request {
	return Request{Op: OpCreate, Namespace: l.Namespace, Name: l.Name, Lease: l}
}
func update(l *coordinationv1.Lease) Request {
	return Request{Op: OpUpdate, Namespace: l.Namespace, Name: l.Name, Lease: l}
}

func TestRoundTripTiming(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	body := newLease("ns", "x", "a")
	res := f.do(5*ms, "a", create(body), time.Second)
	// The caller may change its object right after sending.
	f.s.Schedule(6*ms, func() { *body.Spec.HolderIdentity = "changed" })
	f.s.Run()
	if res.calls != 1 || res.at != 35*ms || res.resp.Err != nil {
		t.Fatalf("done ran %d times at %v with %v; want once at 35ms", res.calls, res.at, res.resp.Err)
	}
	if h := *res.resp.Lease.Spec.HolderIdentity; h != "a" || res.resp.Lease.ResourceVersion != "1" {
		t.Fatalf("response holder %q rv %s", h, res.resp.Lease.ResourceVersion)
	}
	r := f.only(t)
	if r.Invoke != 5*ms || r.Apply != 15*ms || r.Return != 35*ms || r.Client != ClientReturned || r.Server != ServerApplied || r.RV != 1 || r.Holder != "a" || r.ReqHolder != "a" {
		t.Fatalf("record %s", r.String())
	}
	if r.Outcome() != "ok" {
		t.Fatalf("outcome %q", r.Outcome())
	}
	// The response is the receiver's: changing it does not reach the store.
	*res.resp.Lease.Spec.HolderIdentity = "mine"
	if holderOf(f.srv.Store().Peek("ns", "x")) != "a" {
		t.Fatal("response aliases the store")
	}
}

func TestDropResponsesLandsWrite(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	f.srv.SetPartition("a", PartitionDropResponses)
	res := f.do(0, "a", create(newLease("ns", "x", "a")), 100*ms)
	f.s.Run()
	if res.calls != 1 || res.at != 100*ms || !IsClientTimeout(res.resp.Err) || !errors.Is(res.resp.Err, context.DeadlineExceeded) {
		t.Fatalf("done %d times at %v with %v; want a client timeout at 100ms", res.calls, res.at, res.resp.Err)
	}
	if f.srv.Store().Peek("ns", "x") == nil {
		t.Fatal("the write did not land")
	}
	r := f.only(t)
	if !r.ResponseLost || r.Client != ClientTimedOut || r.Server != ServerApplied || r.Apply != 10*ms || !r.Landed() {
		t.Fatalf("record %s", r.String())
	}
	if r.AppliedAfterGiveUp() {
		t.Fatal("applied before the timeout, yet reported as after")
	}
}

func TestDropRequestsLeavesStore(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	f.srv.SetPartition("a", PartitionDropRequests)
	res := f.do(0, "a", create(newLease("ns", "x", "a")), 100*ms)
	hang := f.do(0, "a", get("x"), 0) // no timeout: hangs for ever
	f.s.Run()
	if res.calls != 1 || !IsClientTimeout(res.resp.Err) || res.at != 100*ms {
		t.Fatalf("got %+v", res)
	}
	if hang.calls != 0 {
		t.Fatal("a dropped request without timeout got an answer")
	}
	if f.srv.Store().Len() != 0 || f.srv.Store().ResourceVersion() != 0 {
		t.Fatal("a dropped request reached the store")
	}
	h := f.srv.History()
	if h[0].Server != ServerDropped || h[1].Client != ClientPending || h[1].Outcome() != "dropped" {
		t.Fatalf("records %s / %s", h[0].String(), h[1].String())
	}
	// Healing lets later requests through.
	f.srv.ClearPartition("a")
	ok := f.do(f.s.Now(), "a", create(newLease("ns", "x", "a")), 100*ms)
	f.s.Run()
	if ok.resp.Err != nil {
		t.Fatal(ok.resp.Err)
	}
}

func TestRefuseFailsFast(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	f.srv.SetPartition("a", PartitionRefuse)
	res := f.do(0, "a", create(newLease("ns", "x", "a")), time.Second)
	f.s.Run()
	if res.calls != 1 || res.at != 10*ms || !errors.Is(res.resp.Err, syscall.ECONNREFUSED) || !IsConnectionRefused(res.resp.Err) {
		t.Fatalf("got %d calls at %v: %v; want refused after the request leg (10ms)", res.calls, res.at, res.resp.Err)
	}
	if f.srv.Store().Len() != 0 {
		t.Fatal("a refused request reached the store")
	}
	if r := f.only(t); r.Client != ClientRefused || r.Server != ServerRefused {
		t.Fatalf("record %s", r.String())
	}
	// Even with zero latency done is an event, not a call inside Do.
	g := newFixture(t, Config{RequestLatency: Fixed(0), ResponseLatency: Fixed(0)}, "a")
	g.srv.SetPartition("a", PartitionRefuse)
	r0 := g.do(0, "a", get("x"), 0)
	g.s.Run()
	if r0.calls != 1 || r0.at != 0 {
		t.Fatalf("zero-latency refusal: %+v", r0)
	}
}

func TestOutages(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	must(t, f.srv.ScheduleWindow(Window{At: 100 * ms, Duration: 100 * ms, Fault: OutageFault{Mode: OutageRefuse}}))
	must(t, f.srv.ScheduleWindow(Window{At: 300 * ms, Duration: 100 * ms, Fault: OutageFault{Mode: OutageHang}}))
	before := f.do(0, "a", create(newLease("ns", "x", "a")), time.Second)
	refused := f.do(120*ms, "a", get("x"), time.Second)
	// Sent just before the outage, arrives during it.
	arrivesDuring := f.do(95*ms, "a", get("x"), time.Second)
	hung := f.do(320*ms, "a", update(withRV(newLease("ns", "x", "b"), "1")), 200*ms)
	after := f.do(450*ms, "a", get("x"), time.Second)
	f.s.Run()
	if before.resp.Err != nil || after.resp.Err != nil {
		t.Fatalf("outside the outage: %v / %v", before.resp.Err, after.resp.Err)
	}
	if !IsConnectionRefused(refused.resp.Err) || refused.at != 150*ms {
		t.Fatalf("refusing outage: %v at %v, want refused at 150ms (request + response latency)", refused.resp.Err, refused.at)
	}
	if !IsConnectionRefused(arrivesDuring.resp.Err) {
		t.Fatalf("a request arriving during the outage: %v", arrivesDuring.resp.Err)
	}
	if !IsClientTimeout(hung.resp.Err) || hung.at != 520*ms {
		t.Fatalf("hanging outage: %v at %v", hung.resp.Err, hung.at)
	}
	if holderOf(f.srv.Store().Peek("ns", "x")) != "a" || f.srv.Outage() != OutageNone {
		t.Fatal("the hung update reached the store, or the outage did not end")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTimeoutOnSkewedClock: a node whose clock runs at twice the true rate
// sees its 1s timeout pass after 0.5s of true time; the slow request is
// applied later anyway and the history says so.
func TestTimeoutOnSkewedClock(t *testing.T) {
	f := newFixture(t, Config{NodeLatency: map[string]NodeLatency{"fast": {Request: ptr(Fixed(2 * time.Second))}}}, "a")
	fast := f.s.AddNode("fast", sim.ClockConfig{Rate: 2, Offset: time.Hour})
	f.nodes["fast"] = fast
	res := f.do(100*ms, "fast", create(newLease("ns", "x", "fast")), time.Second)
	f.s.Run()
	if res.calls != 1 || res.at != 600*ms || !IsClientTimeout(res.resp.Err) {
		t.Fatalf("done %d times at %v (%v); want a timeout at 600ms true time", res.calls, res.at, res.resp.Err)
	}
	r := f.only(t)
	if r.Return != 600*ms || r.Apply != 2100*ms || !r.AppliedAfterGiveUp() || r.Outcome() != "timed-out+applied-after-client-gave-up" {
		t.Fatalf("record %s", r.String())
	}
	if f.srv.Store().Peek("ns", "x") == nil {
		t.Fatal("the late write did not land")
	}
}

func ptr[T any](v T) *T { return &v }

func TestAbort(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	var call *Call
	var got []Response
	var inside bool
	f.s.Schedule(0, func() {
		call = f.client("a").Do(create(newLease("ns", "x", "a")), time.Second, func(r Response) {
			if !inside {
				t.Error("done did not run synchronously inside Abort")
			}
			got = append(got, r)
		})
	})
	f.s.Schedule(5*ms, func() {
		inside = true
		call.Abort(context.Canceled)
		inside = false
		call.Abort(errors.New("again")) // no-op
	})
	f.s.Run()
	if len(got) != 1 || !errors.Is(got[0].Err, context.Canceled) || !call.Done() {
		t.Fatalf("done got %v", got)
	}
	r := f.only(t)
	if r.Client != ClientAborted || r.Return != 5*ms || r.Apply != 10*ms || !r.AppliedAfterGiveUp() {
		t.Fatalf("record %s", r.String())
	}
	// Abort after a normal completion is a no-op.
	res := f.do(f.s.Now(), "a", get("x"), time.Second)
	f.s.Run()
	if res.calls != 1 || res.resp.Err != nil {
		t.Fatal(res.resp.Err)
	}
}

func TestAbortAfterDoneIsNoop(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	var call *Call
	n := 0
	f.s.Schedule(0, func() {
		call = f.client("a").Do(get("x"), time.Second, func(Response) { n++ })
	})
	f.s.Run()
	call.Abort(context.Canceled)
	if r := f.only(t); n != 1 || r.Client != ClientReturned {
		t.Fatalf("done ran %d times; record %s", n, r.String())
	}
}

func TestPausedNodeGetsResponseAtResume(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	res := f.do(0, "a", get("x"), time.Second)
	f.s.Schedule(5*ms, f.nodes["a"].Pause)
	f.s.Schedule(100*ms, f.nodes["a"].Resume)
	f.s.Run()
	if res.calls != 1 || res.at != 100*ms || !apierrors.IsNotFound(res.resp.Err) {
		t.Fatalf("done %d times at %v: %v; want NotFound at resume (100ms)", res.calls, res.at, res.resp.Err)
	}
}

func TestCrashedNodeNeverGetsDone(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	// Both requests are on the wire when the process crashes.
	early := f.do(0, "a", create(newLease("ns", "x", "a")), 50*ms)
	late := f.do(0, "a", get("y"), 50*ms)
	f.s.Schedule(5*ms, f.nodes["a"].Crash)
	f.s.Schedule(7*ms, f.nodes["a"].Restart)
	f.s.Run()
	if early.calls != 0 || late.calls != 0 {
		t.Fatal("a crashed process got its done")
	}
	if f.srv.Store().Peek("ns", "x") == nil {
		t.Fatal("the request on the wire should still land")
	}
	for _, r := range f.srv.History() {
		if r.Client != ClientGone || r.Server != ServerApplied {
			t.Fatalf("record %s", r.String())
		}
	}
	// The restarted process works normally with the same client.
	res := f.do(f.s.Now(), "a", get("x"), 50*ms)
	f.s.Run()
	if res.calls != 1 || res.resp.Err != nil {
		t.Fatal(res.resp.Err)
	}
	// A crash after the response was scheduled also drops it.
	g := newFixture(t, Config{}, "a")
	r2 := g.do(0, "a", get("x"), 0)
	g.s.Schedule(15*ms, g.nodes["a"].Crash)
	g.s.Run()
	if r := g.only(t); r2.calls != 0 || r.Client != ClientGone {
		t.Fatalf("crash during the response leg: %d calls, %s", r2.calls, r.String())
	}
}

func TestSerialServerQueues(t *testing.T) {
	st := Fixed(10 * ms)
	f := newFixture(t, Config{RequestLatency: Fixed(0), ResponseLatency: Fixed(1), ServiceTime: &st}, "a", "b", "c")
	var res []*result
	for i, n := range []string{"c", "a", "b", "a"} {
		res = append(res, f.do(time.Duration(i), n, get("x"), 0))
	}
	var qlen int
	f.s.Schedule(5*ms, func() { qlen = f.srv.QueueLen() })
	f.s.Run()
	for i, r := range f.srv.History() {
		// Each request waits for the ones before it: applies at 10, 20, 30, 40ms.
		if r.Apply != 10*ms*time.Duration(i+1) || r.Node != []string{"c", "a", "b", "a"}[i] {
			t.Errorf("request %d from %s applied at %v, want %v", i, r.Node, r.Apply, 10*ms*time.Duration(i+1))
		}
	}
	if qlen != 3 {
		t.Errorf("queue length at 5ms = %d, want 3", qlen)
	}
	for i, r := range res {
		if r.calls != 1 {
			t.Errorf("request %d: %d answers", i, r.calls)
		}
	}
}

func TestInjectedErrors(t *testing.T) {
	f := newFixture(t, Config{Errors: []ErrorRule{{Op: OpUpdate, Kind: ErrorConflict, Probability: 1}}}, "a")
	must(t, f.srv.Store().Apply(create(newLease("ns", "x", "a"))).Err)
	conflict := f.do(0, "a", update(withRV(newLease("ns", "x", "b"), "1")), time.Second)
	got := f.do(0, "a", get("x"), time.Second)
	f.s.Run()
	if !apierrors.IsConflict(conflict.resp.Err) || got.resp.Err != nil {
		t.Fatalf("conflict %v, get %v", conflict.resp.Err, got.resp.Err)
	}
	if holderOf(f.srv.Store().Peek("ns", "x")) != "a" {
		t.Fatal("an injected error applied the request")
	}
	if r := f.srv.History()[0]; r.Server != ServerInjected {
		t.Fatalf("record %s", r.String())
	}
	// After-apply errors land the write and still fail the call.
	f.srv.SetErrorRules([]ErrorRule{{Op: OpAny, Kind: ErrorTimeout, Probability: 1, AfterApply: true}})
	late := f.do(f.s.Now(), "a", update(withRV(newLease("ns", "x", "b"), "1")), time.Second)
	f.s.Run()
	if !apierrors.IsTimeout(late.resp.Err) || holderOf(f.srv.Store().Peek("ns", "x")) != "b" {
		t.Fatalf("after-apply: %v, holder %q", late.resp.Err, holderOf(f.srv.Store().Peek("ns", "x")))
	}
	// Each kind is the real error; probabilities are honoured.
	kinds := map[ErrorKind]func(error) bool{
		ErrorConflict: apierrors.IsConflict, ErrorInternal: apierrors.IsInternalError,
		ErrorUnavailable: apierrors.IsServiceUnavailable, ErrorTooManyRequests: apierrors.IsTooManyRequests,
		ErrorTimeout: apierrors.IsTimeout,
	}
	for kind, is := range kinds {
		// Without a Retry-After the client does not retry, so each error
		// reaches the caller.
		g := newFixture(t, Config{Errors: []ErrorRule{{Op: OpGet, Kind: kind, Probability: 0.3}}}, "a")
		var rs []*result
		for i := range 4000 {
			rs = append(rs, g.do(time.Duration(i)*ms, "a", get("x"), 0))
		}
		g.s.Run()
		n := 0
		for _, r := range rs {
			if is(r.resp.Err) {
				n++
			} else if !apierrors.IsNotFound(r.resp.Err) {
				t.Fatalf("%s: unexpected %v", kind, r.resp.Err)
			}
		}
		if n < 1080 || n > 1320 {
			t.Errorf("%s: %d of 4000 injected, want about 1200", kind, n)
		}
	}
}

func TestStaleReadsThroughServer(t *testing.T) {
	f := newFixture(t, Config{RequestLatency: Fixed(0), ResponseLatency: Fixed(0)}, "a")
	// One write every 100ms; stale reads with a lag of up to 1s.
	st := f.srv.Store()
	f.srv.SetStaleReads(time.Second)
	for i := range 50 {
		f.s.Schedule(time.Duration(i)*100*ms, func() {
			if cur := st.Peek("ns", "x"); cur == nil {
				st.Create(newLease("ns", "x", "0"))
			} else {
				st.Update(withRV(withHolder(cur, time.Duration(i).String()), cur.ResourceVersion))
			}
		})
	}
	var reads []*result
	for i := range 40 {
		reads = append(reads, f.do(time.Duration(i)*100*ms+50*ms, "a", get("x"), 0))
	}
	f.s.Run()
	staleSeen := false
	for i, r := range reads {
		if r.resp.Err != nil && !apierrors.IsNotFound(r.resp.Err) {
			t.Fatal(r.resp.Err)
		}
		rec := f.srv.History()[i]
		if !rec.Stale || rec.ReadAt > rec.Apply || rec.ReadAt < rec.Apply-time.Second {
			t.Fatalf("record %s", rec.String())
		}
		// Write k+1 happens at k·100ms, so at i·100ms+50ms the latest
		// version is i+1; a read before it (and never one after) is stale.
		if want := strconv.Itoa(i + 1); r.resp.Lease != nil && r.resp.Lease.ResourceVersion != want {
			if rv, _ := strconv.Atoi(r.resp.Lease.ResourceVersion); rv > i+1 {
				t.Fatalf("read %d saw the future: rv %d", i, rv)
			}
			staleSeen = true
		}
	}
	if !staleSeen {
		t.Fatal("no read was stale")
	}
	// A write with the latest rv still succeeds; reads are fresh once off.
	f.srv.SetStaleReads(0)
	cur := st.Peek("ns", "x")
	upd := f.do(f.s.Now(), "a", update(withRV(withHolder(cur, "final"), cur.ResourceVersion)), 0)
	fresh := f.do(f.s.Now()+ms, "a", get("x"), 0)
	f.s.Run()
	if upd.resp.Err != nil || holderOf(fresh.resp.Lease) != "final" {
		t.Fatalf("%v %v", upd.resp.Err, fresh.resp.Lease)
	}
}

func TestLatencyWindowAndPartitionOwnership(t *testing.T) {
	f := newFixture(t, Config{}, "a", "b")
	must(t, f.srv.ScheduleWindows([]Window{
		{At: 0, Duration: 500 * ms, Fault: LatencyFault{Node: "a", Request: ptr(Fixed(time.Second))}},
		{At: 0, Duration: 500 * ms, Fault: LatencyFault{Response: ptr(Fixed(50 * ms))}}, // every node
		{At: 1000 * ms, Duration: 100 * ms, Fault: PartitionFault{Node: "b", Mode: PartitionDropAll}},
		{At: 1050 * ms, Duration: 100 * ms, Fault: PartitionFault{Node: "b", Mode: PartitionRefuse}},
	}))
	slow := f.do(100*ms, "a", get("x"), 0)
	other := f.do(100*ms, "b", get("x"), 0)
	normal := f.do(600*ms, "a", get("x"), 0)
	// The first partition's end at 1100ms must not clear the second one.
	refused := f.do(1120*ms, "b", get("x"), 0)
	healed := f.do(1160*ms, "b", get("x"), 0)
	f.s.Run()
	// slow: 1s request leg; its response leaves at 1.1s, after the
	// every-node window ended, so it takes the configured 20ms.
	if slow.at != 1120*ms || other.at != 160*ms || normal.at != 630*ms {
		t.Fatalf("latency windows: slow at %v (want 1120ms), other at %v (want 160ms), normal at %v (want 630ms)", slow.at, other.at, normal.at)
	}
	if !IsConnectionRefused(refused.resp.Err) || !apierrors.IsNotFound(healed.resp.Err) {
		t.Fatalf("partition ownership: %v, %v", refused.resp.Err, healed.resp.Err)
	}
	if err := f.srv.ScheduleWindow(Window{Fault: PartitionFault{Mode: PartitionRefuse}}); err == nil {
		t.Fatal("a partition without a node was accepted")
	}
	if err := f.srv.ScheduleWindow(Window{Fault: ErrorsFault{Rules: []ErrorRule{{Kind: ErrorInternal, Probability: 0.7}, {Op: OpGet, Kind: ErrorConflict, Probability: 0.7}}}}); err == nil {
		t.Fatal("probabilities adding up above 1 were accepted")
	}
}

func TestCounts(t *testing.T) {
	f := newFixture(t, Config{}, "a", "b")
	f.do(0, "a", get("x"), 0)
	f.do(0, "a", get("x"), 0)
	f.do(0, "a", create(newLease("ns", "x", "a")), 0)
	f.do(0, "b", Request{Op: OpList, Namespace: "ns"}, 0)
	f.srv.SetPartition("b", PartitionDropAll)
	f.do(1, "b", Request{Op: OpDelete, Namespace: "ns", Name: "x"}, 0)
	f.s.Run()
	if c := f.srv.NodeCounts("a"); c != (Counts{Get: 2, Create: 1}) || c.Total() != 3 {
		t.Errorf("a: %+v", c)
	}
	if c := f.client("b").Counts(); c != (Counts{List: 1, Delete: 1}) {
		t.Errorf("b: %+v", c)
	}
	if c := f.srv.Counts(); c.Total() != 5 {
		t.Errorf("total %+v", c)
	}
}

func TestListThroughClient(t *testing.T) {
	f := newFixture(t, Config{}, "a")
	st := f.srv.Store()
	for _, n := range []string{"c", "a", "b"} {
		st.Create(newLease("ns", n, n))
	}
	st.Create(newLease("other", "z", "z"))
	res := f.do(0, "a", Request{Op: OpList, Namespace: "ns"}, 0)
	f.s.Run()
	if len(res.resp.Leases) != 3 || res.resp.Leases[0].Name != "a" || res.resp.Leases[2].Name != "c" {
		t.Fatalf("list %+v", res.resp.Leases)
	}
	if r := f.only(t); len(r.Items) != 3 || r.Items[1] != (ItemVersion{Name: "b", RV: 3, Holder: "b"}) {
		t.Fatalf("record %s", r.String())
	}
}

func TestHistoryOff(t *testing.T) {
	s := sim.New(1)
	srv := NewServer(s, Config{RequestLatency: Fixed(ms)})
	c := srv.Client(s.AddNode("a", sim.ClockConfig{}))
	for i := range 100 {
		s.Schedule(time.Duration(i)*ms, func() { c.Do(get("x"), time.Second, nil) })
	}
	s.Run()
	if len(srv.History()) != 0 || srv.Counts().Get != 100 {
		t.Fatal("history recorded while off")
	}
}

// TestClientRetriesRetryAfter: like client-go's rest client, the client
// sends a request again by itself after a 429 or 5xx carrying Retry-After,
// waiting that long on its node's clock, at most ten times, all under the
// call's one timeout.
func TestClientRetriesRetryAfter(t *testing.T) {
	lat := Fixed(10 * ms)
	cfg := Config{RequestLatency: lat, ResponseLatency: lat, RecordHistory: true,
		Errors: []ErrorRule{{Op: OpGet, Kind: ErrorTooManyRequests, Probability: 1, RetryAfterSeconds: 1}}}

	// Always throttled, no timeout: eleven attempts, 1 s apart after each
	// answer, then the caller gets the 429 with its Retry-After.
	f := newFixture(t, cfg, "a")
	r := f.do(0, "a", get("x"), 0)
	f.s.Run()
	if !apierrors.IsTooManyRequests(r.resp.Err) {
		t.Fatalf("got %v, want the 429", r.resp.Err)
	}
	if d, ok := apierrors.SuggestsClientDelay(r.resp.Err); !ok || d != 1 {
		t.Fatalf("retry-after %d %v", d, ok)
	}
	if n := f.srv.Counts().Get; n != 11 {
		t.Fatalf("%d gets sent, want 11 (one and ten retries)", n)
	}
	if want := 11*20*ms + 10*time.Second; r.at != want {
		t.Fatalf("answered at %v, want %v", r.at, want)
	}
	hist := f.srv.History()
	if len(hist) != 11 || hist[1].Invoke != 20*ms+time.Second {
		t.Fatalf("history %d records, second sent at %v", len(hist), hist[1].Invoke)
	}

	// A timeout ends the retries: 5 s allow the first answer and four
	// retries, and the timeout falls during the fifth wait.
	f = newFixture(t, cfg, "a")
	r = f.do(0, "a", get("x"), 5*time.Second)
	f.s.Run()
	if !IsClientTimeout(r.resp.Err) || r.at != 5*time.Second || f.srv.Counts().Get != 5 {
		t.Fatalf("got %v at %v after %d gets, want the client timeout at 5s after 5", r.resp.Err, r.at, f.srv.Counts().Get)
	}

	// Throttled once: the retry's answer is the caller's, and a write's
	// body is sent again intact.
	f = newFixture(t, Config{RequestLatency: lat, ResponseLatency: lat}, "a")
	must(t, f.srv.Store().Apply(create(newLease("ns", "x", "a"))).Err)
	f.srv.SetErrorRules([]ErrorRule{{Op: OpUpdate, Kind: ErrorTooManyRequests, Probability: 1, RetryAfterSeconds: 1}})
	f.s.Schedule(500*ms, func() { f.srv.ResetErrorRules() })
	w := f.do(0, "a", update(withRV(newLease("ns", "x", "b"), "1")), 5*time.Second)
	f.s.Run()
	if w.resp.Err != nil || holderOf(f.srv.Store().Peek("ns", "x")) != "b" || f.srv.Counts().Update != 2 {
		t.Fatalf("retried update: %v, holder %q, %d updates", w.resp.Err, holderOf(f.srv.Store().Peek("ns", "x")), f.srv.Counts().Update)
	}

	// Without Retry-After (and for 500 and 503, which never carry one
	// here) the first answer is the caller's.
	for _, kind := range []ErrorKind{ErrorTooManyRequests, ErrorInternal, ErrorUnavailable, ErrorTimeout} {
		f = newFixture(t, Config{Errors: []ErrorRule{{Op: OpGet, Kind: kind, Probability: 1}}}, "a")
		f.do(0, "a", get("x"), 0)
		f.s.Run()
		if n := f.srv.Counts().Get; n != 1 {
			t.Errorf("%s without Retry-After: %d gets, want 1", kind, n)
		}
	}

	// Abort during the wait stops the retries.
	f = newFixture(t, cfg, "a")
	var call *Call
	f.s.Schedule(0, func() { call = f.client("a").Do(get("x"), 0, func(Response) {}) })
	f.s.Schedule(1500*ms, func() { call.Abort(nil) })
	f.s.Run()
	if n := f.srv.Counts().Get; n != 2 {
		t.Fatalf("%d gets after an abort in the second wait, want 2", n)
	}
}
