package rest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/sim"
)

// ChaosConfig configures a Chaos: the same knobs as fakeapi.Config, on real
// (or synctest) time.
type ChaosConfig struct {
	// RequestLatency and ResponseLatency are the one-way delays of every
	// node; NodeLatency replaces them per node (a nil direction keeps the
	// default).
	RequestLatency, ResponseLatency fakeapi.Distribution
	NodeLatency                     map[string]fakeapi.NodeLatency
	// Errors are injected as fakeapi.Server injects them.
	Errors []fakeapi.ErrorRule
	// ServiceTime, when set, makes the server serial: one request at a
	// time, first come first served, each applied at the end of its drawn
	// service time. The queue is a channel semaphore (a waiting goroutine is
	// durably blocked in a synctest bubble; one waiting on a mutex is not).
	ServiceTime *fakeapi.Distribution
	// Seed derives the random streams (math/rand/v2 PCG), under the same
	// names as fakeapi.Server's: "api/latency/<node>/request",
	// "api/latency/<node>/response", "api/errors", "api/service".
	Seed uint64
	// Log, when set, is called for every request (after it completes or is
	// abandoned) and for each fault change. It is called from the requests'
	// goroutines, possibly concurrently, and never with a lock held.
	Log func(Event)
}

// Chaos is HTTP middleware that puts fakeapi.Server's network and fault
// model in front of a handler (normally a Handler): per-node latency,
// partitions, outages, injected errors and a serial server, on the time
// package's clock — real time, or fake time inside a testing/synctest
// bubble. See the package documentation for how each fault is realised.
//
// In a synctest bubble, create the Chaos inside the bubble: its semaphore
// and timers then belong to the bubble.
type Chaos struct {
	next http.Handler
	cfg  ChaosConfig
	// sem is the serial server: holding its one slot is being served.
	// Blocked senders on a channel are woken in FIFO order.
	sem chan struct{}

	// mu guards everything below. It is never held while sleeping or
	// waiting, nor while calling next or Log.
	mu       sync.Mutex
	nodes    map[string]*chaosNode
	faults   *fakeapi.FaultState // the fault model, as fakeapi.Server's
	errRand  *rand.Rand
	svcRand  *rand.Rand
	total    fakeapi.Counts
	inFlight int
	idle     chan struct{} // closed while inFlight is 0
}

// chaosNode is the network between one node and the server.
type chaosNode struct {
	*fakeapi.NodeFaults
	counts fakeapi.Counts
}

// NewChaos returns next behind the faults of cfg. It validates the
// distributions and error rules with fakeapi's Validate methods.
func NewChaos(next http.Handler, cfg ChaosConfig) (*Chaos, error) {
	if next == nil {
		return nil, fmt.Errorf("chaos: no handler")
	}
	fc := fakeapi.Config{
		RequestLatency:  cfg.RequestLatency,
		ResponseLatency: cfg.ResponseLatency,
		NodeLatency:     cfg.NodeLatency,
		Errors:          cfg.Errors,
		ServiceTime:     cfg.ServiceTime,
	}
	if err := fc.Validate(); err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	// Private copies: a caller reusing its config must not change a running
	// Chaos.
	cfg.NodeLatency = maps.Clone(cfg.NodeLatency)
	cfg.Errors = slices.Clone(cfg.Errors)
	if cfg.ServiceTime != nil {
		d := *cfg.ServiceTime
		cfg.ServiceTime = &d
	}
	c := &Chaos{
		next:    next,
		cfg:     cfg,
		nodes:   make(map[string]*chaosNode),
		errRand: sim.NewStream(cfg.Seed, "api/errors"),
		svcRand: sim.NewStream(cfg.Seed, "api/service"),
	}
	c.faults = fakeapi.NewFaultState(func(name string) *fakeapi.NodeFaults { return c.node(name).NodeFaults },
		cfg.Errors, nil)
	if cfg.ServiceTime != nil {
		c.sem = make(chan struct{}, 1)
	}
	c.idle = make(chan struct{})
	close(c.idle)
	return c, nil
}

