package sim

import (
	"fmt"
	"time"
)

// A run makes nondeterministic choices: how late a request or response
// arrives, how long an acquire loop waits, whether an injected error hits,
// how stale a read is, how long a serial server takes, where a fault with
// a ranged start falls, which clock rate a node in a band gets. Each is
// made at a choice point: the draw from the point's own seeded stream
// happens as it always does, and then, when the run has a Chooser, the
// chooser may keep that value or pick another inside the point's bounds.
// Without a chooser nothing else happens, so seeded runs are unchanged and
// the hot path pays one nil check.
//
// A chooser sees every choice in the order the run makes it, which is
// deterministic; that order and the point's (kind, subject, ordinal) name
// each choice, so a sequence recorded from one run replays exactly in
// another and can be edited, searched and shrunk.

// ChoiceKind is what a choice decides.
type ChoiceKind uint8

const (
	// ChoiceJitter is an acquire loop's wait before its next try, in
	// [RetryPeriod, RetryPeriod·(1+JitterFactor)) of the node's clock.
	ChoiceJitter ChoiceKind = iota + 1
	// ChoiceRequest is a request's delay from node to server.
	ChoiceRequest
	// ChoiceResponse is a response's delay from server to node.
	ChoiceResponse
	// ChoiceService is a serial server's service time for one request.
	ChoiceService
	// ChoiceError picks an injected error: 0 for none, i for the i-th
	// matching rule.
	ChoiceError
	// ChoiceStale is a stale read's lag behind the store.
	ChoiceStale
	// ChoiceFaultStart and ChoiceFaultLength place a fault whose start or
	// length the scenario gives as a range (subject: the fault's index).
	ChoiceFaultStart
	ChoiceFaultLength
	// ChoiceClockRate is a node's clock rate inside its band, in parts
	// per million (1.25 is 1250000).
	ChoiceClockRate
	// ChoiceTie is a race client-go leaves to the scheduler: 0 or 1.
	ChoiceTie
	choiceKinds
)

var choiceKindNames = [choiceKinds]string{"", "jitter", "request", "response", "service", "error", "stale", "faultStart", "faultLength", "clockRate", "tie"}

func (k ChoiceKind) String() string {
	if k > 0 && k < choiceKinds {
		return choiceKindNames[k]
	}
	return fmt.Sprintf("ChoiceKind(%d)", uint8(k))
}

// ParseChoiceKind is String's inverse.
func ParseChoiceKind(s string) (ChoiceKind, bool) {
	for k := ChoiceKind(1); k < choiceKinds; k++ {
		if choiceKindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// IsDuration says whether the kind's values are durations in nanoseconds.
func (k ChoiceKind) IsDuration() bool {
	return k != ChoiceError && k != ChoiceClockRate && k != ChoiceTie
}

// Choice is one choice point as the run reaches it.
type Choice struct {
	Kind ChoiceKind
	// Subject is the node the choice is about ("" for the server's own),
	// or the fault's index for fault placement.
	Subject string
	// At is the true time of the choice. Local and Rate are the subject
	// node's clock reading and rate then (zero when there is no node).
	At    time.Duration
	Local time.Duration
	Rate  float64
	// Lo and Hi bound the value (inclusive); Drawn is what the seeded
	// stream gave, always inside them.
	Lo, Hi, Drawn int64
}

// Chooser makes the choices of one run. It returns the value to use; a
// value outside [Lo, Hi] is clamped into it by the caller (Clamp).
type Chooser interface {
	Choose(c *Choice) int64
}

// Clamp returns v inside [c.Lo, c.Hi].
func (c *Choice) Clamp(v int64) int64 { return min(max(v, c.Lo), c.Hi) }

// Choose asks ch (nil: keep the draw) for the value of c, clamped to its
// bounds.
func Choose(ch Chooser, c *Choice) int64 {
	if ch == nil {
		return c.Drawn
	}
	return c.Clamp(ch.Choose(c))
}

// ChooseDuration is Choose for a duration choice of kind about subject at
// the simulation's present, with the draw and the bounds given; clk, when
// not nil, is the subject's clock.
func ChooseDuration(ch Chooser, s *Sim, clk *Clock, kind ChoiceKind, subject string, drawn, lo, hi time.Duration) time.Duration {
	c := Choice{Kind: kind, Subject: subject, At: s.now, Lo: int64(lo), Hi: int64(max(lo, hi)), Drawn: int64(drawn)}
	if clk != nil {
		c.Local, c.Rate = clk.LocalNow(), clk.Rate()
	}
	return time.Duration(Choose(ch, &c))
}

// ChoiceKey names a choice across runs: its kind, its subject, and how
// many choices of that kind and subject came before it in the run.
type ChoiceKey struct {
	Kind    ChoiceKind
	Subject string
	N       int
}

func (k ChoiceKey) String() string { return fmt.Sprintf("%s/%s#%d", k.Kind, k.Subject, k.N) }

// Made is one choice as a run made it.
type Made struct {
	Key    ChoiceKey
	Choice Choice
	Value  int64
}

// Recorder is a Chooser that lets Next choose (nil: keep every draw) and
// records every choice the run made, in order.
type Recorder struct {
	Next  Chooser
	Made  []Made
	count choiceCounter
}

type choiceSubject struct {
	kind    ChoiceKind
	subject string
}

// choiceCounter numbers the choices of each kind about each subject in
// the order they are made: the N of their keys, for recording and replay
// alike.
type choiceCounter map[choiceSubject]int

// key returns the key of choice c and counts it.
func (cc *choiceCounter) key(c *Choice) ChoiceKey {
	if *cc == nil {
		*cc = make(choiceCounter)
	}
	cs := choiceSubject{c.Kind, c.Subject}
	n := (*cc)[cs]
	(*cc)[cs] = n + 1
	return ChoiceKey{Kind: c.Kind, Subject: c.Subject, N: n}
}

// Choose implements Chooser.
func (r *Recorder) Choose(c *Choice) int64 {
	k := r.count.key(c)
	v := Choose(r.Next, c)
	r.Made = append(r.Made, Made{Key: k, Choice: *c, Value: v})
	return v
}

// Pins is a Chooser that replays pinned values: the choice named by a key
// of the map gets its value (clamped to the choice's bounds), every other
// choice keeps its draw. A run's full recording as pins replays the run
// exactly; a subset of it is a shrunk schedule.
type Pins struct {
	Values map[ChoiceKey]int64
	count  choiceCounter
}

// NewPins returns pins for the values.
func NewPins(values map[ChoiceKey]int64) *Pins { return &Pins{Values: values} }

// PinsOf returns the pins that replay made: every choice of the recording.
func PinsOf(made []Made) map[ChoiceKey]int64 {
	m := make(map[ChoiceKey]int64, len(made))
	for _, x := range made {
		m[x.Key] = x.Value
	}
	return m
}

// Choose implements Chooser.
func (p *Pins) Choose(c *Choice) int64 {
	if v, ok := p.Values[p.count.key(c)]; ok {
		return v
	}
	return c.Drawn
}

// Chain returns a chooser that asks first, then asks then with first's
// value as the draw (nil then: first alone).
func Chain(first, then Chooser) Chooser {
	if then == nil {
		return first
	}
	return chain{first, then}
}

type chain struct{ first, then Chooser }

func (c chain) Choose(x *Choice) int64 {
	y := *x
	y.Drawn = x.Clamp(c.first.Choose(x))
	return c.then.Choose(&y)
}
