package fakeapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
)

// Config is the server's configuration at the start of a run. Faults that
// come and go are windows (Server.ScheduleWindow) or Set* calls.
type Config struct {
	// RequestLatency and ResponseLatency are the one-way network delays of
	// every node, client to server and back. The zero Distribution is 0.
	RequestLatency  Distribution
	ResponseLatency Distribution
	// NodeLatency replaces them for single nodes, by node name; a nil
	// direction keeps the default.
	NodeLatency map[string]NodeLatency
	// Errors are injected with their probability on every request that
	// reaches the point of being applied.
	Errors []ErrorRule
	// ServiceTime, when set, makes the server serial: requests queue FIFO
	// and each occupies it for a drawn service time, at the end of which it
	// is applied.
	ServiceTime *Distribution
	// StaleReadMaxLag > 0 starts the run with stale reads on (SetStaleReads).
	StaleReadMaxLag time.Duration
	// RecordHistory keeps a Record of every call (Server.History). Off, the
	// server's memory does not grow with the run's length.
	RecordHistory bool
	// Choices, when set, makes every delay, injected-error pick, stale-read
	// lag and service time a choice of this Chooser (sim/choice.go); nil
	// keeps the seeded draws.
	Choices sim.Chooser
}

// NodeLatency is a per-node latency: nil keeps the default for that
// direction.
type NodeLatency struct {
	Request  *Distribution
	Response *Distribution
}

// ErrorKind is the kind of an injected error.
type ErrorKind string

// The injectable errors, each a real apimachinery error.
const (
	ErrorConflict        ErrorKind = "conflict"        // 409 NewConflict
	ErrorInternal        ErrorKind = "internal"        // 500 NewInternalError
	ErrorUnavailable     ErrorKind = "unavailable"     // 503 NewServiceUnavailable
	ErrorTooManyRequests ErrorKind = "tooManyRequests" // 429 NewTooManyRequests, with Retry-After
	ErrorTimeout         ErrorKind = "timeout"         // 504 NewTimeoutError, with Retry-After
)

// ErrorRule injects an error of Kind into requests of Op (OpAny or "" for
// every verb) with Probability. The decision is taken when the request is
// about to be applied (after its request latency and, on a serial server,
// its service time), from the "api/errors" stream: one draw per request for
// which some rule matches; the rules matching a verb split [0, 1) in order,
// so their probabilities add up (their sum must not exceed 1 per verb).
//
// By default the injected error replaces the request: the store is not
// touched. A 429 or 504 with RetryAfterSeconds > 0 carries a Retry-After,
// and the client then retries by itself as client-go's rest client does
// (see retryWait). AfterApply applies the request first and then answers with the
// error — a write that landed although the client was told it failed (an
// apiserver timing out on a slow etcd commit).
type ErrorRule struct {
	Op                Op
	Kind              ErrorKind
	Probability       float64
	RetryAfterSeconds int
	AfterApply        bool
}

func (r *ErrorRule) matches(op Op) bool { return r.Op == OpAny || r.Op == "" || r.Op == op }

// Err is the error the rule injects into a request for the named object:
// the real apimachinery error, worded as the apiserver words it.
func (r *ErrorRule) Err(name string) error {
	switch r.Kind {
	case ErrorConflict:
		return errConflict(name)
	case ErrorInternal:
		return apierrors.NewInternalError(fmt.Errorf("etcdserver: leader changed (injected)"))
	case ErrorUnavailable:
		return apierrors.NewServiceUnavailable("the server is currently unable to handle the request (injected)")
	case ErrorTooManyRequests:
		return apierrors.NewTooManyRequests("too many requests, please try again later (injected)", r.RetryAfterSeconds)
	case ErrorTimeout:
		return apierrors.NewTimeoutError("request did not complete within the allowed duration (injected)", r.RetryAfterSeconds)
	}
	return apierrors.NewInternalError(fmt.Errorf("unknown injected error kind %q", r.Kind))
}

