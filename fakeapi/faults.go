package fakeapi

import (
	"fmt"
	"slices"
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

// NodeFaults are the faults on one node's link to the server: its
// latency (with the node's own override) and its partition. Both servers
// keep one per node and change it only through their FaultState.
type NodeFaults struct {
	link      Link
	partition PartitionMode
	// dropReq, dropResp and refuse are the partition's effects, kept
	// apart so that the request path tests a flag, not the mode.
	dropReq, dropResp, refuse bool
	partOwner, latOwner       uint64
}

// Partition is the node's partition mode.
func (n *NodeFaults) Partition() PartitionMode { return n.partition }

// DropsRequests reports whether requests the node sends now are lost.
func (n *NodeFaults) DropsRequests() bool { return n.dropReq }

// DropsResponses reports whether responses sent to the node now are lost.
func (n *NodeFaults) DropsResponses() bool { return n.dropResp }

// Refuses reports whether the node's connections are refused now.
func (n *NodeFaults) Refuses() bool { return n.refuse }

// FaultState is the fault model: the API faults in force (partitions and
// latency overrides per node, an outage, the injected-error rules, stale
// reads) and which window holds each. The simulated Server and the REST
// layer's Chaos each keep one, so that a window, a Set call and their
// interplay mean the same on both. It is not safe for concurrent use: a
// concurrent owner guards it with its lock.
//
// Faults of one kind on one target do not stack: the window that began last
// holds the setting, and only its own end clears it (the end of an earlier,
// overlapping window does nothing). A Set call takes a setting from any
// window, so no window's end clears it.
type FaultState struct {
	node       func(name string) *NodeFaults // finds or makes a node's faults
	configured []ErrorRule
	retain     func(maxLag time.Duration) // nil, or keeps old versions for stale reads

	outage            OutageMode
	outageOwner       uint64
	overReq, overResp *Distribution // a latency fault on every node
	latOwner          uint64
	rules             []ErrorRule
	rulesOwner        uint64
	staleLag          time.Duration
	staleOwner        uint64
	windows           uint64
}

// NewFaultState returns a fault state with nothing in force and the
// configured error rules (kept, not copied). node finds or makes the faults
// of the named node; retain, when not nil, learns the stale-read lag (a
// store keeps versions that old).
func NewFaultState(node func(name string) *NodeFaults, configured []ErrorRule, retain func(time.Duration)) *FaultState {
	return &FaultState{node: node, configured: configured, rules: configured, retain: retain}
}

// NewNodeFaults returns a node's faults on link, with nothing in force.
func NewNodeFaults(link Link) *NodeFaults { return &NodeFaults{link: link} }

// Outage is the current outage mode.
func (fs *FaultState) Outage() OutageMode { return fs.outage }

// Rules are the injected-error rules in force; the caller must not change
// them.
func (fs *FaultState) Rules() []ErrorRule { return fs.rules }

// StaleReads is the current maximum read lag (0: off).
func (fs *FaultState) StaleReads() time.Duration { return fs.staleLag }

// RequestLatency draws a request delay for node n: the node's own override
// beats an every-node one, which beats the configuration.
func (fs *FaultState) RequestLatency(n *NodeFaults) time.Duration { return n.link.Request(fs.overReq) }

// ResponseLatency draws a response delay for node n, as RequestLatency.
func (fs *FaultState) ResponseLatency(n *NodeFaults) time.Duration {
	return n.link.Response(fs.overResp)
}

// SetPartition puts the named node's link into mode (PartitionNone clears
// it). It panics on an unknown mode.
func (fs *FaultState) SetPartition(node string, mode PartitionMode) { fs.setPartition(node, mode, 0) }

// SetOutage takes the whole server down in mode (OutageNone brings it
// back). It panics on an unknown mode.
func (fs *FaultState) SetOutage(mode OutageMode) { fs.setOutage(mode, 0) }

// SetStaleReads sets the maximum read lag (0 or less: off).
func (fs *FaultState) SetStaleReads(maxLag time.Duration) { fs.setStaleReads(maxLag, 0) }

// SetLatencyOverride replaces the named node's latency (node "" means every
// node); a nil direction keeps its distribution. Both nil clears it.
func (fs *FaultState) SetLatencyOverride(node string, req, resp *Distribution) {
	fs.setLatency(node, req, resp, 0)
}

// SetErrorRules replaces the injected-error rules. It panics on invalid
// rules (ErrorsFault.Validate says why).
func (fs *FaultState) SetErrorRules(rules []ErrorRule) { fs.setErrorRules(rules, 0) }

// ResetErrorRules brings the configured rules back.
func (fs *FaultState) ResetErrorRules() { fs.setErrorRules(fs.configured, 0) }

// NewWindow returns the identity of a new window: its Begin and End calls
// carry it.
func (fs *FaultState) NewWindow() uint64 {
	fs.windows++
	return fs.windows
}

// Begin puts window id's fault in force; the window now holds its setting.
func (fs *FaultState) Begin(id uint64, f Fault) { f.begin(fs, id) }

// End ends window id's fault and reports whether the window still held the
// setting; if not, a later window or a Set call took it, and End changes
// nothing.
func (fs *FaultState) End(id uint64, f Fault) bool { return f.end(fs, id) }

func (fs *FaultState) setPartition(node string, mode PartitionMode, owner uint64) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi: unknown partition mode %q", mode))
	}
	n := fs.node(node)
	n.partition, n.partOwner = mode, owner
	n.dropReq = mode == PartitionDropRequests || mode == PartitionDropAll
	n.dropResp = mode == PartitionDropResponses || mode == PartitionDropAll
	n.refuse = mode == PartitionRefuse
}

