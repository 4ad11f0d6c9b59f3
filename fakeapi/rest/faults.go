package rest

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lesim/lesim/fakeapi"
)

// SetPartition puts node's link into mode (PartitionNone heals it), for
// requests sent, and responses sent back, from now on. It panics on an
// unknown mode, as fakeapi.Server.SetPartition does.
func (c *Chaos) SetPartition(node string, mode fakeapi.PartitionMode) {
	c.setPartition(node, mode, 0, "")
}

// ClearPartition heals node's link.
func (c *Chaos) ClearPartition(node string) {
	c.setPartition(node, fakeapi.PartitionNone, 0, "")
}

func (c *Chaos) setPartition(node string, mode fakeapi.PartitionMode, owner uint64, why string) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi/rest: unknown partition mode %q", mode))
	}
	c.mu.Lock()
	c.setPartitionLocked(node, mode, owner)
	c.mu.Unlock()
	c.logPartition(node, mode, why)
}

func (c *Chaos) setPartitionLocked(node string, mode fakeapi.PartitionMode, owner uint64) {
	n := c.node(node)
	n.partition, n.partOwner = mode, owner
}

func (c *Chaos) logPartition(node string, mode fakeapi.PartitionMode, why string) {
	if mode == fakeapi.PartitionNone {
		c.logFault(node, "partition", "partition ends"+why)
	} else {
		c.logFault(node, "partition "+string(mode), "partition "+string(mode)+" begins"+why)
	}
}

// Partition is node's current partition mode.
func (c *Chaos) Partition(node string) fakeapi.PartitionMode {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.nodes[node]; n != nil {
		return n.partition
	}
	return fakeapi.PartitionNone
}

// Outage is the current outage mode.
func (c *Chaos) Outage() fakeapi.OutageMode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outage
}

// SetOutage takes the whole server down in mode (OutageNone brings it
// back). It panics on an unknown mode.
func (c *Chaos) SetOutage(mode fakeapi.OutageMode) { c.setOutage(mode, 0, "") }

// ClearOutage ends an outage.
func (c *Chaos) ClearOutage() { c.setOutage(fakeapi.OutageNone, 0, "") }

func (c *Chaos) setOutage(mode fakeapi.OutageMode, owner uint64, why string) {
	if !mode.Valid() {
		panic(fmt.Sprintf("fakeapi/rest: unknown outage mode %q", mode))
	}
	c.mu.Lock()
	c.outage, c.outageOwner = mode, owner
	c.mu.Unlock()
	c.logOutage(mode, why)
}

func (c *Chaos) logOutage(mode fakeapi.OutageMode, why string) {
	if mode == fakeapi.OutageNone {
		c.logFault("", "outage", "outage ends"+why)
	} else {
		c.logFault("", "outage "+string(mode), "outage "+string(mode)+" begins"+why)
	}
}

// SetLatencyOverride replaces node's latency (node "" means every node) for
// messages sent from now on; a nil direction keeps its current
// distribution. A per-node override beats an every-node one, which beats
// the configuration.
func (c *Chaos) SetLatencyOverride(node string, req, resp *fakeapi.Distribution) {
	c.setLatency(node, req, resp, 0, "")
}

// ClearLatencyOverride drops the override set for node ("" for every node).
func (c *Chaos) ClearLatencyOverride(node string) { c.setLatency(node, nil, nil, 0, "") }

func (c *Chaos) setLatency(node string, req, resp *fakeapi.Distribution, owner uint64, why string) {
	req, resp = fakeapi.CopyOverride(req, resp)
	c.mu.Lock()
	c.setLatencyLocked(node, req, resp, owner)
	c.mu.Unlock()
	c.logLatency(node, req, resp, why)
}

func (c *Chaos) setLatencyLocked(node string, req, resp *fakeapi.Distribution, owner uint64) {
	if node == "" {
		c.overReq, c.overResp, c.latOwner = req, resp, owner
		return
	}
	n := c.node(node)
	n.link.SetOverride(req, resp)
	n.latOwner = owner
}

