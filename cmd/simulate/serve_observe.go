package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/lesim/lesim/fakeapi/rest"
	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios/check"
)

// The callback hook: a program that serve serves reports its leader
// election callbacks with
//
//	POST /lesim/v1/callbacks
//	{"identity": "a_1", "node": "a", "event": "started-leading", "monotonicNanos": 123456789}
//
// event is started-leading or stopped-leading; node (optional, default the
// identity) names the lane; monotonicNanos (optional) is the program's
// CLOCK_MONOTONIC reading when the callback ran — on the same machine it is
// serve's clock too, so HTTP latency does not blur the intervals; without
// it serve uses the time the report arrives. The answer is 204. From these
// serve computes the same overlap, failover and leaderless figures as
// `simulate run`: GET /lesim/v1/summary, and a summary on stop.
const callbacksPath = controlPrefix + "callbacks"

// callbackReport is the hook's body.
type callbackReport struct {
	Identity       string `json:"identity"`
	Node           string `json:"node,omitempty"`
	Event          string `json:"event"`
	MonotonicNanos int64  `json:"monotonicNanos,omitempty"`
}

// observer follows what serve's programs do: every holder change of every
// lease (from the store's commits) and the callbacks they report.
type observer struct {
	mu        sync.Mutex
	log       *lineLog
	start     time.Time
	monoStart int64 // CLOCK_MONOTONIC at start, ns
	holders   map[string]string
	book      intervalBook
	reported  bool
	// stopReason names the end of an interval its process reports
	// (stopped-leading): "stopped" unless serve knows better (--exec
	// knows whether it asked the process to stop).
	stopReason func(node string) string
}

func newObserver(log *lineLog, start time.Time) *observer {
	return &observer{log: log, start: start, monoStart: monotonicNanos(), holders: map[string]string{},
		book: newIntervalBook(), stopReason: func(string) string { return "stopped" }}
}

// intervalBook keeps leading intervals as they open and close; an open
// interval has End -1.
type intervalBook struct {
	ivs  []check.Interval
	open map[string]int // identity -> index of its open interval
}

func newIntervalBook() intervalBook { return intervalBook{open: map[string]int{}} }

// start opens an interval of identity on node at at, unless one is open.
func (b *intervalBook) start(node, identity string, at time.Duration) bool {
	if _, leading := b.open[identity]; leading {
		return false
	}
	b.ivs = append(b.ivs, check.Interval{Node: node, Identity: identity, Start: at, End: -1, Cancelled: -1})
	b.open[identity] = len(b.ivs) - 1
	return true
}

// stop closes identity's open interval at at, if there is one.
func (b *intervalBook) stop(identity string, at time.Duration, reason string) bool {
	i, leading := b.open[identity]
	if !leading {
		return false
	}
	at = max(at, b.ivs[i].Start)
	b.ivs[i].End, b.ivs[i].Cancelled, b.ivs[i].EndReason = at, at, reason
	delete(b.open, identity)
	return true
}

// endNode closes every open interval of node: its process ended.
func (b *intervalBook) endNode(node string, at time.Duration, reason string) {
	for id, i := range b.open {
		if b.ivs[i].Node == node {
			b.stop(id, at, reason)
		}
	}
}

// snapshot is a copy of the intervals, open ones with End -1.
func (b *intervalBook) snapshot() []check.Interval { return slices.Clone(b.ivs) }

