package reports

import (
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/lesim/lesim/scenarios/check"
)

// Summary is the JSON form of a run's result. Its keys are an interface:
// scripts, dashboards and the gate read them, so they only ever grow.
// Times are true (simulated) seconds as float64; lists are never null.
type Summary struct {
	Scenario        string  `json:"scenario"`
	Seed            uint64  `json:"seed"`
	DurationSeconds float64 `json:"durationSeconds"`
	TraceHash       string  `json:"traceHash"`
	// Real marks a measurement of real processes on the wall clock
	// (serve --exec); absent for a simulated run.
	Real bool `json:"real,omitempty"`

	Nodes      []NodeSummary  `json:"nodes"`
	Leadership []LeaderTerm   `json:"leadership"`
	Overlap    OverlapSummary `json:"overlap"`
	Leaderless LeaderlessSum  `json:"leaderless"`
	Liveness   LivenessSum    `json:"liveness"`
	Failovers  []FailoverSum  `json:"failovers"`

	Transitions               int     `json:"transitions"`
	SpuriousTransitions       int     `json:"spuriousTransitions"`
	StaleLeaderSeconds        float64 `json:"staleLeaderSeconds"`
	PausedWhileLeadingSeconds float64 `json:"pausedWhileLeadingSeconds"`
	StoppedLeadingCalls       int     `json:"stoppedLeadingCalls"`
	RunsEnded                 int     `json:"runsEnded"`

	API      APISummary      `json:"api"`
	Workload WorkloadSummary `json:"workload"`
	Faults   []FaultSummary  `json:"faults"`
	Expect   ExpectSummary   `json:"expect"`
}

// NodeSummary is one node of the run.
type NodeSummary struct {
	Name      string   `json:"name"`
	ClockRate float64  `json:"clockRate"`
	Requests  int      `json:"requests"`
	Processes []string `json:"processes"`
}

// LeaderTerm is one leading interval.
type LeaderTerm struct {
	Node             string   `json:"node"`
	Identity         string   `json:"identity"`
	StartSeconds     float64  `json:"startSeconds"`
	EndSeconds       float64  `json:"endSeconds"`
	CancelledSeconds float64  `json:"cancelledSeconds"`
	EndReason        string   `json:"endReason"`
	Paused           []Window `json:"paused"`
}

// Window is a span of true time in seconds.
type Window struct {
	StartSeconds float64 `json:"startSeconds"`
	EndSeconds   float64 `json:"endSeconds"`
}

// OverlapSummary measures time with two or more leaders. Episodes is the
// count; EpisodeWindows lists them.
type OverlapSummary struct {
	TotalSeconds   float64  `json:"totalSeconds"`
	MaxSeconds     float64  `json:"maxSeconds"`
	Episodes       int      `json:"episodes"`
	EpisodeWindows []Window `json:"episodeWindows"`
}

// LeaderlessSum measures time with no leader, from the first node's start
// to the end of the run.
type LeaderlessSum struct {
	TotalSeconds float64 `json:"totalSeconds"`
	MaxSeconds   float64 `json:"maxSeconds"`
}

// LivenessSum says whether and when the run had a leader. NeverLed is
// explicit; TimeToFirstLeaderSeconds counts from the first node's start
// (the whole run from it when nobody led). Window is the scenario's
// liveness window: some node must lead in it when it ends within the run.
type LivenessSum struct {
	// Failed is the liveness verdict (expect.requireLeader's): nobody
	// led, nobody led in the window, or leadership was not restored.
	Failed                   bool    `json:"failed"`
	NeverLed                 bool    `json:"neverLed"`
	StartSeconds             float64 `json:"startSeconds"`
	TimeToFirstLeaderSeconds float64 `json:"timeToFirstLeaderSeconds"`
	// Unrestored counts the failovers after which no node led alone again.
	Unrestored int    `json:"unrestored"`
	Window     Window `json:"window"`
}

// FailoverSum is one loss of leadership (check.Failover): recovery
// from the onset of its cause to a node leading alone again, and the
// handover gap from the loss to the next leader (0 with the overlap when
// the next leader already led).
type FailoverSum struct {
	Cause              string  `json:"cause"`
	OnsetSeconds       float64 `json:"onsetSeconds"`
	LostSeconds        float64 `json:"lostSeconds"`
	From               string  `json:"from"`
	To                 string  `json:"to"`
	Restored           bool    `json:"restored"`
	RecoverySeconds    float64 `json:"recoverySeconds"`
	HandoverGapSeconds float64 `json:"handoverGapSeconds"`
	OverlapSeconds     float64 `json:"overlapSeconds"`
}

// APISummary is the election's API traffic. ByOp is a map: encoding/json
// writes map keys sorted, so its bytes are stable.
type APISummary struct {
	Requests          int            `json:"requests"`
	RequestsPerSecond float64        `json:"requestsPerSecond"`
	ByOp              map[string]int `json:"byOp"`
}

// WorkloadSummary counts the leader workload's writes.
type WorkloadSummary struct {
	Writes       int `json:"writes"`
	UnsafeWrites int `json:"unsafeWrites"`
	FencedWrites int `json:"fencedWrites"`
}