func validateRules(rules []ErrorRule) error {
	var sum [numOps]float64
	for i := range rules {
		r := &rules[i]
		switch r.Kind {
		case ErrorConflict, ErrorInternal, ErrorUnavailable, ErrorTooManyRequests, ErrorTimeout:
		default:
			return fmt.Errorf("errors[%d]: unknown kind %q", i, r.Kind)
		}
		if !(r.Probability >= 0 && r.Probability <= 1) {
			return fmt.Errorf("errors[%d]: probability %v not in [0, 1]", i, r.Probability)
		}
		if r.RetryAfterSeconds < 0 {
			return fmt.Errorf("errors[%d]: negative retryAfterSeconds", i)
		}
		if r.Op != OpAny && r.Op != "" && r.Op.index() < 0 {
			return fmt.Errorf("errors[%d]: unknown op %q", i, r.Op)
		}
		for _, op := range []Op{OpGet, OpCreate, OpUpdate, OpDelete, OpList} {
			if r.matches(op) {
				sum[op.index()] += r.Probability
			}
		}
	}
	for i, s := range sum {
		if s > 1+1e-9 {
			return fmt.Errorf("errors: probabilities for %s add up to %v > 1", []Op{OpGet, OpCreate, OpUpdate, OpDelete, OpList}[i], s)
		}
	}
	return nil
}

// Validate reports a configuration the server cannot run.
func (cfg *Config) Validate() error {
	if err := cfg.RequestLatency.Validate(); err != nil {
		return fmt.Errorf("requestLatency: %w", err)
	}
	if err := cfg.ResponseLatency.Validate(); err != nil {
		return fmt.Errorf("responseLatency: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.NodeLatency)) {
		nl := cfg.NodeLatency[name]
		if nl.Request != nil {
			if err := nl.Request.Validate(); err != nil {
				return fmt.Errorf("nodeLatency[%s].request: %w", name, err)
			}
		}
		if nl.Response != nil {
			if err := nl.Response.Validate(); err != nil {
				return fmt.Errorf("nodeLatency[%s].response: %w", name, err)
			}
		}
	}
	if cfg.ServiceTime != nil {
		if err := cfg.ServiceTime.Validate(); err != nil {
			return fmt.Errorf("serviceTime: %w", err)
		}
	}
	if cfg.StaleReadMaxLag < 0 {
		return fmt.Errorf("staleReadMaxLag must not be negative")
	}
	return validateRules(cfg.Errors)
}

// Counts counts requests sent, per verb.
type Counts struct {
	Get, Create, Update, Delete, List uint64
}

// Total is the sum over the verbs.
func (c Counts) Total() uint64 { return c.Get + c.Create + c.Update + c.Delete + c.List }

// ByVerb names the verbs the elector uses always, and delete and list only
// when they were made, so summaries of election-only runs stay short.
func (c Counts) ByVerb() map[string]int {
	m := map[string]int{"get": int(c.Get), "create": int(c.Create), "update": int(c.Update)}
	if c.Delete > 0 {
		m["delete"] = int(c.Delete)
	}
	if c.List > 0 {
		m["list"] = int(c.List)
	}
	return m
}

// Plus is the verb-by-verb sum of c and d.
func (c Counts) Plus(d Counts) Counts {
	return Counts{Get: c.Get + d.Get, Create: c.Create + d.Create, Update: c.Update + d.Update, Delete: c.Delete + d.Delete, List: c.List + d.List}
}

func (c *Counts) add(op Op) {
	switch op {
	case OpGet:
		c.Get++
	case OpCreate:
		c.Create++
	case OpUpdate:
		c.Update++
	case OpDelete:
		c.Delete++
	case OpList:
		c.List++
	}
}

// nodeState is the server's view of one node: its latency, its partition
// and its counters. It exists from the first mention of the node (a Client,
// a fault) so that faults can be set before the node's first request.
type nodeState struct {
	NodeFaults
	name   string
	counts Counts
}

// Server is the simulated API server: a Store, the network between it and
// the nodes, and the faults of both. It is driven by the kernel's events and,
// like the kernel, is not safe for concurrent use.
type Server struct {
	sim   *sim.Sim
	cfg   Config
	store *Store

	nodes   map[string]*nodeState
	clients []*Client

	faults FaultState

	errRand   *rand.Rand
	staleRand *rand.Rand
	svcRand   *rand.Rand

	busy  bool
	queue []*Call
	qhead int

	counts  Counts
	seq     uint64
	history historyLog
}

// NewServer returns a server on s. It panics on an invalid configuration
// (Config.Validate says why), as a scenario is validated before it runs.
func NewServer(s *sim.Sim, cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic("fakeapi: " + err.Error())
	}
	// The server keeps its own copies: a caller reusing its Config must not
	// change a running server.
	if cfg.ServiceTime != nil {
		d := *cfg.ServiceTime
		cfg.ServiceTime = &d
	}
	cfg.NodeLatency = maps.Clone(cfg.NodeLatency)
	cfg.Errors = slices.Clone(cfg.Errors)
	srv := &Server{
		sim:       s,
		cfg:       cfg,
		nodes:     make(map[string]*nodeState),
		errRand:   s.Stream("api/errors"),
		staleRand: s.Stream("api/stale"),
		svcRand:   s.Stream("api/service"),
	}
	srv.store = NewStore(s.Now)
	srv.faults = *NewFaultState(func(name string) *NodeFaults { return &srv.node(name).NodeFaults },
		srv.cfg.Errors, srv.store.SetRetention)
	if cfg.StaleReadMaxLag > 0 {
		srv.SetStaleReads(cfg.StaleReadMaxLag)
	}
	return srv
}

