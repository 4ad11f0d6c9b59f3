package fakeapi

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// workload runs random concurrent clients against a faulty server: every
// node loops get / create / update-with-last-seen-rv / delete on a few keys
// with think times, client timeouts, lossy partitions, an outage and
// injected errors, so that the history holds every kind of outcome.
type workload struct {
	s     *sim.Sim
	srv   *Server
	r     *rand.Rand
	known map[string]map[string]*coordinationv1.Lease // node → key → last object seen
}

func runWorkload(t testing.TB, seed uint64, stale time.Duration, dur time.Duration) *Server {
	s := sim.New(seed)
	cfg := Config{
		RequestLatency:  Exponential(15 * ms).Capped(300 * ms),
		ResponseLatency: LogNormal(10*ms, 0.8).Capped(300 * ms),
		NodeLatency: map[string]NodeLatency{
			"n3": {Request: ptr(Pareto(5*ms, 1.5).Capped(time.Second))},
			"n4": {Request: ptr(Uniform(0, 300*ms))}, // often slower than its timeout
		},
		Errors: []ErrorRule{
			{Op: OpUpdate, Kind: ErrorConflict, Probability: 0.03},
			{Op: OpAny, Kind: ErrorUnavailable, Probability: 0.02},
			{Op: OpAny, Kind: ErrorTimeout, Probability: 0.03, AfterApply: true},
		},
		RecordHistory: true,
	}
	srv := NewServer(s, cfg)
	if stale > 0 {
		srv.SetStaleReads(stale)
	}
	w := &workload{s: s, srv: srv, r: s.Stream("test/workload"), known: map[string]map[string]*coordinationv1.Lease{}}
	names := []string{"n0", "n1", "n2", "n3", "n4"}
	for _, n := range names {
		node := s.AddNode(n, sim.ClockConfig{Rate: 0.9 + 0.2*w.r.Float64()})
		w.known[n] = map[string]*coordinationv1.Lease{}
		w.loop(srv.Client(node))
	}
	faults := []Fault{
		PartitionFault{Node: "n1", Mode: PartitionDropResponses},
		PartitionFault{Node: "n2", Mode: PartitionDropRequests},
		PartitionFault{Node: "n0", Mode: PartitionRefuse},
		PartitionFault{Node: "n3", Mode: PartitionDropAll},
		OutageFault{Mode: OutageHang},
		OutageFault{Mode: OutageRefuse},
		LatencyFault{Response: ptr(Fixed(150 * ms))},
		LatencyFault{Node: "n1", Request: ptr(Uniform(100*ms, 400*ms))}, // writes that land after the client gave up
	}
	for at := time.Second; at < dur; at += time.Second {
		f := faults[w.r.IntN(len(faults))]
		if err := srv.ScheduleWindow(Window{At: at, Duration: time.Duration(w.r.IntN(400)) * ms, Fault: f}); err != nil {
			t.Fatal(err)
		}
	}
	s.RunUntil(dur)
	return srv
}

func (w *workload) loop(c *Client) {
	node := c.Node()
	name := node.Name()
	var next func()
	next = func() {
		key := fmt.Sprintf("k%d", w.r.IntN(2))
		last := w.known[name][key]
		var req Request
		switch p := w.r.Float64(); {
		case p < 0.4:
			req = get(key)
		case p < 0.8 && last != nil:
			l := withHolder(last, fmt.Sprintf("%s-%d", name, w.r.IntN(1000)))
			req = update(l)
		case p < 0.9 || last == nil:
			req = create(newLease("ns", key, name))
		case p < 0.95:
			req = Request{Op: OpList, Namespace: "ns"}
		default:
			req = Request{Op: OpDelete, Namespace: "ns", Name: key}
			if w.r.IntN(2) == 0 && last != nil {
				req.Lease = withRV(&coordinationv1.Lease{}, last.ResourceVersion)
			}
		}
		timeout := time.Duration(50+w.r.IntN(200)) * ms
		c.Do(req, timeout, func(resp Response) {
			switch {
			case resp.Lease != nil:
				w.known[name][key] = resp.Lease
			case apierrors.IsNotFound(resp.Err):
				delete(w.known[name], key)
			}
			node.After(time.Duration(w.r.IntN(30))*ms, next)
		})
	}
	node.After(time.Duration(w.r.IntN(10))*ms, next)
}

func outcomes(h []Record) map[string]int {
	m := map[string]int{}
	for i := range h {
		m[h[i].Outcome()]++
	}
	return m
}

func TestLinearizableWithoutStaleReads(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		srv := runWorkload(t, seed, 0, 20*time.Second)
		h := srv.History()
		m := outcomes(h)
		// The workload must exercise the hard cases, or passing means little.
		for _, want := range []string{"ok", "error:Conflict", "timed-out", "refused"} {
			if m[want] == 0 {
				t.Fatalf("seed %d: no %q outcome in %v", seed, want, m)
			}
		}
		late, unknown := 0, 0
		for i := range h {
			if h[i].AppliedAfterGiveUp() && h[i].Landed() {
				late++
			}
			if h[i].Landed() && !(h[i].Client == ClientReturned && h[i].Server == ServerApplied) {
				unknown++
			}
		}
		if late == 0 || unknown < 10 {
			t.Fatalf("seed %d: %d writes applied after the client gave up, %d landed without the client knowing: %v", seed, late, unknown, m)
		}
		if res := checkLin(t, h); res != porcupine.Ok {
			t.Fatalf("seed %d: %d operations, outcomes %v: check says %s", seed, len(h), m, res)
		}
		t.Logf("seed %d: %d calls, %d late writes, %d unknown landed writes, outcomes %v", seed, len(h), late, unknown, m)
	}
}