func (c *Chaos) node(name string) *chaosNode {
	if n := c.nodes[name]; n != nil {
		return n
	}
	stream := func(s string) *rand.Rand { return sim.NewStream(c.cfg.Seed, s) }
	n := &chaosNode{NodeFaults: fakeapi.NewNodeFaults(fakeapi.NewLink(&c.cfg.RequestLatency, &c.cfg.ResponseLatency, c.cfg.NodeLatency[name], name, stream))}
	c.nodes[name] = n
	return n
}

// requestLatency and responseLatency draw one delay; c.mu must be held. A
// per-node override beats an every-node one, which beats the configuration.
func (c *Chaos) requestLatency(n *chaosNode) time.Duration {
	return c.faults.RequestLatency(n.NodeFaults)
}

func (c *Chaos) responseLatency(n *chaosNode) time.Duration {
	return c.faults.ResponseLatency(n.NodeFaults)
}

// ServeHTTP runs one request through the faults, mirroring
// fakeapi.Server's Do/arrive/apply/respond:
//
//  1. one request-latency draw, whatever happens next; the node's partition
//     is judged now, as the request leaves the client: refuse → refused
//     after the request latency; drop-requests/drop-all → never arrives,
//     the handler waits for the client to give up;
//  2. the request latency passes — in full even if the client gives up
//     meanwhile, so a write sent before the client gave up still lands;
//  3. arrival: an outage swallows it (hang) or refuses it after a
//     response-latency draw (refuse); a serial server queues it, serves it
//     for a drawn service time and judges the outage again;
//  4. an injected error is picked (one draw when a rule matches the verb);
//     the request is applied by next unless the error replaces it;
//  5. the response leaves the server: a drop-responses/drop-all partition
//     loses it (the handler waits for the client to give up); otherwise
//     the response latency is drawn and slept — returning early if the
//     client gives up — and the response is written.
func (c *Chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c.enter()
	defer c.leave()
	r, node := stripNode(r)
	ri := describe(r)
	ev := Event{Start: start, Node: node, Verb: ri.verb, Namespace: ri.namespace}
	if !ri.lease {
		ev.Path = ri.path
	}
	defer func() {
		ev.Time = time.Now()
		c.log(ev)
	}()
	ctx := r.Context()
	// The body left the client with the request. Reading it now also lets
	// a real server notice when the client goes away (net/http watches the
	// connection once the body has been consumed).
	body, err := readBody(r)
	if err != nil {
		// Too large, or cut off: nothing to simulate, answer at once.
		writeError(w, r, err)
		ev.Status, ev.Msg = int(statusOf(err).Code), err.Error()
		return
	}
	if ri.op == fakeapi.OpCreate {
		// A create names its object in the body: the log and an injected
		// error name it too.
		var l coordinationv1.Lease
		if decodeBody(r, body, &l, leaseGVK) == nil {
			ri.name = l.Name
		}
	}
	ev.Name = ri.name

	c.mu.Lock()
	n := c.node(node)
	if ri.op != "" {
		addCount(&n.counts, ri.op)
		addCount(&c.total, ri.op)
	}
	lat := c.requestLatency(n)
	mode := n.Partition()
	c.mu.Unlock()

	switch mode {
	case fakeapi.PartitionRefuse:
		ev.Fault, ev.Latency = "partition refuse", lat
		time.Sleep(lat)
		c.refuse(w, r)
		return
	case fakeapi.PartitionDropRequests, fakeapi.PartitionDropAll:
		ev.Fault = "partition " + string(mode)
		<-ctx.Done()
		ev.Abandoned = true
		return
	}
	ev.Latency = lat
	time.Sleep(lat)

	if c.outageHit(w, r, n, &ev, c.outageNow()) {
		return
	}
	var rec *recorder
	if c.sem == nil {
		rec = c.apply(r, body, ri, &ev)
	} else {
		var o fakeapi.OutageMode
		if rec, o = c.serveSerially(r, body, ri, &ev); o != fakeapi.OutageNone {
			// The outage began while the request was queued or in service.
			c.outageHit(w, r, n, &ev, o)
			return
		}
	}

	c.respond(w, r, n, &ev, rec)
}