// FaultSummary is a fault as it happened.
type FaultSummary struct {
	Type         string   `json:"type"`
	Nodes        []string `json:"nodes"`
	StartSeconds float64  `json:"startSeconds"`
	EndSeconds   float64  `json:"endSeconds"`
	Note         string   `json:"note,omitempty"`
}

// ExpectSummary says whether spec.expect held. Set is false when the
// scenario has no spec.expect: only requireLeader's default was judged.
type ExpectSummary struct {
	Set        bool     `json:"set"`
	Passed     bool     `json:"passed"`
	Violations []string `json:"violations"`
}

func secs(d time.Duration) float64 { return d.Seconds() }

// orEmpty keeps JSON lists as [] rather than null, so that consumers can
// iterate without a null check.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func windows(ws []check.Window) []Window {
	out := make([]Window, 0, len(ws))
	for _, w := range ws {
		out = append(out, Window{StartSeconds: secs(w.Start), EndSeconds: secs(w.End)})
	}
	return out
}

// NewSummary converts a result to its JSON form.
func NewSummary(r *check.Result) Summary {
	s := Summary{
		Scenario:                  r.Scenario,
		Seed:                      r.Seed,
		DurationSeconds:           secs(r.Duration),
		TraceHash:                 r.TraceHash,
		Real:                      r.Real,
		Nodes:                     []NodeSummary{},
		Leadership:                []LeaderTerm{},
		Failovers:                 []FailoverSum{},
		Transitions:               r.Transitions,
		SpuriousTransitions:       r.SpuriousTransitions,
		StaleLeaderSeconds:        secs(r.StaleLeader),
		PausedWhileLeadingSeconds: secs(r.PausedWhileLeading),
		StoppedLeadingCalls:       r.StoppedLeadingCalls,
		RunsEnded:                 r.RunsEnded,
		Overlap: OverlapSummary{
			TotalSeconds:   secs(r.Overlap.Total),
			MaxSeconds:     secs(r.Overlap.Max),
			Episodes:       len(r.Overlap.Episodes),
			EpisodeWindows: windows(r.Overlap.Episodes),
		},
		Leaderless: LeaderlessSum{TotalSeconds: secs(r.Leaderless.Total), MaxSeconds: secs(r.Leaderless.Max)},
		Liveness: LivenessSum{Failed: r.LivenessFailed(), NeverLed: r.Liveness.NeverLed, StartSeconds: secs(r.Liveness.Start), TimeToFirstLeaderSeconds: secs(r.Liveness.TimeToFirstLeader),
			Window: Window{StartSeconds: secs(r.LivenessWindow.Start), EndSeconds: secs(r.LivenessWindow.End())}},
		API: APISummary{
			Requests:          r.API.Requests,
			RequestsPerSecond: r.API.PerSecond,
			ByOp:              r.API.ByOp.ByVerb(),
		},
		Workload: WorkloadSummary{Writes: r.Workload.Writes, UnsafeWrites: r.Workload.UnsafeWrites, FencedWrites: r.Workload.FencedWrites},
		Faults:   []FaultSummary{},
		Expect:   ExpectSummary{Set: r.ExpectSet, Passed: r.Expect.Passed, Violations: orEmpty(slices.Clone(r.Expect.Violations))},
	}
	for _, n := range r.Nodes {
		s.Nodes = append(s.Nodes, NodeSummary{Name: n.Name, ClockRate: n.Rate, Requests: n.Requests, Processes: orEmpty(slices.Clone(n.Processes))})
	}
	for _, iv := range r.Leadership {
		s.Leadership = append(s.Leadership, LeaderTerm{
			Node: iv.Node, Identity: iv.Identity,
			StartSeconds: secs(iv.Start), EndSeconds: secs(iv.End), CancelledSeconds: secs(iv.Cancelled),
			EndReason: iv.EndReason, Paused: windows(iv.Paused),
		})
	}
	for _, f := range r.Failovers {
		s.Failovers = append(s.Failovers, FailoverSum{Cause: f.Cause, OnsetSeconds: secs(f.Onset), LostSeconds: secs(f.Lost), From: f.From, To: f.To,
			Restored: f.Restored, RecoverySeconds: secs(f.Recovery), HandoverGapSeconds: secs(f.HandoverGap), OverlapSeconds: secs(f.Overlap)})
		if !f.Restored {
			s.Liveness.Unrestored++
		}
	}
	for _, f := range r.Faults {
		s.Faults = append(s.Faults, FaultSummary{Type: f.Type, Nodes: orEmpty(slices.Clone(f.Nodes)), StartSeconds: secs(f.Start), EndSeconds: secs(f.End), Note: f.Note})
	}
	return s
}

// MaxRecoverySeconds is the longest recovery of the run, 0 without any
// failover.
func (s *Summary) MaxRecoverySeconds() float64 {
	m := 0.0
	for _, f := range s.Failovers {
		m = max(m, f.RecoverySeconds)
	}
	return m
}

// WriteJSON writes the summary of r as one indented JSON object and a
// newline.
func WriteJSON(w io.Writer, r *check.Result) error {
	s := NewSummary(r)
	return writeJSON(w, &s)
}

// SummaryJSON is WriteJSON into a byte slice.
func SummaryJSON(r *check.Result) ([]byte, error) {
	return render(func(w io.Writer) error { return WriteJSON(w, r) })
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Violation texts and notes are read by people in terminals, where
	// \u003c is noise.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
