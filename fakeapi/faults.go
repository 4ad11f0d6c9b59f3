package fakeapi

import (
	"fmt"
	"time"
)

// PartitionMode is what a partition does to one node's traffic.
type PartitionMode string

// The partition modes. A message is judged when it leaves: a request when
// the client sends it, a response when the server sends it. Messages already
// on the wire when a partition starts or ends are delivered.
const (
	PartitionNone          PartitionMode = ""
	PartitionDropRequests  PartitionMode = "drop-requests"  // requests vanish; the client waits for its timeout or abort
	PartitionDropResponses PartitionMode = "drop-responses" // requests are applied, acknowledgements vanish
	PartitionDropAll       PartitionMode = "drop-all"       // both directions: a full partition
	PartitionRefuse        PartitionMode = "refuse"         // connections are refused: fail fast after one request-latency leg
)

// OutageMode is how the whole API server is down.
type OutageMode string

// The outage modes. A request is judged when it reaches the server and, on a
// serial server, again when its service ends (a queued request meets the
// outage too).
const (
	OutageNone   OutageMode = ""
	OutageRefuse OutageMode = "refuse" // connection refused, answered after the response latency
	OutageHang   OutageMode = "hang"   // requests vanish unanswered
)

// Valid reports whether m is a known mode (PartitionNone included).
func (m PartitionMode) Valid() bool {
	switch m {
	case PartitionNone, PartitionDropRequests, PartitionDropResponses, PartitionDropAll, PartitionRefuse:
		return true
	}
	return false
}

// Valid reports whether m is a known mode (OutageNone included).
func (m OutageMode) Valid() bool {
	switch m {
	case OutageNone, OutageRefuse, OutageHang:
		return true
	}
	return false
}

// SetPartition puts the named node's link to the server into mode
// (PartitionNone clears it). It takes effect for messages sent from now on.
func (srv *Server) SetPartition(node string, mode PartitionMode) { srv.setPartition(node, mode, 0) }

// ClearPartition heals the named node's link.
func (srv *Server) ClearPartition(node string) { srv.setPartition(node, PartitionNone, 0) }

// Partition is the named node's current partition mode.
func (srv *Server) Partition(node string) PartitionMode {
	if ns := srv.nodes[node]; ns != nil {
		return ns.partition
	}
	return PartitionNone
}

func (srv *Server) setPartition(node string, mode PartitionMode, owner uint64) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi: unknown partition mode %q", mode))
	}
	ns := srv.node(node)
	ns.partition, ns.partOwner = mode, owner
	ns.dropReq = mode == PartitionDropRequests || mode == PartitionDropAll
	ns.dropResp = mode == PartitionDropResponses || mode == PartitionDropAll
	ns.refuse = mode == PartitionRefuse
}

// SetOutage takes the whole server down in mode (OutageNone brings it back).
// The store survives an outage, as etcd does an apiserver restart.
func (srv *Server) SetOutage(mode OutageMode) { srv.setOutage(mode, 0) }

// ClearOutage ends an outage.
func (srv *Server) ClearOutage() { srv.setOutage(OutageNone, 0) }

// Outage is the current outage mode.
func (srv *Server) Outage() OutageMode { return srv.outage }

func (srv *Server) setOutage(mode OutageMode, owner uint64) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi: unknown outage mode %q", mode))
	}
	srv.outage, srv.outageOwner = mode, owner
}

// SetStaleReads serves every get and list from a cache that lags by a
// uniformly drawn amount in [0, maxLag] ("api/stale" stream, one draw per
// read); writes still compare against the latest state. Zero turns it off
// and frees the retained versions. Reads cannot look back before the moment
// stale reads were turned on: older versions were not kept.
func (srv *Server) SetStaleReads(maxLag time.Duration) { srv.setStaleReads(maxLag, 0) }

// StaleReads is the current maximum lag (0: off).
func (srv *Server) StaleReads() time.Duration { return srv.staleLag }

func (srv *Server) setStaleReads(maxLag time.Duration, owner uint64) {
	if maxLag < 0 {
		maxLag = 0
	}
	srv.staleLag, srv.staleOwner = maxLag, owner
	srv.store.SetRetention(maxLag)
}

// SetLatencyOverride replaces the named node's latency (node "" means every
// node) for messages sent from now on; a nil direction keeps its current
// distribution. A per-node override beats an every-node one, which beats
// the configuration.
func (srv *Server) SetLatencyOverride(node string, req, resp *Distribution) {
	srv.setLatency(node, req, resp, 0)
}

// ClearLatencyOverride drops the override set for node ("" for every node).
func (srv *Server) ClearLatencyOverride(node string) { srv.setLatency(node, nil, nil, 0) }

func (srv *Server) setLatency(node string, req, resp *Distribution, owner uint64) {
	req, resp = CopyOverride(req, resp)
	if node == "" {
		srv.overReq, srv.overResp, srv.latOwner = req, resp, owner
		return
	}
	ns := srv.node(node)
	ns.link.SetOverride(req, resp)
	ns.latOwner = owner
}

// SetErrorRules replaces the injected-error rules from now on. It panics on
// invalid rules (validateRules).
func (srv *Server) SetErrorRules(rules []ErrorRule) { srv.setErrorRules(rules, 0) }

// ResetErrorRules restores the configured rules.
func (srv *Server) ResetErrorRules() { srv.setErrorRules(srv.cfg.Errors, 0) }

func (srv *Server) setErrorRules(rules []ErrorRule, owner uint64) {
	if err := validateRules(rules); err != nil {
		panic("fakeapi: " + err.Error())
	}
	srv.errRules, srv.errOwner = append([]ErrorRule(nil), rules...), owner
}

