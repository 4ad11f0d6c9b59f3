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
	c.setFault(func() { c.faults.SetPartition(node, mode) })
	c.logPartition(node, mode, "")
}

// ClearPartition heals node's link.
func (c *Chaos) ClearPartition(node string) { c.SetPartition(node, fakeapi.PartitionNone) }

// setFault changes the fault state under the lock; the change may panic
// on a bad setting, which leaves the lock free.
func (c *Chaos) setFault(change func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change()
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
		return n.Partition()
	}
	return fakeapi.PartitionNone
}

// Outage is the current outage mode.
func (c *Chaos) Outage() fakeapi.OutageMode { return c.outageNow() }

// SetOutage takes the whole server down in mode (OutageNone brings it
// back). It panics on an unknown mode.
func (c *Chaos) SetOutage(mode fakeapi.OutageMode) {
	c.setFault(func() { c.faults.SetOutage(mode) })
	c.logOutage(mode, "")
}

// ClearOutage ends an outage.
func (c *Chaos) ClearOutage() { c.SetOutage(fakeapi.OutageNone) }

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
	c.setFault(func() { c.faults.SetLatencyOverride(node, req, resp) })
	c.logLatency(node, req, resp, "")
}

// ClearLatencyOverride drops the override set for node ("" for every node).
func (c *Chaos) ClearLatencyOverride(node string) { c.SetLatencyOverride(node, nil, nil) }

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
func (c *Chaos) SetErrorRules(rules []fakeapi.ErrorRule) {
	c.setFault(func() { c.faults.SetErrorRules(rules) })
	c.logRules(rules, "")
}

// ResetErrorRules restores the configured rules.
func (c *Chaos) ResetErrorRules() {
	c.setFault(func() { c.faults.ResetErrorRules() })
	c.logRules(c.cfg.Errors, "")
}

func (c *Chaos) logRules(rules []fakeapi.ErrorRule, why string) {
	c.logFault("", "errors", fmt.Sprintf("error rules set (%d rules)%s", len(rules), why))
}

func (c *Chaos) logFault(node, fault, msg string) {
	c.log(Event{Time: time.Now(), Node: node, Fault: fault, Msg: msg})
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
		id := c.faults.NewWindow()
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
		return deref(f)
	case *fakeapi.OutageFault:
		return deref(f)
	case *fakeapi.LatencyFault:
		return deref(f)
	case *fakeapi.ErrorsFault:
		return deref(f)
	case fakeapi.StaleReadsFault, *fakeapi.StaleReadsFault:
		return nil, errors.New("staleReads: not supported over REST")
	default:
		return nil, fmt.Errorf("fault %T: not supported over REST", f)
	}
}

// deref is the fault p points to; a nil p is no fault.
func deref[F fakeapi.Fault](p *F) (fakeapi.Fault, error) {
	if p == nil {
		return nil, errors.New("no fault")
	}
	return *p, nil
}

func (c *Chaos) begin(f fakeapi.Fault, id uint64) {
	c.setFault(func() { c.faults.Begin(id, f) })
	c.logWindow(f, id, true)
}

// end clears the fault if window id still owns it, checking and clearing
// in one critical section so that a setting made meanwhile is never undone.
func (c *Chaos) end(f fakeapi.Fault, id uint64) {
	var owned bool
	c.setFault(func() { owned = c.faults.End(id, f) })
	if !owned {
		c.logFault(faultNode(f), faultName(f), fmt.Sprintf("%s ends, superseded by a later setting (window %d)", faultName(f), id))
		return
	}
	c.logWindow(f, id, false)
}

// logWindow logs the setting window id's fault made: its own (on) or, at
// its end, none.
func (c *Chaos) logWindow(f fakeapi.Fault, id uint64, on bool) {
	why := fmt.Sprintf(" (window %d)", id)
	switch f := f.(type) {
	case fakeapi.PartitionFault:
		c.logPartition(f.Node, pick(on, f.Mode, fakeapi.PartitionNone), why)
	case fakeapi.OutageFault:
		c.logOutage(pick(on, f.Mode, fakeapi.OutageNone), why)
	case fakeapi.LatencyFault:
		c.logLatency(f.Node, pick(on, f.Request, nil), pick(on, f.Response, nil), why)
	case fakeapi.ErrorsFault:
		c.logRules(pick(on, f.Rules, c.cfg.Errors), why)
	}
}

func pick[T any](on bool, a, b T) T {
	if on {
		return a
	}
	return b
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