// Store is the server's storage, for setup and checkers. Using it directly
// bypasses the network and every fault.
func (srv *Server) Store() *Store { return srv.store }

// WatchCommits makes f see every committed change of the store (l nil for
// a delete) at the instant it commits, like Store.OnCommit, for a reader
// that keeps nothing: l is only valid while f runs, since the store may
// reuse the memory of a lease once it is no longer current (see
// Client.NewBody). Read what is needed, or Peek the object to keep it. A
// nil f stops the calls.
func (srv *Server) WatchCommits(f func(namespace, name string, l *coordinationv1.Lease)) {
	srv.store.watch = f
}

// Counts is the number of requests sent so far by all clients, per verb.
func (srv *Server) Counts() Counts { return srv.counts }

// NodeCounts is the number of requests the named node has sent, per verb.
func (srv *Server) NodeCounts(node string) Counts {
	if ns := srv.nodes[node]; ns != nil {
		return ns.counts
	}
	return Counts{}
}

// QueueLen is the number of requests waiting for a serial server (not
// counting the one in service).
func (srv *Server) QueueLen() int { return len(srv.queue) - srv.qhead }

func (srv *Server) node(name string) *nodeState {
	if ns := srv.nodes[name]; ns != nil {
		return ns
	}
	ns := &nodeState{name: name, NodeFaults: NodeFaults{link: NewLink(&srv.cfg.RequestLatency, &srv.cfg.ResponseLatency,
		srv.cfg.NodeLatency[name], name, srv.sim.Stream)}}
	if srv.cfg.Choices != nil {
		ns.link.SetChooser(srv.cfg.Choices, srv.sim, name)
	}
	srv.nodes[name] = ns
	return ns
}

func (srv *Server) requestLatency(ns *nodeState) time.Duration {
	return srv.faults.RequestLatency(&ns.NodeFaults)
}

func (srv *Server) responseLatency(ns *nodeState) time.Duration {
	return srv.faults.ResponseLatency(&ns.NodeFaults)
}

// Client is a node's connection to the server. Every process the node runs
// over time uses the same Client; calls belong to the process that made
// them (its incarnation) and die with it.
type Client struct {
	srv  *Server
	node *sim.Node
	ns   *nodeState
	// free holds finished calls of DoShared for reuse: a renewal or a poll
	// then costs no Call, no bound pipeline function and no timer.
	free []*Call
	// body is the lease NewBody handed out last and bodyBlk its block,
	// until DoShared takes it.
	body    *coordinationv1.Lease
	bodyBlk *leaseBlock
}

// Client returns the node's client, creating it on first use.
func (srv *Server) Client(node *sim.Node) *Client {
	for _, c := range srv.clients {
		if c.node == node {
			return c
		}
	}
	c := &Client{srv: srv, node: node, ns: srv.node(node.Name())}
	srv.clients = append(srv.clients, c)
	return c
}

// Node is the client's node.
func (c *Client) Node() *sim.Node { return c.node }

// Counts is the number of requests this client has sent, per verb.
func (c *Client) Counts() Counts { return c.ns.counts }