func (fs *FaultState) setOutage(mode OutageMode, owner uint64) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi: unknown outage mode %q", mode))
	}
	fs.outage, fs.outageOwner = mode, owner
}

func (fs *FaultState) setStaleReads(maxLag time.Duration, owner uint64) {
	fs.staleLag, fs.staleOwner = max(maxLag, 0), owner
	if fs.retain != nil {
		fs.retain(fs.staleLag)
	}
}

func (fs *FaultState) setLatency(node string, req, resp *Distribution, owner uint64) {
	req, resp = CopyOverride(req, resp)
	if node == "" {
		fs.overReq, fs.overResp, fs.latOwner = req, resp, owner
		return
	}
	n := fs.node(node)
	n.link.SetOverride(req, resp)
	n.latOwner = owner
}

func (fs *FaultState) setErrorRules(rules []ErrorRule, owner uint64) {
	if err := validateRules(rules); err != nil {
		panic("fakeapi: " + err.Error())
	}
	fs.rules, fs.rulesOwner = slices.Clone(rules), owner
}

// SetPartition puts the named node's link to the server into mode
// (PartitionNone clears it). It takes effect for messages sent from now on.
func (srv *Server) SetPartition(node string, mode PartitionMode) { srv.faults.SetPartition(node, mode) }

// ClearPartition heals the named node's link.
func (srv *Server) ClearPartition(node string) { srv.faults.SetPartition(node, PartitionNone) }

// Partition is the named node's current partition mode.
func (srv *Server) Partition(node string) PartitionMode {
	if ns := srv.nodes[node]; ns != nil {
		return ns.partition
	}
	return PartitionNone
}

// SetOutage takes the whole server down in mode (OutageNone brings it back).
// The store survives an outage, as etcd does an apiserver restart.
func (srv *Server) SetOutage(mode OutageMode) { srv.faults.SetOutage(mode) }

// ClearOutage ends an outage.
func (srv *Server) ClearOutage() { srv.faults.SetOutage(OutageNone) }

// Outage is the current outage mode.
func (srv *Server) Outage() OutageMode { return srv.faults.outage }

// SetStaleReads serves every get and list from a cache that lags by a
// uniformly drawn amount in [0, maxLag] ("api/stale" stream, one draw per
// read); writes still compare against the latest state. Zero turns it off
// and frees the retained versions. Reads cannot look back before the moment
// stale reads were turned on: older versions were not kept.
func (srv *Server) SetStaleReads(maxLag time.Duration) { srv.faults.SetStaleReads(maxLag) }

// StaleReads is the current maximum lag (0: off).
func (srv *Server) StaleReads() time.Duration { return srv.faults.staleLag }

// SetLatencyOverride replaces the named node's latency (node "" means every
// node) for messages sent from now on; a nil direction keeps its current
// distribution. A per-node override beats an every-node one, which beats
// the configuration.
func (srv *Server) SetLatencyOverride(node string, req, resp *Distribution) {
	srv.faults.SetLatencyOverride(node, req, resp)
}

// ClearLatencyOverride drops the override set for node ("" for every node).
func (srv *Server) ClearLatencyOverride(node string) { srv.faults.SetLatencyOverride(node, nil, nil) }