// monotonicNanos is this machine's CLOCK_MONOTONIC, which every process on
// it shares (Go's own monotonic reading is per process).
func monotonicNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// commit is the store's OnCommit: one log line per holder change.
func (o *observer) commit(namespace, name string, l *coordinationv1.Lease) {
	holder := ""
	if l != nil && l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	key := namespace + "/" + name
	o.mu.Lock()
	defer o.mu.Unlock()
	prev, seen := o.holders[key]
	if seen && prev == holder {
		return
	}
	o.holders[key] = holder
	if l == nil {
		o.log.printf("serve: lease %s deleted (holder was %s)", key, orDash(prev))
		return
	}
	o.log.printf("serve: lease %s holder %s -> %s at %s", key, orDash(prev), orDash(holder), reports.FormatAt(time.Since(o.start)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// at is when a callback ran, on the run's clock.
func (o *observer) at(rep callbackReport) time.Duration {
	now := time.Since(o.start)
	if rep.MonotonicNanos > 0 && o.monoStart > 0 {
		if t := time.Duration(rep.MonotonicNanos - o.monoStart); t >= 0 && t <= now+time.Second {
			return t
		}
	}
	return now
}

func (o *observer) postCallback(w http.ResponseWriter, r *http.Request) {
	var rep callbackReport
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil || rep.Identity == "" || (rep.Event != "started-leading" && rep.Event != "stopped-leading") {
		http.Error(w, `expected {"identity": ID, "event": "started-leading" or "stopped-leading", "node": NODE, "monotonicNanos": N}`, http.StatusBadRequest)
		return
	}
	if rep.Node == "" {
		rep.Node = rest.NodeOf(r) // the node whose token the report carries
	}
	o.record(rep)
	w.WriteHeader(http.StatusNoContent)
}

// record takes a callback into the intervals.
func (o *observer) record(rep callbackReport) {
	node := rep.Node
	if node == "" {
		node = rep.Identity
	}
	at := o.at(rep)
	// Asked before taking o.mu: stopReason takes the exec run's lock,
	// which holds o.mu's in processEnded.
	reason := o.stopReason(node)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reported = true
	changed := false
	if rep.Event == "started-leading" {
		changed = o.book.start(node, rep.Identity, at)
	} else {
		// A stopped-leading of a candidate that never led changes
		// nothing: client-go calls it too.
		changed = o.book.stop(rep.Identity, at, reason)
	}
	if changed {
		o.log.printf("serve: %s (%s) %s at %s", rep.Identity, node, rep.Event, reports.FormatAt(at))
	}
}

// processEnded closes the open intervals of node's process, which ended
// at at without reporting (killed, or exited without its callbacks).
func (o *observer) processEnded(node string, at time.Duration, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.book.endNode(node, at, reason)
}

// intervals is a copy of the reported intervals (open ones End -1) and
// whether any callback was reported.
func (o *observer) intervals() ([]check.Interval, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.book.snapshot(), o.reported
}

// serveSummary is the observed run in the terms of `simulate run`.
type serveSummary struct {
	Reported          bool           `json:"reported"`
	DurationSeconds   float64        `json:"durationSeconds"`
	Leadership        []intervalJSON `json:"leadership"`
	OverlapSeconds    float64        `json:"overlapSeconds"`
	OverlapMaxSeconds float64        `json:"overlapMaxSeconds"`
	OverlapEpisodes   int            `json:"overlapEpisodes"`
	LeaderlessSeconds float64        `json:"leaderlessSeconds"`
	LeaderlessMax     float64        `json:"leaderlessMaxSeconds"`
	Failovers         []failoverJSON `json:"failovers"`
	Transitions       int            `json:"transitions"`
	Findings          []string       `json:"findings"`
	result            *check.Result
}

type intervalJSON struct {
	Node     string  `json:"node"`
	Identity string  `json:"identity"`
	Start    float64 `json:"startSeconds"`
	End      float64 `json:"endSeconds"`
	Open     bool    `json:"open"`
}

type failoverJSON struct {
	Cause              string  `json:"cause"`
	OnsetSeconds       float64 `json:"onsetSeconds"`
	LostSeconds        float64 `json:"lostSeconds"`
	RecoverySeconds    float64 `json:"recoverySeconds"`
	HandoverGapSeconds float64 `json:"handoverGapSeconds"`
	OverlapSeconds     float64 `json:"overlapSeconds"`
	Restored           bool    `json:"restored"`
	From               string  `json:"from"`
	To                 string  `json:"to"`
}

// summary measures the intervals reported so far with the checkers
// `simulate run` uses; open intervals run to now.
func (o *observer) summary() serveSummary {
	now := time.Since(o.start)
	ivs, reported := o.intervals()
	for _, iv := range ivs {
		now = max(now, iv.Start, iv.End) // reported times may run a little ahead of serve's
	}
	s := serveSummary{Reported: reported, DurationSeconds: now.Seconds(), Leadership: []intervalJSON{}, Failovers: []failoverJSON{}}
	for i := range ivs {
		open := ivs[i].End < 0
		if open {
			ivs[i].End, ivs[i].Cancelled, ivs[i].EndReason = now, now, "run-end"
		}
		s.Leadership = append(s.Leadership, intervalJSON{Node: ivs[i].Node, Identity: ivs[i].Identity, Start: ivs[i].Start.Seconds(), End: ivs[i].End.Seconds(), Open: open})
	}
	res := &check.Result{Scenario: "serve", Duration: now, Leadership: ivs}
	res.Overlap = check.CheckOverlap(ivs)
	res.Leaderless = check.CheckLeaderless(ivs, 0, now)
	res.Failovers = check.CheckFailovers(ivs, nil, 0, now)
	res.Transitions, _ = check.CheckTransitions(ivs)
	s.OverlapSeconds, s.OverlapMaxSeconds, s.OverlapEpisodes = res.Overlap.Total.Seconds(), res.Overlap.Max.Seconds(), len(res.Overlap.Episodes)
	s.LeaderlessSeconds, s.LeaderlessMax = res.Leaderless.Total.Seconds(), res.Leaderless.Max.Seconds()
	for _, f := range res.Failovers {
		s.Failovers = append(s.Failovers, failoverJSON{Cause: f.Cause, OnsetSeconds: f.Onset.Seconds(), LostSeconds: f.Lost.Seconds(),
			RecoverySeconds: f.Recovery.Seconds(), HandoverGapSeconds: f.HandoverGap.Seconds(), OverlapSeconds: f.Overlap.Seconds(),
			Restored: f.Restored, From: f.From, To: f.To})
	}
	s.Transitions = res.Transitions
	s.Findings = reports.Findings(res)
	if s.Findings == nil {
		s.Findings = []string{}
	}
	s.result = res
	return s
}

func (o *observer) getSummary(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(o.summary())
}

// text is the summary as serve prints it on stop.
func (s serveSummary) text() string {
	if !s.Reported {
		return fmt.Sprintf("serve: no callbacks reported (POST %s); no overlap or failover figures", callbacksPath)
	}
	r := s.result
	var b strings.Builder
	fmt.Fprintf(&b, "serve: observed %s: %d leading interval(s); overlap %s in %d episode(s), longest %s; leaderless %s, longest %s; %d failover(s)",
		reports.FormatDuration(r.Duration), len(r.Leadership), reports.FormatDuration(r.Overlap.Total), len(r.Overlap.Episodes), reports.FormatDuration(r.Overlap.Max),
		reports.FormatDuration(r.Leaderless.Total), reports.FormatDuration(r.Leaderless.Max), len(r.Failovers))
	for _, f := range r.Failovers {
		fmt.Fprintf(&b, "\nserve: failover %s -> %s: lost at %s, recovery %s, handover gap %s", orDash(f.From), orDash(f.To), reports.FormatAt(f.Lost), reports.FormatDuration(f.Recovery), reports.FormatDuration(f.HandoverGap))
	}
	for _, f := range s.Findings {
		fmt.Fprintf(&b, "\nserve: FINDING: %s", f)
	}
	return b.String()
}