// Call is one request in flight. The caller may keep it to Abort it.
type Call struct {
	c    *Client
	req  Request
	done func(Response)
	// resp is the response travelling back to the client.
	resp Response
	// timer is the pending client timeout (nil when none is pending);
	// ownTimer is the call's timer object, re-armed when a pooled call is
	// reused.
	timer    clock.Timer
	ownTimer clock.Timer
	onTimer  func()
	// step is the call's one pipeline event function (send → arrive →
	// service → deliver happen one after another, never two at once), bound
	// once so that each hop does not allocate a closure.
	step     func()
	precond  string // delete's resourceVersion precondition
	rec      int    // index into the history, -1 when not recorded
	inc      uint32
	phase    uint8
	finished bool
	// shared marks a DoShared call: bodies and responses are the immutable
	// objects themselves, and the call returns to its client's free list
	// once done has run and no pipeline event refers to it (inPipe false).
	shared bool
	inPipe bool
	// blk is the block of a body from NewBody until the store keeps it or
	// the request is done with it; respBlk is the block of a stored lease
	// the response carries (a reference the store counts).
	blk     *leaseBlock
	respBlk *leaseBlock
	// The client's own retries (see retryWait): how many were made, the
	// wait the response in flight asks for (0: not retryable), the body to
	// send again, and the pending wait.
	retries    int
	retryWait  time.Duration
	retryBody  *coordinationv1.Lease
	retryTimer clock.Timer
}

// maxRetries is client-go's rest.Request default: ten retries after the
// first attempt.
const maxRetries = 10

// retryWait is how long client-go's rest client waits before sending a
// request again by itself, or 0 when it does not: a 429, or any 5xx, whose
// Retry-After header asks for a wait (rest.withRetry.IsNextRetry and
// checkWait). The apiserver sets the header from the Status's
// details.retryAfterSeconds, as the injected errors carry it.
func retryWait(err error) time.Duration {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return 0
	}
	s := st.Status()
	if (s.Code == http.StatusTooManyRequests || s.Code >= 500) && s.Details != nil && s.Details.RetryAfterSeconds > 0 {
		return time.Duration(s.Details.RetryAfterSeconds) * time.Second
	}
	return 0
}

const (
	phaseToServer uint8 = iota
	phaseInService
	phaseToClient
)

func noopDone(Response) {}

// Do sends req now (true time) and arranges for done to run, once, as an
// event of the client's node, with the outcome:
//
//   - normally after request latency + (service time) + response latency,
//     the server applying req in between, at one true instant;
//   - when timeout > 0 and that much time passes on the node's local clock
//     first: with ErrClientTimeout, at that instant; the request goes on and
//     the server may still apply it;
//   - when the node's partition refuses, or the server is in a refusing
//     outage: with ErrConnectionRefused, after the request latency (a
//     partition: the failed connection attempt takes one network leg) or
//     after request + response latency (an outage: the server's host
//     answers with a reset);
//   - never, if the request or its response is lost and there is no timeout
//     (until Abort).
//
// done is held while the node is paused and dropped if the process that
// made the call crashes or exits: it never runs for a later process. Do never
// calls done itself. The body is deep-copied now.
func (c *Client) Do(req Request, timeout time.Duration, done func(Response)) *Call {
	call := &Call{c: c}
	call.step = call.advance
	return c.send(call, req, timeout, done)
}

// DoShared is Do for a caller that treats Lease objects as immutable values,
// as the lease lock does. It saves every copy and allocation Do makes:
//
//   - req.Lease is handed over, not copied: from the call on, the caller
//     must neither modify it nor read it again, because the server may store
//     that very object (setting the server's metadata on it: namespace,
//     name, uid, creationTimestamp, resourceVersion);
//   - the Lease of a response is the stored object itself, shared with the
//     store and every other reader: the receiver must not modify it, and
//     it is only valid while done runs (the store may reuse its memory
//     afterwards, see NewBody): copy what is needed;
//   - the returned Call is only valid until done runs (or Abort returns):
//     it is then reused for a later call of this client, so it must not be
//     kept, aborted or asked Done after that.
//
// Timing, faults, random draws, history and outcomes are exactly Do's.
func (c *Client) DoShared(req Request, timeout time.Duration, done func(Response)) *Call {
	var call *Call
	if n := len(c.free); n > 0 {
		call = c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
	} else {
		call = &Call{c: c, shared: true}
		call.step = call.advance
		call.onTimer = call.onTimeout
	}
	return c.send(call, req, timeout, done)
}