// respond sends the response rec back to node n: judged as it leaves the
// server, as fakeapi judges it. A partition dropping responses loses it
// (the handler waits for the client to give up); otherwise it takes a
// drawn response latency, unless the client gives up first.
func (c *Chaos) respond(w http.ResponseWriter, r *http.Request, n *chaosNode, ev *Event, rec *recorder) {
	ctx := r.Context()
	c.mu.Lock()
	mode := n.Partition()
	dropped := n.DropsResponses()
	var respLat time.Duration
	if !dropped && ctx.Err() == nil {
		respLat = c.responseLatency(n)
	}
	c.mu.Unlock()
	if dropped {
		ev.Fault = joinFault(ev.Fault, "partition "+string(mode))
		<-ctx.Done()
		ev.Abandoned = true
		return
	}
	ev.Latency += respLat
	if !sleepCtx(ctx, respLat) {
		ev.Abandoned = true
		return
	}
	rec.copyTo(w)
}

// serveSerially waits for the serial server, holds it for a drawn service
// time and applies the request at its end — unless an outage is on by
// then, which it returns instead. The slot is released even if next
// panics, or the queue would stall for good.
func (c *Chaos) serveSerially(r *http.Request, body []byte, ri reqInfo, ev *Event) (*recorder, fakeapi.OutageMode) {
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	c.mu.Lock()
	svc := c.cfg.ServiceTime.Sample(c.svcRand)
	c.mu.Unlock()
	ev.Service = svc
	time.Sleep(svc)
	if o := c.outageNow(); o != fakeapi.OutageNone {
		return nil, o
	}
	return c.apply(r, body, ri, ev), fakeapi.OutageNone
}

func (c *Chaos) outageNow() fakeapi.OutageMode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults.Outage()
}

// outageHit handles a request that reaches the server during outage o and
// reports whether there was one: a hanging server swallows the request, a
// refusing one resets the connection after the response latency.
func (c *Chaos) outageHit(w http.ResponseWriter, r *http.Request, n *chaosNode, ev *Event, o fakeapi.OutageMode) bool {
	ctx := r.Context()
	switch o {
	case fakeapi.OutageHang:
		ev.Fault = "outage hang"
		<-ctx.Done()
		ev.Abandoned = true
		return true
	case fakeapi.OutageRefuse:
		ev.Fault = "outage refuse"
		var lat time.Duration
		c.mu.Lock()
		if ctx.Err() == nil {
			lat = c.responseLatency(n)
		}
		c.mu.Unlock()
		ev.Latency += lat
		if !sleepCtx(ctx, lat) {
			ev.Abandoned = true
			return true
		}
		c.refuse(w, r)
		return true
	}
	return false
}

// apply picks an injected error and runs the request through next unless
// the error replaces it. next gets a context that the client's giving up
// does not cancel: the server has the request and goes through with it.
func (c *Chaos) apply(r *http.Request, body []byte, ri reqInfo, ev *Event) *recorder {
	// The rule is copied under the lock: the rules may be replaced while
	// the request goes on.
	var rule fakeapi.ErrorRule
	injected := false
	if ri.op != "" {
		c.mu.Lock()
		if r := fakeapi.PickError(c.faults.Rules(), ri.op, c.errRand); r != nil {
			rule, injected = *r, true
		}
		c.mu.Unlock()
	}
	rec := newRecorder()
	if !injected || rule.AfterApply {
		req := r.WithContext(context.WithoutCancel(r.Context()))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		c.next.ServeHTTP(rec, req)
		ev.Applied = true
	}
	if injected {
		err := rule.Err(ri.name)
		rec = newRecorder()
		writeError(rec, r, err)
		ev.Fault = fmt.Sprintf("injected %d", statusOf(err).Code)
		if rule.AfterApply {
			ev.Fault += " after apply"
		}
	}
	ev.Status, _ = rec.result()
	return rec
}

// refuse answers with a refused connection: in-process, the transport
// returns fakeapi.ErrConnectionRefused; over a socket, the connection is
// reset (closed with SO_LINGER 0), the nearest a server that already
// accepted it can come to refusing it.
func (c *Chaos) refuse(w http.ResponseWriter, r *http.Request) {
	if refuseInProcess(r) {
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): abort the response, which
		// resets the stream or the connection.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (c *Chaos) log(ev Event) {
	if c.cfg.Log != nil {
		c.cfg.Log(ev)
	}
}

// sleepCtx sleeps for d unless ctx ends first, and reports whether it slept
// the whole time (false also when ctx is already done).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func joinFault(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