// Window is a fault active on the true-time interval [At, At+Duration).
// Duration ≤ 0 leaves it on until the end of the run.
type Window struct {
	At       time.Duration
	Duration time.Duration
	Fault    Fault
}

// Fault is one of PartitionFault, OutageFault, StaleReadsFault,
// LatencyFault and ErrorsFault.
type Fault interface {
	Validate() error
	begin(srv *Server, id uint64)
	end(srv *Server, id uint64)
}

// ScheduleWindow schedules w's start and end as kernel events. Faults of one
// kind on one target do not stack: the window that started last holds the
// setting, and only its own end clears it (the end of an earlier, overlapping
// window does nothing). At equal instants, events run in the order they were
// scheduled, so windows scheduled before a request sent at the same instant
// already apply to it. Windows in the past start at once.
func (srv *Server) ScheduleWindow(w Window) error {
	if w.Fault == nil {
		return fmt.Errorf("window at %v: no fault", w.At)
	}
	if err := w.Fault.Validate(); err != nil {
		return fmt.Errorf("window at %v: %w", w.At, err)
	}
	srv.windows++
	id := srv.windows
	f := w.Fault
	srv.sim.Schedule(w.At, func() { f.begin(srv, id) })
	if w.Duration > 0 {
		srv.sim.Schedule(w.At+w.Duration, func() { f.end(srv, id) })
	}
	return nil
}

// ScheduleWindows schedules each window in order; it schedules none if one
// is invalid.
func (srv *Server) ScheduleWindows(ws []Window) error {
	for i, w := range ws {
		if w.Fault == nil {
			return fmt.Errorf("windows[%d]: no fault", i)
		}
		if err := w.Fault.Validate(); err != nil {
			return fmt.Errorf("windows[%d]: %w", i, err)
		}
	}
	for _, w := range ws {
		if err := srv.ScheduleWindow(w); err != nil {
			return err
		}
	}
	return nil
}

// PartitionFault partitions one node.
type PartitionFault struct {
	Node string
	Mode PartitionMode
}

// Validate implements Fault.
func (f PartitionFault) Validate() error {
	if f.Node == "" {
		return fmt.Errorf("partition: node is required")
	}
	if f.Mode == PartitionNone || !f.Mode.Valid() {
		return fmt.Errorf("partition: unknown mode %q", f.Mode)
	}
	return nil
}

func (f PartitionFault) begin(srv *Server, id uint64) { srv.setPartition(f.Node, f.Mode, id) }
func (f PartitionFault) end(srv *Server, id uint64) {
	if ns := srv.nodes[f.Node]; ns != nil && ns.partOwner == id {
		srv.setPartition(f.Node, PartitionNone, 0)
	}
}

// OutageFault takes the API server down.
type OutageFault struct {
	Mode OutageMode
}

// Validate implements Fault.
func (f OutageFault) Validate() error {
	if f.Mode == OutageNone || !f.Mode.Valid() {
		return fmt.Errorf("outage: unknown mode %q", f.Mode)
	}
	return nil
}

func (f OutageFault) begin(srv *Server, id uint64) { srv.setOutage(f.Mode, id) }
func (f OutageFault) end(srv *Server, id uint64) {
	if srv.outageOwner == id {
		srv.setOutage(OutageNone, 0)
	}
}

// StaleReadsFault serves reads from a lagging cache.
type StaleReadsFault struct {
	MaxLag time.Duration
}

// Validate implements Fault.
func (f StaleReadsFault) Validate() error {
	if f.MaxLag <= 0 {
		return fmt.Errorf("staleReads: maxLag must be positive")
	}
	return nil
}

func (f StaleReadsFault) begin(srv *Server, id uint64) { srv.setStaleReads(f.MaxLag, id) }
func (f StaleReadsFault) end(srv *Server, id uint64) {
	if srv.staleOwner == id {
		srv.setStaleReads(0, 0)
	}
}

// LatencyFault overrides latency for one node, or for all when Node is "".
// A nil direction keeps its distribution.
type LatencyFault struct {
	Node     string
	Request  *Distribution
	Response *Distribution
}

// Validate implements Fault.
func (f LatencyFault) Validate() error {
	if f.Request == nil && f.Response == nil {
		return fmt.Errorf("latency: request or response distribution is required")
	}
	if f.Request != nil {
		if err := f.Request.Validate(); err != nil {
			return fmt.Errorf("latency.request: %w", err)
		}
	}
	if f.Response != nil {
		if err := f.Response.Validate(); err != nil {
			return fmt.Errorf("latency.response: %w", err)
		}
	}
	return nil
}

func (f LatencyFault) begin(srv *Server, id uint64) {
	srv.setLatency(f.Node, f.Request, f.Response, id)
}
func (f LatencyFault) end(srv *Server, id uint64) {
	owner := srv.latOwner
	if f.Node != "" {
		owner = 0
		if ns := srv.nodes[f.Node]; ns != nil {
			owner = ns.latOwner
		}
	}
	if owner == id {
		srv.setLatency(f.Node, nil, nil, 0)
	}
}

// ErrorsFault replaces the injected-error rules during the window; its end
// restores the configured ones.
type ErrorsFault struct {
	Rules []ErrorRule
}

// Validate implements Fault.
func (f ErrorsFault) Validate() error { return validateRules(f.Rules) }

func (f ErrorsFault) begin(srv *Server, id uint64) { srv.setErrorRules(f.Rules, id) }
func (f ErrorsFault) end(srv *Server, id uint64) {
	if srv.errOwner == id {
		srv.setErrorRules(srv.cfg.Errors, 0)
	}
}