// recycle returns a shared call to its client once nothing refers to it:
// its caller has heard the outcome and no pipeline event is pending.
func (call *Call) recycle() {
	if !call.shared || !call.finished || call.inPipe {
		return
	}
	// Drop what the call refers to, field by field (cheaper than a struct
	// assignment while the collector is marking).
	call.req.Lease = nil
	call.done = nil
	call.resp.Lease, call.resp.Leases, call.resp.Err = nil, nil, nil
	call.blk, call.respBlk = nil, nil
	call.precond = ""
	call.c.free = append(call.c.free, call)
}

func (c *Client) send(call *Call, req Request, timeout time.Duration, done func(Response)) *Call {
	if done == nil {
		done = noopDone
	}
	call.req, call.done, call.rec, call.inc = req, done, -1, c.node.Incarnation()
	call.finished, call.inPipe, call.phase = false, false, 0
	if call.shared && req.Lease != nil && req.Lease == c.body {
		call.blk = c.bodyBlk
		c.body, c.bodyBlk = nil, nil
	}
	switch req.Op {
	case OpCreate, OpUpdate:
		if req.Lease != nil && !call.shared {
			call.req.Lease = copyLease(req.Lease)
		}
	case OpDelete:
		if req.Lease != nil {
			call.precond = req.Lease.ResourceVersion
		}
		call.req.Lease = nil
	default:
		call.req.Lease = nil
	}
	if timeout > 0 {
		switch {
		case !call.shared:
			call.timer = c.node.Clock().AfterFunc(timeout, call.onTimeout)
		case call.ownTimer == nil:
			call.ownTimer = c.node.Clock().AfterFunc(timeout, call.onTimer)
			call.timer = call.ownTimer
		default:
			// Re-arming a stopped timer schedules it exactly as AfterFunc
			// would.
			call.ownTimer.Reset(timeout)
			call.timer = call.ownTimer
		}
	}
	c.dispatch(call)
	return call
}

// dispatch sends the call's request: the first attempt, or a retry.
func (c *Client) dispatch(call *Call) {
	srv := c.srv
	ns := c.ns
	now := srv.sim.Now()
	req := call.req
	srv.counts.add(req.Op)
	ns.counts.add(req.Op)
	srv.seq++
	if srv.cfg.RecordHistory {
		call.rec = srv.record(call, now)
	}
	// One request-latency draw per call, whatever happens to it, so that a
	// fault does not shift the draws of the calls after it.
	lat := srv.requestLatency(ns)
	switch {
	case ns.refuse:
		srv.serverOutcome(call, ServerRefused, now)
		srv.dropBody(call)
		call.resp = Response{Err: ErrConnectionRefused}
		call.phase = phaseToClient
		call.inPipe = true
		c.node.Schedule(now+lat, call.step)
	case ns.dropReq:
		srv.serverOutcome(call, ServerDropped, now)
		srv.dropBody(call)
	default:
		call.phase = phaseToServer
		call.inPipe = true
		srv.sim.Schedule(now+lat, call.step)
	}
}

// Abort gives up on the call at once: done runs now, synchronously, with
// Response{Err: err} (context.Canceled if err is nil), and a later response
// is ignored. The server may still apply the request. Abort after done has
// run is a no-op.
func (call *Call) Abort(err error) {
	if call == nil || call.finished {
		return
	}
	if err == nil {
		err = context.Canceled
	}
	call.finish(Response{Err: err}, ClientAborted)
	call.recycle()
}

// Done reports whether done has run. (For a process that crashed it never
// will, and Done stays false.)
func (call *Call) Done() bool { return call.finished }

func (call *Call) advance() {
	srv := call.c.srv
	call.inPipe = false
	switch call.phase {
	case phaseToServer:
		srv.arrive(call)
	case phaseInService:
		srv.endService(call)
	case phaseToClient:
		call.deliver()
	}
	call.recycle()
}

func (call *Call) onTimeout() {
	if call.finished {
		return
	}
	call.timer = nil // it has fired: nothing to stop
	call.finish(Response{Err: ErrClientTimeout}, ClientTimedOut)
	call.recycle()
}

