package elector

import (
	"fmt"
	"time"
)

// EventKind names an entry of the elector's event stream.
type EventKind uint8

// The event stream a trace records, in the vocabulary of client-go's logs.
const (
	EvRunStarted       EventKind = iota + 1 // Run was called
	EvTryStarted                            // an acquire, renew or release attempt begins
	EvCallSent                              // an API call left the node
	EvCallReturned                          // an API call completed (Err set on failure)
	EvBecameLeader                          // the acquiring write succeeded
	EvStartedLeading                        // OnStartedLeading delivered
	EvRenewed                               // a renew poll succeeded
	EvRenewFailed                           // a renew poll gave up (deadline or cancellation)
	EvReleased                              // the release write succeeded
	EvReleaseFailed                         // release ended without writing
	EvLeadingCancelled                      // the leading context was cancelled
	EvStoppedLeading                        // OnStoppedLeading called; Run has returned
	EvNewLeader                             // OnNewLeader delivered
	EvObserved                              // observedRecord/observedTime moved (Holder, LeaseDurationSeconds)
)

var eventNames = [...]string{
	EvRunStarted:       "run-started",
	EvTryStarted:       "try-started",
	EvCallSent:         "call-sent",
	EvCallReturned:     "call-returned",
	EvBecameLeader:     "became-leader",
	EvStartedLeading:   "started-leading",
	EvRenewed:          "renewed",
	EvRenewFailed:      "renew-failed",
	EvReleased:         "released",
	EvReleaseFailed:    "release-failed",
	EvLeadingCancelled: "leading-cancelled",
	EvStoppedLeading:   "stopped-leading",
	EvNewLeader:        "new-leader",
	EvObserved:         "observed",
}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", k)
}

// Phase says which loop an attempt belongs to.
type Phase uint8

// Attempt phases.
const (
	PhaseAcquire Phase = iota + 1
	PhaseRenew
	PhaseRelease
)

func (p Phase) String() string {
	switch p {
	case PhaseAcquire:
		return "acquire"
	case PhaseRenew:
		return "renew"
	case PhaseRelease:
		return "release"
	}
	return "none"
}

// Event is one entry of the stream. Local is the node's monotonic reading.
type Event struct {
	Kind     EventKind
	Identity string
	Local    time.Time
	Phase    Phase
	Op       string // for calls: get, create, update
	Err      error  // for returned calls and failures
	Holder   string // for new-leader and observed
	// LeaseDurationSeconds is the observed record's, for observed: with
	// Local it says when this node believes the lease expires.
	LeaseDurationSeconds int
}

// Metrics are client-go's leader election metric signals as counters.
type Metrics struct {
	LeaderOn          int // "leader on" (acquired)
	LeaderOff         int // "leader off" (construction and every failed renew poll)
	SlowPathExercised int // a renewal went through Get + Update
	Attempts          int
	Calls             int
}