func (c *Chaos) logLatency(node string, req, resp *fakeapi.Distribution, why string) {
	if req == nil && resp == nil {
		c.logFault(node, "latency", "latency override ends"+why)
		return
	}
	msg := "latency override begins:"
	if req != nil {
		msg += " request " + req.String()
	}
	if resp != nil {
		msg += " response " + resp.String()
	}
	c.logFault(node, "latency", msg+why)
}

// SetErrorRules replaces the injected-error rules from now on. It panics on
// invalid rules, as fakeapi.Server.SetErrorRules does
// (fakeapi.ErrorsFault{Rules: rules}.Validate says why first).
func (c *Chaos) SetErrorRules(rules []fakeapi.ErrorRule) { c.setErrorRules(rules, 0, "") }

// ResetErrorRules restores the configured rules.
func (c *Chaos) ResetErrorRules() { c.setErrorRules(c.cfg.Errors, 0, "") }

func (c *Chaos) setErrorRules(rules []fakeapi.ErrorRule, owner uint64, why string) {
	if err := (fakeapi.ErrorsFault{Rules: rules}).Validate(); err != nil {
		panic("fakeapi/rest: " + err.Error())
	}
	c.mu.Lock()
	c.rules, c.rulesOwner = slices.Clone(rules), owner
	c.mu.Unlock()
	c.logRules(rules, why)
}

func (c *Chaos) logRules(rules []fakeapi.ErrorRule, why string) {
	c.logFault("", "errors", fmt.Sprintf("error rules set (%d rules)%s", len(rules), why))
}

func (c *Chaos) logFault(node, fault, msg string) {
	c.log(Event{Time: time.Now(), Node: node, Fault: fault, Msg: msg}) // lesim:allow real-time path: fault log time
}

// Schedule realises fakeapi windows (PartitionFault, OutageFault,
// LatencyFault, ErrorsFault) with time.AfterFunc relative to start: a
// window begins at start+At and, when Duration > 0, ends at
// start+At+Duration. StaleReadsFault is refused: the store's stale reads
// are not reachable from outside fakeapi. Windows in the past begin at
// once. It schedules nothing if a window is invalid.
//
// The semantics are fakeapi.Server.ScheduleWindow's: faults of one kind on
// one target do not stack — the window that began last owns the setting and
// only its own end clears it. Transitions at one instant run in window
// order (a window's begin before its end), in one timer callback, so their
// order does not depend on goroutine scheduling; a request arriving at that
// very instant may see either side.
//
// stop cancels the transitions that have not run yet; faults already begun
// stay until cleared.
func (c *Chaos) Schedule(start time.Time, windows []fakeapi.Window) (stop func(), err error) {
	faults := make([]fakeapi.Fault, len(windows))
	for i, w := range windows {
		f, err := normalizeFault(w.Fault)
		if err != nil {
			return nil, fmt.Errorf("windows[%d]: %w", i, err)
		}
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("windows[%d]: %w", i, err)
		}
		faults[i] = f
	}
	type step struct {
		at  time.Time
		run func()
	}
	var steps []step
	for i, w := range windows {
		c.mu.Lock()
		c.windows++
		id := c.windows
		c.mu.Unlock()
		f := faults[i]
		steps = append(steps, step{start.Add(w.At), func() { c.begin(f, id) }})
		if w.Duration > 0 {
			steps = append(steps, step{start.Add(w.At + w.Duration), func() { c.end(f, id) }})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })

	var stopped atomic.Bool
	var timers []*time.Timer
	for i := 0; i < len(steps); {
		j := i + 1
		for j < len(steps) && steps[j].at.Equal(steps[i].at) {
			j++
		}
		group := steps[i:j]
		t := time.AfterFunc(time.Until(group[0].at), func() {
			for _, s := range group {
				if stopped.Load() {
					return
				}
				s.run()
			}
		})
		timers = append(timers, t)
		i = j
	}
	return func() {
		stopped.Store(true)
		for _, t := range timers {
			t.Stop()
		}
	}, nil
}