func TestStaleReadsAreNotLinearizable(t *testing.T) {
	srv := runWorkload(t, 1, 500*ms, 20*time.Second)
	h := srv.History()
	if res := checkLin(t, h); res != porcupine.Illegal {
		t.Fatalf("a history with stale reads passed the check: %s", res)
	}
}

// TestCheckerCatchesTampering: the same linearizable history with one read
// rewound to an older version must fail.
func TestCheckerCatchesTampering(t *testing.T) {
	srv := runWorkload(t, 7, 0, 5*time.Second)
	h := append([]Record(nil), srv.History()...)
	if checkLin(t, h) != porcupine.Ok {
		t.Fatal("baseline not linearizable")
	}
	// Find a successful get that observed a version which a completed write
	// had replaced... simplest: a get after an older write's return, rewound
	// to that older write's version.
	for i := range h {
		w := &h[i]
		if w.Op != OpUpdate || w.Client != ClientReturned || w.StoreErr != nil || w.Server != ServerApplied {
			continue
		}
		for j := range h {
			g := &h[j]
			if g.Op == OpGet && g.Name == w.Name && g.Client == ClientReturned && g.Server == ServerApplied &&
				g.StoreErr == nil && g.Invoke > w.Return && g.RV != w.ReqRV && w.ReqRV != 0 {
				g.RV = w.ReqRV // the version the update had replaced
				if res := checkLin(t, h); res != porcupine.Illegal {
					t.Fatalf("a read of a replaced version passed: %s", res)
				}
				return
			}
		}
	}
	t.Fatal("found no read to tamper with")
}

// TestUnknownOutcomes: a write whose acknowledgement was lost, observed by a
// later read, is linearizable; so is a lost request followed by reads of the
// old state.
func TestUnknownOutcomes(t *testing.T) {
	g := newFixture(t, Config{}, "a", "b")
	g.do(0, "b", create(newLease("ns", "x", "a")), 0)
	g.s.Schedule(40*ms, func() { g.srv.SetPartition("a", PartitionDropResponses) })
	g.do(41*ms, "a", update(withRV(newLease("ns", "x", "a2"), "1")), 50*ms)
	g.s.Schedule(42*ms, func() { g.srv.SetPartition("b", PartitionDropRequests) })
	g.do(43*ms, "b", update(withRV(newLease("ns", "x", "b2"), "1")), 50*ms)
	g.s.Schedule(44*ms, func() { g.srv.ClearPartition("b") })
	read := g.do(150*ms, "b", get("x"), 0)
	g.s.Run()
	if holderOf(read.resp.Lease) != "a2" {
		t.Fatalf("read %v", read.resp.Lease)
	}
	h := g.srv.History()
	unknown := 0
	ops, err := PorcupineOperations(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if op.Input.(linInput).unknown {
			unknown++
		}
	}
	if unknown != 1 {
		t.Fatalf("%d unknown operations, want 1 (the lost acknowledgement; the lost request has no effect)", unknown)
	}
	if res := checkLin(t, h); res != porcupine.Ok {
		for _, r := range h {
			t.Log(r.String())
		}
		t.Fatalf("check: %s", res)
	}
	// Had the timed-out update been taken as failed, the read could not be
	// explained: the check must see the difference.
	h[1].Client, h[1].Err, h[1].StoreErr, h[1].RV = ClientReturned, errConflict("x"), errConflict("x"), 0
	if res := checkLin(t, h); res != porcupine.Illegal {
		t.Fatalf("a read of a write reported as failed passed: %s", res)
	}
}

func TestDeterminism(t *testing.T) {
	a := HistoryHash(runWorkload(t, 42, 0, 5*time.Second).History())
	b := HistoryHash(runWorkload(t, 42, 0, 5*time.Second).History())
	c := HistoryHash(runWorkload(t, 43, 0, 5*time.Second).History())
	if a != b {
		t.Fatalf("same seed, different histories: %x vs %x", a, b)
	}
	if a == c {
		t.Fatal("different seeds, same history")
	}
}

func checkLin(t *testing.T, h []Record) porcupine.CheckResult {
	t.Helper()
	res, err := CheckLinearizable(h, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A write that sent a resourceVersion that is not a number cannot be
// checked: the model would take it for a write without a precondition.
func TestUnparsableResourceVersionIsAnError(t *testing.T) {
	g := newFixture(t, Config{}, "a")
	g.do(0, "a", create(newLease("ns", "x", "a")), 0)
	g.do(10*ms, "a", update(withRV(newLease("ns", "x", "a2"), "not-a-number")), 0)
	g.s.Run()
	h := g.srv.History()
	if h[1].BadReqRV != "not-a-number" || h[1].ReqRV != 0 {
		t.Fatalf("record %+v: want the text kept as BadReqRV", h[1])
	}
	if _, err := CheckLinearizable(h, time.Minute); err == nil || !strings.Contains(err.Error(), `"not-a-number"`) {
		t.Fatalf("check of a history with an unparsable resourceVersion: err = %v", err)
	}
	if _, err := CheckLinearizable(h[:1], time.Minute); err != nil {
		t.Fatalf("the history without it: %v", err)
	}
}
