package check

import (
	"slices"
	"time"

	"github.com/lesim/lesim/scenarios"
)

// Monitor is the checkers as observers of a run: it is told, in true-time
// order and as they happen, that a leading interval began or was given its
// end, that the stored lease holder changed, and that a node was paused or
// resumed, and keeps the measurements (overlap, leaderless time, liveness,
// failovers, transitions, stale and paused leadership) current as it goes.
// Finish closes them at the run's end. Its state is the leader count and
// the open episodes, not the history: the intervals it reads are the
// Result's own.
//
// The state at an instant is the one after all of that instant's changes,
// and at one instant ends count before starts, so a handover at one
// instant is neither an overlap nor a leaderless gap. A change is therefore
// applied only once a later instant is told (or at Finish); an end may be
// told ahead of time (a leader draining its work) and cut shorter later (a
// crash), until its instant has passed.
type Monitor struct {
	res    *Result
	first  time.Duration // when a leader could first exist: leaderless time and time to first leader count from it
	end    time.Duration
	grace  time.Duration
	window scenarios.LivenessWindow

	pending []change // told, not yet applied; at most one end per interval
	scratch []change // the changes of the instant being applied
	last    time.Duration

	active    []int // intervals leading now, by index
	holder    string
	paused    map[string]int // node -> the id of its pause in force (absent: not paused)
	pauses    int
	pausedIn  []int // per interval: the pause id of its last Paused window
	count     int
	overFrom  time.Duration // start of the overlap episode in force (count >= 2)
	runFrom   time.Duration // first instant of the run of instants with two or more leaders
	gapFrom   time.Duration
	prevIdent string
	open      []int // failovers (indices into res.Failovers) not yet restored
	gapSet    []bool

	overlap    Overlap
	leaderless Leaderless
	liveness   Liveness
}

// change is one told change, applied at its instant: kinds in the order
// they apply within an instant, changes of one kind in the order told
// (ends and starts by interval index).
type change struct {
	at     time.Duration
	kind   changeKind
	iv     int
	node   string
	holder string
	on     bool // pause: paused (true) or resumed
}

type changeKind int8

const (
	holderChange changeKind = iota
	pause
	leadEnd
	leadStart
)

// NewMonitor watches a run that ends at end, recording into res (whose
// Faults must be the run's fault schedule, told before the first loss of
// leadership). first is the first node's start; grace is how long after a
// fault's end a loss is still the fault's doing (Scenario.FailoverGrace);
// window is the scenario's liveness window (Scenario.Liveness).
func NewMonitor(res *Result, first, end, grace time.Duration, window scenarios.LivenessWindow) *Monitor {
	return &Monitor{res: res, first: first, end: end, grace: grace, window: window,
		paused: map[string]int{}, gapFrom: first, last: first,
		liveness: Liveness{Start: first, NeverLed: true, TimeToFirstLeader: max(end-first, 0)}}
}

// Started tells that res.Leadership[i] began at now (its Start).
func (m *Monitor) Started(now time.Duration, i int) {
	m.advance(now)
	if n := i + 1 - len(m.pausedIn); n > 0 {
		m.pausedIn = append(m.pausedIn, make([]int, n)...)
	}
	m.pending = append(m.pending, change{at: m.res.Leadership[i].Start, kind: leadStart, iv: i})
}

// Ended tells that res.Leadership[i] has its End (now or later) and its
// EndReason; told again, the end moves (a drain cut short).
func (m *Monitor) Ended(now time.Duration, i int) {
	m.advance(now)
	at := m.res.Leadership[i].End
	for k := range m.pending {
		if c := &m.pending[k]; c.kind == leadEnd && c.iv == i {
			c.at = at
			return
		}
	}
	m.pending = append(m.pending, change{at: at, kind: leadEnd, iv: i})
}

// HolderChanged tells that the stored lease names holder from now on.
func (m *Monitor) HolderChanged(now time.Duration, holder string) {
	m.advance(now)
	m.pending = append(m.pending, change{at: now, kind: holderChange, holder: holder})
}

// Paused tells that node was paused (on) or resumed at now.
func (m *Monitor) Paused(now time.Duration, node string, on bool) {
	m.advance(now)
	m.pending = append(m.pending, change{at: now, kind: pause, node: node, on: on})
}

// advance applies every told change of the instants before now.
func (m *Monitor) advance(now time.Duration) {
	for len(m.pending) > 0 {
		next := m.pending[0].at
		for _, c := range m.pending[1:] {
			next = min(next, c.at)
		}
		if next >= now {
			return
		}
		m.apply(next)
	}
}

// apply applies the changes of instant x: first the time since the last
// instant is accounted with the state then in force, then the changes in
// kind order (ends by interval index, as are starts), then the failovers
// waiting for a leader see the new state.
func (m *Monitor) apply(x time.Duration) {
	m.accrue(x)
	now, keep := m.scratch[:0], m.pending[:0]
	for _, c := range m.pending {
		if c.at == x {
			now = append(now, c)
		} else {
			keep = append(keep, c)
		}
	}
	m.pending, m.scratch = keep, now
	slices.SortStableFunc(now, func(a, b change) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return a.iv - b.iv
	})
	stepBefore := m.count
	for _, c := range now {
		switch c.kind {
		case holderChange:
			m.holder = c.holder
		case pause:
			if _, ok := m.paused[c.node]; !c.on {
				delete(m.paused, c.node)
			} else if !ok {
				m.pauses++
				m.paused[c.node] = m.pauses
			}
		case leadEnd:
			m.leadEnded(x, c.iv, stepBefore)
		case leadStart:
			m.leadStarted(x, c.iv)
		}
	}
	if m.count >= 2 && stepBefore < 2 {
		m.runFrom = x
	}
	m.restore(x)
}