func (call *Call) deliver() {
	if call.finished {
		// The client gave up while the response travelled.
		call.resp.Lease = nil
		call.dropResp()
		return
	}
	resp := call.resp
	call.resp = Response{}
	if wait := call.retryWait; wait > 0 {
		call.retryWait = 0
		if call.retries < maxRetries {
			call.retry(resp, wait)
			call.dropResp()
			return
		}
		call.retryBody = nil
	}
	outcome := ClientReturned
	if resp.Err == ErrConnectionRefused {
		outcome = ClientRefused
	}
	call.finish(resp, outcome)
	call.dropResp()
}

// retry waits, on the node's clock, the Retry-After of a response the
// client retries by itself, and sends the request again under the call's
// one timeout: the caller hears nothing of the first answer. The history
// records the first attempt as returned to the client (its rest layer).
func (call *Call) retry(resp Response, wait time.Duration) {
	c := call.c
	srv := c.srv
	if call.rec >= 0 {
		r := srv.history.at(call.rec)
		r.Client = ClientReturned
		r.Return = srv.sim.Now()
		r.Err = resp.Err
	}
	call.retries++
	call.inPipe = true
	call.retryTimer = c.node.Clock().AfterFunc(wait, func() {
		call.retryTimer = nil
		call.inPipe = false
		if call.finished || c.node.Incarnation() != call.inc {
			call.recycle()
			return
		}
		call.req.Lease, call.retryBody = call.retryBody, nil
		call.blk = nil
		c.dispatch(call)
	})
}

// dropResp gives up the response's reference to a stored lease.
func (call *Call) dropResp() {
	if b := call.respBlk; b != nil {
		call.respBlk = nil
		call.c.srv.store.unref(b)
	}
}

// dropBody lets go of the request's body: it will not be stored.
func (srv *Server) dropBody(call *Call) {
	call.req.Lease = nil
	if b := call.blk; b != nil {
		call.blk = nil
		srv.store.recycle(b)
	}
}

func (call *Call) finish(resp Response, outcome ClientOutcome) {
	call.finished = true
	if call.timer != nil {
		call.timer.Stop()
		call.timer = nil
	}
	if call.retryTimer != nil {
		call.retryTimer.Stop()
		call.retryTimer = nil
		call.inPipe = false
	}
	call.retryBody, call.retryWait, call.retries = nil, 0, 0
	srv := call.c.srv
	if call.rec >= 0 {
		r := srv.history.at(call.rec)
		r.Client = outcome
		r.Return = srv.sim.Now()
		r.Err = resp.Err
	}
	done := call.done
	call.done = nil
	done(resp)
}

func (srv *Server) arrive(call *Call) {
	if srv.faults.outage != OutageNone {
		srv.outageHit(call)
		return
	}
	if srv.cfg.ServiceTime == nil {
		srv.apply(call)
		return
	}
	if srv.busy {
		call.inPipe = true
		srv.queue = append(srv.queue, call)
		return
	}
	srv.serve(call)
}

func (srv *Server) serve(call *Call) {
	srv.busy = true
	call.phase = phaseInService
	call.inPipe = true
	st := srv.cfg.ServiceTime.sample(srv.svcRand)
	if srv.cfg.Choices != nil {
		lo, hi := srv.cfg.ServiceTime.Bounds()
		st = sim.ChooseDuration(srv.cfg.Choices, srv.sim, nil, sim.ChoiceService, "", min(max(st, lo), hi), lo, hi)
	}
	srv.sim.Schedule(srv.sim.Now()+st, call.step)
}

func (srv *Server) endService(call *Call) {
	if srv.faults.outage != OutageNone {
		srv.outageHit(call)
	} else {
		srv.apply(call)
	}
	if srv.qhead == len(srv.queue) {
		srv.busy = false
		return
	}
	next := srv.queue[srv.qhead]
	srv.queue[srv.qhead] = nil
	srv.qhead++
	switch {
	case srv.qhead == len(srv.queue):
		srv.queue, srv.qhead = srv.queue[:0], 0
	case srv.qhead >= 1024 && 2*srv.qhead >= len(srv.queue):
		// A queue that never drains must not grow its backing array forever.
		n := copy(srv.queue, srv.queue[srv.qhead:])
		clear(srv.queue[n:])
		srv.queue, srv.qhead = srv.queue[:n], 0
	}
	srv.serve(next)
}