// normalizeFault turns pointers to faults into values and refuses what
// Chaos cannot realise.
func normalizeFault(f fakeapi.Fault) (fakeapi.Fault, error) {
	switch f := f.(type) {
	case nil:
		return nil, errors.New("no fault")
	case fakeapi.PartitionFault, fakeapi.OutageFault, fakeapi.LatencyFault, fakeapi.ErrorsFault:
		return f, nil
	case *fakeapi.PartitionFault:
		if f != nil {
			return *f, nil
		}
	case *fakeapi.OutageFault:
		if f != nil {
			return *f, nil
		}
	case *fakeapi.LatencyFault:
		if f != nil {
			return *f, nil
		}
	case *fakeapi.ErrorsFault:
		if f != nil {
			return *f, nil
		}
	case fakeapi.StaleReadsFault, *fakeapi.StaleReadsFault:
		return nil, errors.New("staleReads: not supported over REST")
	default:
		return nil, fmt.Errorf("fault %T: not supported over REST", f)
	}
	return nil, errors.New("no fault")
}

func (c *Chaos) begin(f fakeapi.Fault, id uint64) {
	why := fmt.Sprintf(" (window %d)", id)
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		c.setPartition(f.Node, f.Mode, id, why)
	case fakeapi.OutageFault:
		c.setOutage(f.Mode, id, why)
	case fakeapi.LatencyFault:
		c.setLatency(f.Node, f.Request, f.Response, id, why)
	case fakeapi.ErrorsFault:
		c.setErrorRules(f.Rules, id, why)
	}
}

// end clears the fault if window id still owns it, checking and clearing
// in one critical section so that a setting made meanwhile is never undone.
func (c *Chaos) end(f fakeapi.Fault, id uint64) {
	why := fmt.Sprintf(" (window %d)", id)
	owned := false
	c.mu.Lock()
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		if owned = c.node(f.Node).partOwner == id; owned {
			c.setPartitionLocked(f.Node, fakeapi.PartitionNone, 0)
		}
	case fakeapi.OutageFault:
		if owned = c.outageOwner == id; owned {
			c.outage, c.outageOwner = fakeapi.OutageNone, 0
		}
	case fakeapi.LatencyFault:
		owner := c.latOwner
		if f.Node != "" {
			owner = c.node(f.Node).latOwner
		}
		if owned = owner == id; owned {
			c.setLatencyLocked(f.Node, nil, nil, 0)
		}
	case fakeapi.ErrorsFault:
		if owned = c.rulesOwner == id; owned {
			c.rules, c.rulesOwner = slices.Clone(c.cfg.Errors), 0
		}
	}
	c.mu.Unlock()
	if !owned {
		c.logFault(faultNode(f), faultName(f), fmt.Sprintf("%s ends, superseded by a later setting%s", faultName(f), why))
		return
	}
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		c.logPartition(f.Node, fakeapi.PartitionNone, why)
	case fakeapi.OutageFault:
		c.logOutage(fakeapi.OutageNone, why)
	case fakeapi.LatencyFault:
		c.logLatency(f.Node, nil, nil, why)
	case fakeapi.ErrorsFault:
		c.logRules(c.cfg.Errors, why)
	}
}

func faultNode(f fakeapi.Fault) string {
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		return f.Node
	case fakeapi.LatencyFault:
		return f.Node
	}
	return ""
}

func faultName(f fakeapi.Fault) string {
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		return "partition " + string(f.Mode)
	case fakeapi.OutageFault:
		return "outage " + string(f.Mode)
	case fakeapi.LatencyFault:
		return "latency"
	case fakeapi.ErrorsFault:
		return "errors"
	}
	return fmt.Sprintf("%T", f)
}