// SetErrorRules replaces the injected-error rules from now on. It panics on
// invalid rules (validateRules).
func (srv *Server) SetErrorRules(rules []ErrorRule) { srv.faults.SetErrorRules(rules) }

// ResetErrorRules restores the configured rules.
func (srv *Server) ResetErrorRules() { srv.faults.ResetErrorRules() }

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
	begin(fs *FaultState, id uint64)
	end(fs *FaultState, id uint64) bool
}

// ScheduleWindow schedules w's start and end as kernel events, with the
// semantics of FaultState: the window that began last holds a setting and
// only its own end clears it. At equal instants, events run in the order
// they were scheduled, so windows scheduled before a request sent at the
// same instant already apply to it. Windows in the past start at once.
func (srv *Server) ScheduleWindow(w Window) error {
	if err := validateFault(w.Fault); err != nil {
		return fmt.Errorf("window at %v: %w", w.At, err)
	}
	srv.scheduleFaults(w.At, w.Duration, []Fault{w.Fault})
	return nil
}

// ScheduleFaults schedules faults that share one window [at, at+d) (d ≤ 0:
// to the end of the run), such as one fault on several nodes: one kernel
// event begins them all, in order, and one ends them. It schedules none if
// one is invalid.
func (srv *Server) ScheduleFaults(at, d time.Duration, faults ...Fault) error {
	for i, f := range faults {
		if err := validateFault(f); err != nil {
			return fmt.Errorf("faults[%d] at %v: %w", i, at, err)
		}
	}
	srv.scheduleFaults(at, d, slices.Clone(faults))
	return nil
}

func (srv *Server) scheduleFaults(at, d time.Duration, faults []Fault) {
	id := srv.faults.NewWindow()
	srv.sim.Schedule(at, func() {
		for _, f := range faults {
			srv.faults.Begin(id, f)
		}
	})
	if d > 0 {
		srv.sim.Schedule(at+d, func() {
			for _, f := range faults {
				srv.faults.End(id, f)
			}
		})
	}
}

func validateFault(f Fault) error {
	if f == nil {
		return fmt.Errorf("no fault")
	}
	return f.Validate()
}

// ScheduleWindows schedules each window in order; it schedules none if one
// is invalid.
func (srv *Server) ScheduleWindows(ws []Window) error {
	for i, w := range ws {
		if err := validateFault(w.Fault); err != nil {
			return fmt.Errorf("windows[%d]: %w", i, err)
		}
	}
	for _, w := range ws {
		srv.scheduleFaults(w.At, w.Duration, []Fault{w.Fault})
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

func (f PartitionFault) begin(fs *FaultState, id uint64) { fs.setPartition(f.Node, f.Mode, id) }
func (f PartitionFault) end(fs *FaultState, id uint64) bool {
	if fs.node(f.Node).partOwner != id {
		return false
	}
	fs.setPartition(f.Node, PartitionNone, 0)
	return true
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

func (f OutageFault) begin(fs *FaultState, id uint64) { fs.setOutage(f.Mode, id) }
func (f OutageFault) end(fs *FaultState, id uint64) bool {
	if fs.outageOwner != id {
		return false
	}
	fs.setOutage(OutageNone, 0)
	return true
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

func (f StaleReadsFault) begin(fs *FaultState, id uint64) { fs.setStaleReads(f.MaxLag, id) }
func (f StaleReadsFault) end(fs *FaultState, id uint64) bool {
	if fs.staleOwner != id {
		return false
	}
	fs.setStaleReads(0, 0)
	return true
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

func (f LatencyFault) begin(fs *FaultState, id uint64) {
	fs.setLatency(f.Node, f.Request, f.Response, id)
}
func (f LatencyFault) end(fs *FaultState, id uint64) bool {
	owner := fs.latOwner
	if f.Node != "" {
		owner = fs.node(f.Node).latOwner
	}
	if owner != id {
		return false
	}
	fs.setLatency(f.Node, nil, nil, 0)
	return true
}

// ErrorsFault replaces the injected-error rules during the window; its end
// restores the configured ones.
type ErrorsFault struct {
	Rules []ErrorRule
}

// Validate implements Fault.
func (f ErrorsFault) Validate() error { return validateRules(f.Rules) }

func (f ErrorsFault) begin(fs *FaultState, id uint64) { fs.setErrorRules(f.Rules, id) }
func (f ErrorsFault) end(fs *FaultState, id uint64) bool {
	if fs.rulesOwner != id {
		return false
	}
	fs.setErrorRules(fs.configured, 0)
	return true
}