// outageHit handles a request that reaches a server in an outage: a hanging
// server swallows it, a refusing one resets the connection.
func (srv *Server) outageHit(call *Call) {
	now := srv.sim.Now()
	srv.dropBody(call)
	if srv.faults.outage == OutageHang {
		srv.serverOutcome(call, ServerDropped, now)
		return
	}
	srv.serverOutcome(call, ServerRefused, now)
	srv.respond(call, Response{Err: ErrConnectionRefused}, now)
}

func (srv *Server) serverOutcome(call *Call, o ServerOutcome, at time.Duration) {
	if call.rec >= 0 {
		r := srv.history.at(call.rec)
		r.Server = o
		r.Apply = at
	}
}

// pickError draws whether an injected error replaces the request.
func (srv *Server) pickError(op Op) *ErrorRule {
	rule := PickError(srv.faults.rules, op, srv.errRand)
	if srv.cfg.Choices != nil {
		rule = srv.chooseError(op, rule)
	}
	return rule
}

// chooseError makes the injected-error pick a choice: 0 for none, i for
// the i-th rule matching op (only rules with a positive probability can
// be chosen: the environment allows no error it never injects).
func (srv *Server) chooseError(op Op, drawn *ErrorRule) *ErrorRule {
	var matching []*ErrorRule
	d := 0
	for i := range srv.faults.rules {
		r := &srv.faults.rules[i]
		if r.matches(op) && r.Probability > 0 {
			matching = append(matching, r)
			if r == drawn {
				d = len(matching)
			}
		}
	}
	if len(matching) == 0 {
		return drawn
	}
	c := sim.Choice{Kind: sim.ChoiceError, At: srv.sim.Now(), Lo: 0, Hi: int64(len(matching)), Drawn: int64(d)}
	if v := sim.Choose(srv.cfg.Choices, &c); v > 0 {
		return matching[v-1]
	}
	return nil
}

// PickError draws whether one of rules injects an error into a request of
// op: one draw from r when some rule matches op, the matching rules
// splitting [0, 1) in order by their probabilities. Nil when none does.
func PickError(rules []ErrorRule, op Op, r *rand.Rand) *ErrorRule {
	u := -1.0
	acc := 0.0
	for i := range rules {
		rule := &rules[i]
		if !rule.matches(op) {
			continue
		}
		if u < 0 {
			u = r.Float64()
		}
		acc += rule.Probability
		if u < acc {
			return rule
		}
	}
	return nil
}

// apply runs the request against the store (or injects an error) at this
// instant and sends the response on its way.
func (srv *Server) apply(call *Call) {
	now := srv.sim.Now()
	c := call.c
	// Copies for the client are only worth making if someone will read them.
	wanted := !call.finished && c.node.Incarnation() == call.inc && !c.ns.dropResp
	var rule *ErrorRule
	if len(srv.faults.rules) > 0 {
		rule = srv.pickError(call.req.Op)
	}
	var resp Response
	outcome := ServerApplied
	name := call.req.Name
	if name == "" && call.req.Lease != nil {
		name = call.req.Lease.Name
	}
	if rule != nil && wanted {
		if call.retryWait = retryWait(rule.Err(name)); call.retryWait > 0 && call.req.Lease != nil {
			// The client still holds the body it sent and will send it
			// again; the store may keep or recycle the one it got.
			call.retryBody = copyLease(call.req.Lease)
		}
	}
	switch {
	case rule != nil && !rule.AfterApply:
		outcome = ServerInjected
		resp.Err = rule.Err(name)
	case rule != nil:
		outcome = ServerAppliedInjected
		srv.execute(call, now, false)
		resp.Err = rule.Err(name)
	default:
		resp = srv.execute(call, now, wanted)
	}
	// A body the store kept is the store's now; any other goes back.
	srv.dropBody(call)
	if call.rec >= 0 {
		r := srv.history.at(call.rec)
		r.Server = outcome
		r.Apply = now
		r.ServerErr = resp.Err
	}
	srv.respond(call, resp, now)
}

