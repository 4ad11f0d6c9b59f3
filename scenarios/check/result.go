package check

import (
	"time"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/scenarios"
)

// Result is what one run of a scenario measured, on true time.
type Result struct {
	Scenario string
	Seed     uint64
	Duration time.Duration
	// TraceHash is a hash of the full event sequence: equal inputs give
	// equal hashes on every machine.
	TraceHash string
	// Real says the result measured real processes on the wall clock
	// (serve --exec), not a simulation: there is no trace hash.
	Real bool

	Nodes []NodeSummary

	Leadership []Interval // leading intervals of every process, by start
	Overlap    Overlap
	// Leaderless counts from the first node's start to the end of the run.
	Leaderless Leaderless
	// Liveness says whether and when there was a leader.
	Liveness Liveness
	// Failovers lists every loss of leadership before the run's end with
	// its cause, recovery and handover gap.
	Failovers []Failover
	// LivenessWindow is the scenario's: some node must lead inside it
	// when it ends within the run.
	LivenessWindow scenarios.LivenessWindow

	Transitions         int // leadership changed hands (a new leader after another)
	SpuriousTransitions int // leadership lost with no crash, stop or pause of the leader
	StaleLeader         time.Duration
	PausedWhileLeading  time.Duration
	// StoppedLeadingCalls counts OnStoppedLeading per process that ended;
	// RunsEnded counts the processes whose Run returned. They must agree.
	StoppedLeadingCalls int
	RunsEnded           int

	API      APILoad
	Workload WorkloadStats
	Faults   []FaultWindow // the fault schedule as it happened, for reports

	Expect ExpectResult
	// ExpectSet says the scenario wrote spec.expect; without it Expect
	// judges only requireLeader's default.
	ExpectSet bool

	// Trace holds every event when the run kept it (RunOptions.KeepTrace).
	Trace []TraceEvent
}

// NodeSummary describes one node of the run.
type NodeSummary struct {
	Name     string
	Rate     float64 // initial clock rate
	Requests int
	// ByOp counts the node's requests per verb, as sent by its clients
	// (ByOp.ByVerb names them).
	ByOp fakeapi.Counts
	// Processes lists the identities the node ran under, in order.
	Processes []string
}

// Interval is one leading interval: from OnStartedLeading to the
// cancellation of its context plus the workload's drain.
type Interval struct {
	Node     string
	Identity string
	Start    time.Duration
	End      time.Duration
	// Cancelled is when the leading context was cancelled (End minus the
	// drain), or the run's end if it never was.
	Cancelled time.Duration
	// EndReason says what ended it: "renew-failed", "stopped", "crashed",
	// "run-end".
	EndReason string
	// Paused lists the pause windows inside the interval.
	Paused []Window
}

// Window is a span of true time.
type Window struct {
	Start, End time.Duration
}

// Overlap measures time with two or more nodes leading.
type Overlap struct {
	Total    time.Duration
	Max      time.Duration
	Episodes []Window
}

// Liveness is whether and when the run had a leader.
type Liveness struct {
	// Start is when a leader could first exist: the first node's start.
	Start time.Duration
	// NeverLed is true when no process led at any time of the run.
	NeverLed bool
	// TimeToFirstLeader runs from Start to the first OnStartedLeading; the
	// whole run from Start when NeverLed.
	TimeToFirstLeader time.Duration
}

// Leaderless measures time with no node leading, from the first node's
// start to the end of the run.
type Leaderless struct {
	Total time.Duration
	Max   time.Duration
}

// Failover is one loss of leadership: a leading interval that ended
// before the run did, whatever ended it.
type Failover struct {
	// Cause is the fault type that hit the leader while it led
	// (partition, crash, stop, pause, apiOutage, ...), else its interval's
	// end reason (renew-failed: a spurious loss; crashed; stopped).
	Cause string
	// Onset is when the cause began: the fault's start, else the
	// cancellation of the leader's context.
	Onset time.Duration
	// Lost is when the old leader stopped leading (its interval's end,
	// drain included).
	Lost time.Duration
	From string // the node that lost leadership
	To   string // the node that then led alone; "" when none did
	// Restored is true when some node led alone after the loss.
	Restored bool
	// Recovery runs from Onset to the first moment at or after Lost at
	// which exactly one node leads; to the run's end when not Restored.
	Recovery time.Duration
	// HandoverGap is the leaderless time from Lost to the next leader: 0
	// when another node already led (then Overlap says for how long they
	// both did); up to the run's end when nobody led again.
	HandoverGap time.Duration
	// Overlap is the time the lost leader's interval shared with other
	// leaders.
	Overlap time.Duration
}

// APILoad is the election's API traffic.
type APILoad struct {
	Requests  int
	PerSecond float64
	ByOp      fakeapi.Counts // requests per verb
}

// WorkloadStats counts the leader workload's writes to the protected
// object. Unsafe writes were issued by a node that was not the stored
// holder when the write applied; with fencing those are rejected (Fenced),
// without it they are accepted (Unsafe).
type WorkloadStats struct {
	Writes       int
	UnsafeWrites int
	FencedWrites int
}

// FaultWindow is a fault as it happened.
type FaultWindow struct {
	Type  string
	Nodes []string
	Start time.Duration
	End   time.Duration // equal to Start for instantaneous faults
	Note  string
}

// ExpectResult says whether spec.expect held.
type ExpectResult struct {
	Passed     bool
	Violations []string
}

// TraceEvent is one line of the trace: true time, the node and its local
// (monotonic) reading, what happened and details.
type TraceEvent struct {
	Seq      int           `json:"seq"`
	At       time.Duration `json:"at"`
	Node     string        `json:"node,omitempty"`
	Local    time.Duration `json:"local,omitempty"`
	Identity string        `json:"identity,omitempty"`
	Kind     string        `json:"kind"`
	Detail   string        `json:"detail,omitempty"`
}