// accrue accounts [m.last, x): stale leadership (a leader the store does
// not name) and leadership while paused.
func (m *Monitor) accrue(x time.Duration) {
	d := x - m.last
	m.last = x
	if d <= 0 {
		return
	}
	for _, i := range m.active {
		iv := &m.res.Leadership[i]
		if m.holder != iv.Identity {
			m.res.StaleLeader += d
		}
		id, ok := m.paused[iv.Node]
		if !ok {
			continue
		}
		m.res.PausedWhileLeading += d
		if n := len(iv.Paused); n > 0 && m.pausedIn[i] == id && iv.Paused[n-1].End == x-d {
			iv.Paused[n-1].End = x
			continue
		}
		iv.Paused = append(iv.Paused, Window{Start: x - d, End: x})
		m.pausedIn[i] = id
	}
}

// zeroLength intervals (started and ended at one instant) never led.
func (m *Monitor) zeroLength(i int) bool {
	iv := &m.res.Leadership[i]
	return iv.End >= 0 && iv.End <= iv.Start
}

func (m *Monitor) leadStarted(x time.Duration, i int) {
	iv := &m.res.Leadership[i]
	if m.prevIdent != "" && iv.Identity != m.prevIdent {
		m.res.Transitions++
	}
	m.prevIdent = iv.Identity
	if m.zeroLength(i) {
		return
	}
	if m.liveness.NeverLed {
		m.liveness.NeverLed = false
		m.liveness.TimeToFirstLeader = max(iv.Start-m.first, 0)
	}
	m.active = append(m.active, i)
	m.edge(x, +1)
}

// leadEnded ends interval i at x; stepBefore is the leader count before
// the instant, against which the interval's own overlap is measured.
func (m *Monitor) leadEnded(x time.Duration, i, stepBefore int) {
	iv := &m.res.Leadership[i]
	if iv.EndReason == "renew-failed" {
		m.res.SpuriousTransitions++
	}
	if m.zeroLength(i) {
		return
	}
	m.active = slices.DeleteFunc(m.active, func(a int) bool { return a == i })
	m.edge(x, -1)
	if x >= m.end || iv.EndReason == "run-end" {
		return
	}
	f := Failover{From: iv.Node, Lost: x}
	if stepBefore >= 2 {
		f.Overlap = x - max(m.runFrom, iv.Start)
	}
	f.Cause, f.Onset = failoverCause(*iv, m.res.Faults, m.grace)
	m.res.Failovers = append(m.res.Failovers, f)
	m.open = append(m.open, len(m.res.Failovers)-1)
	m.gapSet = append(m.gapSet, false)
}

// edge moves the leader count by delta at x: overlap episodes (two or more
// leaders) and leaderless gaps (none, from first to end) open and close.
func (m *Monitor) edge(x time.Duration, delta int) {
	before := m.count
	m.count += delta
	if before < 2 && m.count >= 2 {
		m.overFrom = x
	}
	if before >= 2 && m.count < 2 {
		m.overlap.Episodes = append(m.overlap.Episodes, Window{Start: m.overFrom, End: x})
		d := x - m.overFrom
		m.overlap.Total += d
		m.overlap.Max = max(m.overlap.Max, d)
	}
	at := min(max(x, m.first), m.end)
	if before == 0 && m.count > 0 {
		m.gap(m.gapFrom, at)
	}
	if m.count == 0 && before > 0 {
		m.gapFrom = at
	}
}

func (m *Monitor) gap(from, to time.Duration) {
	if to > from {
		m.leaderless.Total += to - from
		m.leaderless.Max = max(m.leaderless.Max, to-from)
	}
}

// restore lets the open failovers see the state after instant x: their
// handover gap ends with the first leader, their recovery when exactly one
// node leads.
func (m *Monitor) restore(x time.Duration) {
	if m.count == 0 {
		return
	}
	k := 0
	for j, fi := range m.open {
		f := &m.res.Failovers[fi]
		if !m.gapSet[j] {
			f.HandoverGap, m.gapSet[j] = x-f.Lost, true
		}
		if m.count == 1 {
			f.Restored, f.To = true, m.res.Leadership[m.active[0]].Node
			f.Recovery = x - f.Onset
			continue
		}
		m.open[k], m.gapSet[k] = fi, m.gapSet[j]
		k++
	}
	m.open, m.gapSet = m.open[:k], m.gapSet[:k]
}

// Finish applies what is left up to the run's end, where every interval
// must have ended (End at most end), and fills res: overlap, leaderless
// time, liveness and its window, failovers, transitions, stale and paused
// leadership.
func (m *Monitor) Finish() {
	m.advance(m.end + 1)
	m.accrue(m.end)
	if m.count == 0 {
		m.gap(m.gapFrom, m.end)
	}
	for j, fi := range m.open {
		f := &m.res.Failovers[fi]
		f.Recovery = m.end - f.Onset
		if !m.gapSet[j] {
			f.HandoverGap = m.end - f.Lost
		}
	}
	m.open, m.gapSet = nil, nil
	m.res.Overlap, m.res.Leaderless, m.res.Liveness = m.overlap, m.leaderless, m.liveness
	m.res.LivenessWindow = m.window
	if m.res.Failovers == nil {
		m.res.Failovers = []Failover{}
	}
}