// execute runs the request against the store, recording the store's answer.
// out says whether to build the client's copies.
func (srv *Server) execute(call *Call, now time.Duration, out bool) Response {
	st := srv.store
	req := &call.req
	// The body is the call's own: a copy Do made, or handed over to
	// DoShared.
	const owned = true
	var resp Response
	var v version
	var items []version
	stale := false
	readAt := now
	switch req.Op {
	case OpGet, OpList:
		if srv.faults.staleLag > 0 {
			stale = true
			lag := time.Duration(srv.staleRand.Int64N(int64(srv.faults.staleLag) + 1))
			if srv.cfg.Choices != nil {
				lag = sim.ChooseDuration(srv.cfg.Choices, srv.sim, nil, sim.ChoiceStale, "", lag, 0, srv.faults.staleLag)
			}
			readAt = now - lag
		}
		if req.Op == OpGet {
			v, resp.Err = st.getAt(req.Namespace, req.Name, readAt)
			if resp.Err == nil && out {
				resp.Lease = give(call, v)
			}
		} else {
			items = st.listAt(req.Namespace, readAt, stale)
			if out {
				resp.Leases = copyList(items)
			}
		}
	case OpCreate:
		v, resp.Err = st.create(req.Namespace, req.Name, req.Lease, owned, call.blk)
		if resp.Err == nil && out {
			resp.Lease = give(call, v)
		}
	case OpUpdate:
		v, _, resp.Err = st.update(req.Namespace, req.Name, req.Lease, owned, call.blk)
		if resp.Err == nil && out {
			resp.Lease = give(call, v)
		}
	case OpDelete:
		// The deleted state is what the history records: rv 0, no holder.
		_, resp.Err = st.delete(req.Namespace, req.Name, call.precond)
	default:
		resp.Err = errUnknownOp(req.Op)
	}
	if call.rec >= 0 {
		r := srv.history.at(call.rec)
		r.StoreErr = resp.Err
		r.Stale = stale
		r.ReadAt = readAt
		if v.lease != nil {
			r.RV = v.rv
			r.Holder = holderOf(v.lease)
		}
		if req.Op == OpDelete && resp.Err == nil {
			r.RV = st.rev // the revision the delete consumed
		}
		if req.Op == OpList {
			r.Items = make([]ItemVersion, len(items))
			for i, it := range items {
				r.Items[i] = ItemVersion{Name: it.lease.Name, RV: it.rv, Holder: holderOf(it.lease)}
			}
		}
	}
	return resp
}

// give is the Lease a response carries: a copy, or for a shared call the
// stored object itself, whose block the response then refers to.
func give(call *Call, v version) *coordinationv1.Lease {
	if call.shared {
		call.respBlk = v.blk
		return v.lease
	}
	return copyLease(v.lease)
}

func holderOf(l *coordinationv1.Lease) string {
	if l == nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// respond sends resp back to the client, unless nobody can receive it.
func (srv *Server) respond(call *Call, resp Response, now time.Duration) {
	c := call.c
	if call.finished {
		call.respBlk = nil
		return // the client gave up: nobody reads this response
	}
	if c.node.Incarnation() != call.inc {
		// The process that made the call is gone; its successor never sees
		// this response.
		call.respBlk = nil
		if call.rec >= 0 {
			srv.history.at(call.rec).Client = ClientGone
		}
		return
	}
	if c.ns.dropResp {
		call.respBlk = nil
		if call.rec >= 0 {
			srv.history.at(call.rec).ResponseLost = true
		}
		return
	}
	if b := call.respBlk; b != nil {
		b.refs++
	}
	call.resp = resp
	call.phase = phaseToClient
	call.inPipe = true
	c.node.Schedule(now+srv.responseLatency(c.ns), call.step)
}

// record starts the history record of a call being sent now.
func (srv *Server) record(call *Call, now time.Duration) int {
	req := &call.req
	r := Record{
		Seq:         srv.seq,
		Node:        call.c.ns.name,
		Incarnation: call.inc,
		Op:          req.Op,
		Namespace:   req.Namespace,
		Name:        req.Name,
		Invoke:      now,
		client:      call.c,
	}
	if l := req.Lease; l != nil {
		if r.Namespace == "" {
			r.Namespace = l.Namespace
		}
		if r.Name == "" {
			r.Name = l.Name
		}
		r.ReqHolder = holderOf(l)
		r.setReqRV(l.ResourceVersion)
	}
	if call.precond != "" {
		r.setReqRV(call.precond)
	}
	return srv.history.add(r)
}

// setReqRV records the resourceVersion a request sent ("" for none).
func (r *Record) setReqRV(rv string) {
	r.ReqRV, r.BadReqRV = 0, ""
	if rv == "" {
		return
	}
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		r.BadReqRV = rv
		return
	}
	r.ReqRV = n
}
