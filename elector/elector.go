package elector

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"
)

// ErrWaitTimeout is what the seed variant's PollImmediateUntil returns when
// its deadline passes (apimachinery's wait.ErrWaitTimeout text).
var ErrWaitTimeout = errors.New("timed out waiting for the condition")

// Elector is one process's leader elector: client-go's LeaderElector as a
// state machine. It is driven by Run, Stop, its clock's timers and its
// lock's completions, and owns no goroutines.
//
// Only one attempt, and within it one lock call, is ever in progress, so
// their state lives in the elector (attempt, call) and every continuation of
// the hot paths — the timers of the loops, the renew poll's deadline and
// tick, the lock's completions — is a method value bound once in New. A
// renewal or an acquire poll therefore allocates nothing here; only rare
// paths (acquisition, release, callbacks) build closures.
type Elector struct {
	cfg   Config
	env   Env
	id    string
	ldSec int

	observed     rl.LeaderElectionRecord
	observedTime time.Time
	observedRaw  RawRecord
	reported     string

	metrics Metrics

	run        *Context // Run's context
	leading    *Context // the context handed to OnStartedLeading
	renewCtx   *Context // the renew loop's context
	acquireCtx *Context // the acquire loop's context

	state       runState
	inflight    Call
	inflightCtx *Context

	timer clock.Timer // the one pending loop timer (acquire wait or renew sleep)

	// The loops' timers, created on first use and re-armed after.
	acquireWaitTimer, renewWaitTimer, pollDeadlineTimer, pollTickTimer, seedTickTimer clock.Timer

	// roundStart is when the renew round in progress began; only the
	// fixed-renew-period mutant reads it.
	roundStart time.Time

	renewPoll pollState // the renew poll in progress (one at a time)
	// tieCtx is the poll context whose deadline instant is lent to the one
	// attempt that won the tick/deadline race (pollDeadline); nil otherwise.
	tieCtx  *Context
	attempt attemptState // the attempt in progress
	call    callState    // the lock call in progress

	bound boundFuncs
}

// attemptState is one tryAcquireOrRenew / tryCoordinatedRenew: its
// context, the local time it started at, the record it would write and
// whom to tell how it ended.
type attemptState struct {
	ctx     *Context
	started time.Time               // local monotonic reading that judges validity
	record  rl.LeaderElectionRecord // what the attempt writes
	done    func(bool)
}

// callState is one lock call under a context.
type callState struct {
	ctx       *Context
	op        string
	getDone   func(*rl.LeaderElectionRecord, RawRecord, error)
	writeDone func(error)
}

// boundFuncs are the elector's continuations as method values, bound once.
type boundFuncs struct {
	acquireWaited, renewWaited, pollDeadline, pollTicked, gridTicked func()
	pollCtxDone, seedPollCtxDone                                     func()
	acquireAttempted, pollAttempted                                  func(bool)
	getReturned, slowGot, coordinatedGot                             func(*rl.LeaderElectionRecord, RawRecord, error)
	writeReturned, fastUpdated, claimed                              func(error)
}

type runState uint8

const (
	stateNew runState = iota
	stateAcquiring
	stateRenewing
	stateReleasing
	stateDone
)

// New validates cfg exactly as client-go's NewLeaderElector does and returns
// an elector that has not started.
func New(cfg Config, env Env) (*Elector, error) {
	if cfg.Variant == "" {
		cfg.Variant = VariantV037
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if env.Clock == nil || env.Rand == nil {
		return nil, fmt.Errorf("elector: Env needs a Clock and a Rand")
	}
	if env.Ties == nil {
		env.Ties = env.Rand
	}
	e := &Elector{cfg: cfg, env: env, id: cfg.Lock.Identity(), ldSec: int(cfg.LeaseDuration / time.Second)}
	e.metrics.LeaderOff++
	e.bound = boundFuncs{
		acquireWaited: e.acquireWaited, renewWaited: e.renewWaited,
		pollDeadline: e.pollDeadline, pollTicked: e.pollTicked, gridTicked: e.gridTicked,
		pollCtxDone: e.pollCtxDone, seedPollCtxDone: e.seedPollCtxDone,
		acquireAttempted: e.acquireAttempted, pollAttempted: e.pollAttempted,
		getReturned: e.getReturned, slowGot: e.slowGot, coordinatedGot: e.coordinatedGot,
		writeReturned: e.writeReturned, fastUpdated: e.fastUpdated, claimed: e.claimed,
	}
	return e, nil
}

// Identity is the lock identity this elector writes as holder.
func (e *Elector) Identity() string { return e.id }

// Config returns the elector's configuration.
func (e *Elector) Config() Config { return e.cfg }

// IsLeader reports whether the last observation or write names this
// elector as holder (client-go's IsLeader: a statement about the last
// observation, not about the leading interval).
func (e *Elector) IsLeader() bool { return e.observed.HolderIdentity == e.id }

// GetLeader returns the holder of the last observed record.
func (e *Elector) GetLeader() string { return e.observed.HolderIdentity }

// ObservedRecord returns the last observed or written record and the local
// time at which it was observed.
func (e *Elector) ObservedRecord() (rl.LeaderElectionRecord, time.Time) {
	return e.observed, e.observedTime
}

// Metrics returns the metric signal counters.
func (e *Elector) Metrics() Metrics { return e.metrics }

// Running reports whether Run has been called and has not returned.
func (e *Elector) Running() bool { return e.state != stateNew && e.state != stateDone }

// Leading reports whether the leading context is live (OnStartedLeading's
// context not yet cancelled).
func (e *Elector) Leading() bool { return e.leading != nil && e.leading.err == nil }

// Check is client-go's watchdog check: an error when this elector believes
// it leads but has not renewed within LeaseDuration + maxTolerableExpiredLease.
func (e *Elector) Check(maxTolerableExpiredLease time.Duration) error {
	if !e.IsLeader() {
		return nil
	}
	if e.env.Clock.Since(e.observedTime) > e.cfg.LeaseDuration+maxTolerableExpiredLease {
		return fmt.Errorf("failed election to renew leadership on lease %s", e.cfg.Name)
	}
	return nil
}

func (e *Elector) emit(ev Event) {
	if e.cfg.Trace == nil {
		return
	}
	ev.Identity = e.id
	ev.Local = e.env.Clock.Now()
	e.cfg.Trace(ev)
}

// Run starts the elector as client-go's Run(ctx) would in its own goroutine.
// It returns at once; OnStoppedLeading marks the end of the simulated Run.
func (e *Elector) Run() {
	if e.state != stateNew {
		panic("elector: Run called twice")
	}
	if e.run == nil {
		e.run = newContext(nil)
	}
	e.emit(Event{Kind: EvRunStarted})
	e.acquire()
}

// Stop cancels Run's context (the caller's cancellation).
func (e *Elector) Stop() {
	if e.state == stateDone {
		return
	}
	if e.run == nil {
		// Cancelled before Run: Run will return at once, as client-go's does
		// with a done context.
		e.run = newContext(nil)
	}
	e.cancel(e.run, context.Canceled)
}

// cancel ends a context and aborts the in-flight call if its context ended.
func (e *Elector) cancel(c *Context, err error) {
	c.cancel(err)
	e.abortInflight()
}

func (e *Elector) abortInflight() {
	if e.inflight != nil && e.inflightCtx.err != nil {
		call, err := e.inflight, e.inflightCtx.err
		e.inflight, e.inflightCtx = nil, nil
		call.Abort(err)
	}
}

// withDeadline returns a child of parent that expires d from now on the
// local clock; the returned stop function releases its timer.
func (e *Elector) withDeadline(parent *Context, d time.Duration) (*Context, func()) {
	c := newContext(parent)
	dl := e.env.Clock.Now().Add(d)
	if !c.hasDL || dl.Before(c.deadline) {
		c.deadline, c.hasDL = dl, true
	}
	if c.err != nil {
		return c, func() {}
	}
	t := e.env.Clock.AfterFunc(c.deadline.Sub(e.env.Clock.Now()), func() { e.cancel(c, context.DeadlineExceeded) })
	return c, func() { t.Stop() }
}

// expired applies the deadline-first tie rule: a context whose deadline has
// been reached counts as done even if its timer event has not run yet.
func (e *Elector) expired(c *Context) error {
	if c.err != nil {
		return c.err
	}
	if c.hasDL && c != e.tieCtx && !e.env.Clock.Now().Before(c.deadline) {
		e.cancel(c, context.DeadlineExceeded)
		return c.err
	}
	return nil
}

// arm starts the loop timer *t for d, creating it on first use. Re-arming
// a timer that has fired or been stopped schedules it exactly as a new
// AfterFunc would.
func (e *Elector) arm(t *clock.Timer, d time.Duration, f func()) clock.Timer {
	if *t == nil {
		*t = e.env.Clock.AfterFunc(d, f)
	} else {
		(*t).Reset(d)
	}
	return *t
}

// ---- acquire: JitterUntilWithContext(ctx, f, RP, JitterFactor, sliding) ----

func (e *Elector) acquire() {
	e.state = stateAcquiring
	loop := newContext(e.run)
	e.acquireCtx = loop
	loop.AfterDone(e.wakeLoop(e.finishRun))
	e.acquireTry()
}

func (e *Elector) acquireTry() {
	if e.acquireCtx.err != nil {
		e.finishRun()
		return
	}
	e.startAttempt(e.acquireCtx, PhaseAcquire, e.bound.acquireAttempted)
}

func (e *Elector) acquireAttempted(ok bool) {
	loop := e.acquireCtx
	e.maybeReportTransition()
	if ok {
		e.cfg.Lock.RecordEvent("became leader")
		e.metrics.LeaderOn++
		e.emit(Event{Kind: EvBecameLeader})
		loop.cancel(context.Canceled)
		e.startLeading()
		return
	}
	if loop.err != nil {
		e.finishRun()
		return
	}
	factor := JitterFactor
	if Mutated(MutantJitterOne) {
		factor = 1.0
	}
	wait := e.cfg.RetryPeriod + time.Duration(e.env.Rand.Float64()*factor*float64(e.cfg.RetryPeriod))
	if e.env.Jitter != nil {
		wait = e.chosenWait(wait, factor)
	}
	e.timer = e.arm(&e.acquireWaitTimer, wait, e.bound.acquireWaited)
}

// chosenWait asks Env.Jitter for the acquire wait, inside what
// JitterUntil can produce: [RP, RP·(1+factor)), the upper end exclusive.
func (e *Elector) chosenWait(drawn time.Duration, factor float64) time.Duration {
	rp := e.cfg.RetryPeriod
	lo, hi := rp, rp+time.Duration(factor*float64(rp))-1
	return min(max(e.env.Jitter(drawn, lo, hi), lo), max(lo, hi))
}

func (e *Elector) acquireWaited() {
	e.timer = nil
	e.acquireTry()
}

// wakeLoop returns the hook a loop registers once on its context: if the
// context ends while the loop waits on its timer, the wait ends at once and
// the loop continues with next (JitterUntil's select on ctx.Done()).
func (e *Elector) wakeLoop(next func()) func() {
	return func() {
		if e.timer == nil {
			return
		}
		e.timer.Stop()
		e.timer = nil
		next()
	}
}

// ---- Run after acquisition ----

func (e *Elector) startLeading() {
	e.leading = newContext(e.run)
	l := e.leading
	l.AfterDone(func() { e.emit(Event{Kind: EvLeadingCancelled}) })
	e.deliver(func() {
		e.emit(Event{Kind: EvStartedLeading})
		e.cfg.Callbacks.OnStartedLeading(l)
	})
	e.renew()
}

// deliver runs f as client-go's `go f()` would: as its own event, after the
// configured scheduling delay.
func (e *Elector) deliver(f func()) {
	e.env.Clock.AfterFunc(e.cfg.CallbackDelay, f)
}

// ---- renew: UntilWithContext(L, poll, RP) ----

func (e *Elector) renew() {
	e.state = stateRenewing
	e.renewCtx = newContext(e.leading)
	e.renewCtx.AfterDone(e.wakeLoop(e.finishRenew))
	e.renewLoop()
}

func (e *Elector) renewLoop() {
	r := e.renewCtx
	if r.err != nil {
		e.finishRenew()
		return
	}
	if Mutated(MutantFixedRenewPeriod) {
		e.roundStart = e.env.Clock.Now()
	}
	if e.cfg.Variant == VariantSeed {
		e.pollImmediateUntil(r)
	} else {
		e.pollUntilContextTimeout(r)
	}
}

// renewEnded is the end of one renew poll (UntilWithContext's loop body
// returning): err is nil when the poll renewed.
func (e *Elector) renewEnded(err error) {
	r := e.renewCtx
	e.maybeReportTransition()
	if err == nil {
		e.emit(Event{Kind: EvRenewed})
		if r.err != nil {
			e.finishRenew()
			return
		}
		wait := e.cfg.RetryPeriod
		if Mutated(MutantFixedRenewPeriod) {
			wait = max(0, e.cfg.RetryPeriod-e.env.Clock.Since(e.roundStart))
		}
		e.timer = e.arm(&e.renewWaitTimer, wait, e.bound.renewWaited)
		return
	}
	e.metrics.LeaderOff++
	e.emit(Event{Kind: EvRenewFailed, Err: err})
	e.cancel(r, context.Canceled)
	e.finishRenew()
}

func (e *Elector) renewWaited() {
	e.timer = nil
	e.renewLoop()
}

func (e *Elector) finishRenew() {
	if e.state != stateRenewing {
		return
	}
	if e.cfg.ReleaseOnCancel {
		e.state = stateReleasing
		e.release(e.finishLeading)
		return
	}
	e.finishLeading()
}

func (e *Elector) finishLeading() {
	e.cancel(e.renewCtx, context.Canceled)
	e.cfg.Lock.RecordEvent("stopped leading")
	e.cancel(e.leading, context.Canceled)
	e.finishRun()
}

func (e *Elector) finishRun() {
	if e.state == stateDone {
		return
	}
	e.state = stateDone
	e.emit(Event{Kind: EvStoppedLeading})
	e.cfg.Callbacks.OnStoppedLeading()
}

// ---- the renew polls ----

// poll is one renew poll: a deadline context and a tick grid. One poll runs
// at a time; the elector reuses its poll, its context and its timers from
// one poll to the next.
type pollState struct {
	ctx           *Context
	deadlineArmed bool // the deadline timer was started (stopDL stops it)
	ticking       bool // the tick timer was started (end stops it)
	running       bool
	pending       bool
	finished      bool
	// v0.37's tick grid: ticks at start + k·RP.
	start time.Time
	ticks int64
	// the seed's ticker (tickFunc): ticks at seedTickStart + (seedTicks+1)·RP.
	seedTickStart   time.Time
	seedTicks       int64
	seedTickStopped bool
}

// startPoll begins a poll under parent: a fresh poll state and its deadline
// context (withDeadline(parent, RenewDeadline)), reusing the context object
// of the previous poll, which nothing refers to once that poll has ended.
func (e *Elector) startPoll(parent *Context) *pollState {
	poll := &e.renewPoll
	c := poll.ctx
	if c == nil {
		c = new(Context)
	}
	*poll = pollState{ctx: c}
	initContext(c, parent)
	dl := e.env.Clock.Now().Add(e.cfg.RenewDeadline)
	if !c.hasDL || dl.Before(c.deadline) {
		c.deadline, c.hasDL = dl, true
	}
	if c.err == nil {
		e.arm(&e.pollDeadlineTimer, c.deadline.Sub(e.env.Clock.Now()), e.bound.pollDeadline)
		poll.deadlineArmed = true
	}
	return poll
}

// pollDeadline ends the poll's context at its deadline. When a tick of the
// grid falls on the same instant and no attempt runs (RenewDeadline a
// multiple of RetryPeriod, attempts that fail at once), client-go races: the
// ticker's receive in loopConditionUntilContext's select and the deadline's
// AfterFunc goroutine become ready together, and the goroutine readied last
// usually runs first. Measured on client-go v0.37.2's wait loop, on the wall
// clock and in a synctest bubble, the tick wins about half the time and the
// condition sends one more request, whose context ends microseconds later.
// lesim models the race as a fair coin from Env.Ties: on heads the
// attempt starts with the context still live, sends its first request, and
// the deadline then aborts it.
func (e *Elector) pollDeadline() {
	poll := &e.renewPoll
	if e.tickTiesDeadline(poll) && e.tieCoin() == 0 {
		e.tieCtx = poll.ctx
		poll.running = true
		e.startAttempt(poll.ctx, PhaseRenew, e.bound.pollAttempted)
		e.tieCtx = nil
	}
	e.cancel(poll.ctx, context.DeadlineExceeded)
}

// tieCoin is the tie's coin: Ties' draw, or Env.Tie's choice.
func (e *Elector) tieCoin() int {
	c := e.env.Ties.IntN(2)
	if e.env.Tie != nil {
		c = min(max(e.env.Tie(c), 0), 1)
	}
	return c
}

// tickTiesDeadline reports whether v0.37's tick grid has a tick at this
// instant, the poll's deadline, with nothing else deciding the poll: no
// attempt running and no earlier end of its context.
func (e *Elector) tickTiesDeadline(poll *pollState) bool {
	if e.cfg.Variant == VariantSeed || Mutated(MutantDeadlineFirst) || !poll.ticking || poll.running || poll.finished || poll.ctx.err != nil {
		return false
	}
	now := e.env.Clock.Now()
	return now.Equal(poll.ctx.deadline) && poll.start.Add(time.Duration(poll.ticks)*e.cfg.RetryPeriod).Equal(now)
}

func (e *Elector) pollEnd(err error) {
	poll := &e.renewPoll
	if poll.finished {
		return
	}
	poll.finished = true
	if poll.deadlineArmed {
		e.pollDeadlineTimer.Stop()
	}
	if poll.ticking {
		if e.cfg.Variant == VariantSeed {
			if !poll.seedTickStopped {
				poll.seedTickStopped = true
				e.seedTickTimer.Stop()
			}
		} else {
			e.pollTickTimer.Stop()
		}
	}
	e.cancel(poll.ctx, context.Canceled)
	e.renewEnded(err)
}

// pollUntilContextTimeout reproduces wait.PollUntilContextTimeout(ctx, RP,
// RD, immediate=true, cond) as client-go v0.37 calls it: the deadline and a
// tick grid anchored at the poll's start, an immediate first attempt, one
// pending tick at most while an attempt runs, and a condition that returns
// the context's error without calling the API once the context has ended.
func (e *Elector) pollUntilContextTimeout(parent *Context) {
	poll := e.startPoll(parent)
	poll.start = e.env.Clock.Now()
	poll.ticks = 1
	poll.ticking = true
	e.scheduleTick()
	poll.ctx.AfterDone(e.bound.pollCtxDone)
	// The immediate attempt runs even if the context has already ended; the
	// condition then returns the context's error.
	e.pollTry()
}

func (e *Elector) scheduleTick() {
	poll := &e.renewPoll
	now := e.env.Clock.Now()
	next := poll.start.Add(time.Duration(poll.ticks) * e.cfg.RetryPeriod)
	for !next.After(now) { // a late ticker skips the ticks it missed
		poll.ticks++
		next = poll.start.Add(time.Duration(poll.ticks) * e.cfg.RetryPeriod)
	}
	e.arm(&e.pollTickTimer, next.Sub(now), e.bound.pollTicked)
}

func (e *Elector) pollTicked() {
	poll := &e.renewPoll
	poll.ticks++
	e.scheduleTick()
	if poll.finished {
		return
	}
	if poll.running {
		poll.pending = true
		return
	}
	e.pollTry()
}

func (e *Elector) pollCtxDone() {
	if poll := &e.renewPoll; !poll.running {
		e.pollEnd(poll.ctx.err)
	}
}

func (e *Elector) pollTry() {
	poll := &e.renewPoll
	if err := e.expired(poll.ctx); err != nil {
		e.pollEnd(err)
		return
	}
	poll.running = true
	e.startAttempt(poll.ctx, PhaseRenew, e.bound.pollAttempted)
}

// pollImmediateUntil reproduces the seed's wait.PollImmediateUntil(RP, cond,
// timeoutCtx.Done()): an immediate first attempt, then a ticker created when
// that attempt returns, whose ticks are dropped while an attempt runs, and
// ErrWaitTimeout when the deadline passes.
func (e *Elector) pollImmediateUntil(parent *Context) {
	poll := e.startPoll(parent)
	poll.ctx.AfterDone(e.bound.seedPollCtxDone)
	poll.running = true
	e.startAttempt(poll.ctx, PhaseRenew, e.bound.pollAttempted)
}

func (e *Elector) seedPollCtxDone() {
	if !e.renewPoll.running {
		e.pollEnd(ErrWaitTimeout)
	}
}

// pollAttempted is the end of one attempt inside a renew poll, for both
// variants: success ends the poll; a deadline that has passed ends it with
// the context's error (v0.37) or ErrWaitTimeout (v0.30's
// PollImmediateUntil); otherwise v0.37 runs the tick that came due during
// the attempt, and v0.30 starts its ticker after the first attempt.
func (e *Elector) pollAttempted(ok bool) {
	poll := &e.renewPoll
	poll.running = false
	if poll.finished {
		return
	}
	if ok {
		e.pollEnd(nil)
		return
	}
	if err := e.expired(poll.ctx); err != nil {
		if e.cfg.Variant == VariantSeed {
			err = ErrWaitTimeout
		}
		e.pollEnd(err)
		return
	}
	if e.cfg.Variant == VariantSeed {
		if !poll.ticking {
			// tickFunc(RP): a grid anchored now, skipping missed ticks.
			poll.ticking = true
			poll.seedTickStart = e.env.Clock.Now()
			e.gridSchedule()
		}
		return
	}
	if poll.pending {
		poll.pending = false
		e.pollTry()
	}
}

func (e *Elector) gridSchedule() {
	poll := &e.renewPoll
	now := e.env.Clock.Now()
	next := poll.seedTickStart.Add(time.Duration(poll.seedTicks+1) * e.cfg.RetryPeriod)
	for !next.After(now) {
		poll.seedTicks++
		next = poll.seedTickStart.Add(time.Duration(poll.seedTicks+1) * e.cfg.RetryPeriod)
	}
	e.arm(&e.seedTickTimer, next.Sub(now), e.bound.gridTicked)
}

func (e *Elector) gridTicked() {
	poll := &e.renewPoll
	poll.seedTicks++
	if poll.seedTickStopped {
		return
	}
	e.gridSchedule()
	if poll.finished || poll.running {
		return // the unbuffered forward drops ticks during an attempt
	}
	if e.expired(poll.ctx) != nil {
		e.pollEnd(ErrWaitTimeout)
		return
	}
	poll.running = true
	e.startAttempt(poll.ctx, PhaseRenew, e.bound.pollAttempted)
}

// ---- release ----

func (e *Elector) release(done func()) {
	finish := func(ok bool) {
		if ok {
			e.emit(Event{Kind: EvReleased})
		} else {
			e.emit(Event{Kind: EvReleaseFailed})
		}
		done()
	}
	if e.cfg.Variant == VariantSeed || Mutated(MutantSeedRelease) {
		// v0.30: no Get; the cached resourceVersion of our last write, and
		// context.TODO(): only the client's request timeout bounds it.
		if !e.IsLeader() {
			finish(true)
			return
		}
		ctx := newContext(nil)
		now := metav1.NewTime(e.env.Clock.WallNow())
		rec := rl.LeaderElectionRecord{LeaderTransitions: e.observed.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now}
		e.emit(Event{Kind: EvTryStarted, Phase: PhaseRelease})
		e.write(ctx, opUpdate, rec, func(err error) {
			if err != nil {
				finish(false)
				return
			}
			e.setObserved(&rec)
			finish(true)
		})
		return
	}
	ctx, stop := e.withDeadline(newContext(nil), e.cfg.RenewDeadline)
	var try func()
	try = func() {
		e.emit(Event{Kind: EvTryStarted, Phase: PhaseRelease})
		get := e.get
		if Mutated(MutantReleaseWithoutGet) {
			get = func(_ *Context, done func(*rl.LeaderElectionRecord, RawRecord, error)) {
				old := e.observed
				done(&old, e.observedRaw, nil)
			}
		}
		get(ctx, func(old *rl.LeaderElectionRecord, _ RawRecord, err error) {
			if err != nil {
				stop()
				finish(false)
				return
			}
			if !e.IsLeader() {
				stop()
				finish(true)
				return
			}
			now := metav1.NewTime(e.env.Clock.WallNow())
			rec := rl.LeaderElectionRecord{LeaderTransitions: old.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now}
			e.write(ctx, opUpdate, rec, func(err error) {
				if err != nil {
					if apierrors.IsConflict(err) {
						try()
						return
					}
					stop()
					finish(false)
					return
				}
				e.setObserved(&rec)
				stop()
				finish(true)
			})
		})
	}
	try()
}

// ---- one attempt: tryAcquireOrRenew / tryCoordinatedRenew ----

func (e *Elector) startAttempt(ctx *Context, phase Phase, done func(bool)) {
	e.metrics.Attempts++
	e.emit(Event{Kind: EvTryStarted, Phase: phase})
	if e.cfg.Coordinated {
		e.tryCoordinatedRenew(ctx, done)
		return
	}
	e.tryAcquireOrRenew(ctx, done)
}

// desired is the record an attempt writes: the wall reading goes into the
// record, while the monotonic reading (taken by the caller at the same
// instant) decides validity.
func (e *Elector) desired() rl.LeaderElectionRecord {
	wall := metav1.NewTime(e.env.Clock.WallNow())
	return rl.LeaderElectionRecord{HolderIdentity: e.id, LeaseDurationSeconds: e.ldSec, RenewTime: wall, AcquireTime: wall}
}

func (e *Elector) tryAcquireOrRenew(ctx *Context, done func(bool)) {
	try := &e.attempt
	try.ctx, try.done = ctx, done
	try.started = e.env.Clock.Now()
	try.record = e.desired()
	if e.IsLeader() && e.isLeaseValid(try.started) && !Mutated(MutantNoFastPath) {
		// Fast path: optimistic update with the cached resourceVersion. The
		// copied acquireTime and transitions stay in d if it fails.
		try.record.AcquireTime = e.observed.AcquireTime
		try.record.LeaderTransitions = e.observed.LeaderTransitions
		e.write(try.ctx, opUpdate, try.record, e.bound.fastUpdated)
		return
	}
	e.get(try.ctx, e.bound.slowGot)
}

func (e *Elector) fastUpdated(err error) {
	if err == nil || Mutated(MutantConflictIsSuccess) && apierrors.IsConflict(err) {
		e.setObserved(&e.attempt.record)
		e.attempt.done(true)
		return
	}
	e.get(e.attempt.ctx, e.bound.slowGot)
}

// slowGot is the slow path after its Get: compare, judge validity on the
// attempt's start time, then create or update.
func (e *Elector) slowGot(old *rl.LeaderElectionRecord, raw RawRecord, err error) {
	try := &e.attempt
	if err != nil {
		if !apierrors.IsNotFound(err) {
			try.done(false)
			return
		}
		e.claim(opCreate)
		return
	}
	if raw != e.observedRaw || Mutated(MutantMicrosecondChange) && !old.RenewTime.Equal(&e.observed.RenewTime) {
		e.setObserved(old)
		e.observedRaw = raw
	}
	if len(old.HolderIdentity) > 0 && e.isLeaseValid(try.started) && !e.IsLeader() {
		try.done(false)
		return
	}
	if e.IsLeader() {
		try.record.AcquireTime = old.AcquireTime
		try.record.LeaderTransitions = old.LeaderTransitions
		e.metrics.SlowPathExercised++
	} else {
		try.record.LeaderTransitions = old.LeaderTransitions + 1
	}
	e.claim(opUpdate)
}

func (e *Elector) tryCoordinatedRenew(ctx *Context, done func(bool)) {
	try := &e.attempt
	try.ctx, try.done = ctx, done
	try.started = e.env.Clock.Now()
	try.record = e.desired()
	e.get(try.ctx, e.bound.coordinatedGot)
}

func (e *Elector) coordinatedGot(old *rl.LeaderElectionRecord, raw RawRecord, err error) {
	try := &e.attempt
	if err != nil {
		try.done(false) // NotFound included: a coordinated client never creates
		return
	}
	if raw != e.observedRaw {
		e.setObserved(old)
		e.observedRaw = raw
	}
	if e.observedTime.Add(time.Second * time.Duration(old.LeaseDurationSeconds)).Before(try.started) {
		try.done(false) // expired: left to the coordinated election controller
		return
	}
	if !e.IsLeader() {
		try.done(false)
		return
	}
	if old.PreferredHolder != "" {
		try.done(false) // end of term: stop renewing and let the lease lapse
		return
	}
	try.record.AcquireTime = old.AcquireTime
	try.record.LeaderTransitions = old.LeaderTransitions
	try.record.Strategy = old.Strategy
	e.metrics.SlowPathExercised++
	e.claim(opUpdate)
}

// claim ends an attempt with a write of its record: on success the record
// becomes the observed one (as client-go's setObserved after Create or
// Update) and the attempt succeeds; any error fails it.
func (e *Elector) claim(op writeOp) { e.write(e.attempt.ctx, op, e.attempt.record, e.bound.claimed) }

func (e *Elector) claimed(err error) {
	if err != nil && !(Mutated(MutantConflictIsSuccess) && apierrors.IsConflict(err)) {
		e.attempt.done(false)
		return
	}
	e.setObserved(&e.attempt.record)
	e.attempt.done(true)
}

func (e *Elector) isLeaseValid(now time.Time) bool {
	ld := time.Second * time.Duration(e.observed.LeaseDurationSeconds)
	if Mutated(MutantUntruncatedLeaseDuration) && e.observed.LeaseDurationSeconds == e.ldSec {
		ld = e.cfg.LeaseDuration
	}
	if Mutated(MutantEarlyTakeover) && !e.IsLeader() {
		ld -= 500 * time.Millisecond
	}
	if Mutated(MutantEarlyTakeoverSmall) && !e.IsLeader() {
		ld -= 20 * time.Millisecond
	}
	return e.observedTime.Add(ld).After(now)
}

func (e *Elector) setObserved(r *rl.LeaderElectionRecord) {
	e.observed = *r
	e.observedTime = e.env.Clock.Now()
	e.emit(Event{Kind: EvObserved, Holder: r.HolderIdentity, LeaseDurationSeconds: r.LeaseDurationSeconds})
}

func (e *Elector) maybeReportTransition() {
	if e.observed.HolderIdentity == e.reported {
		return
	}
	e.reported = e.observed.HolderIdentity
	if e.cfg.Callbacks.OnNewLeader != nil {
		holder := e.reported
		e.deliver(func() {
			e.emit(Event{Kind: EvNewLeader, Holder: holder})
			e.cfg.Callbacks.OnNewLeader(holder)
		})
	}
}

// ---- API calls under a context ----

// The helpers below give a call client-go's context semantics: a call made
// under an ended context fails at once without reaching the API server (as
// the HTTP client does), and a call in flight when its context ends is
// abandoned with the context's error while the server may still apply it.
// One call is in progress at a time; its context and continuation wait in
// e.call for the lock's completion.

type writeOp uint8

const (
	opCreate writeOp = iota
	opUpdate
)

func (op writeOp) String() string {
	if op == opCreate {
		return "create"
	}
	return "update"
}

func (e *Elector) track(ctx *Context, op string, call Call) {
	e.metrics.Calls++
	e.emit(Event{Kind: EvCallSent, Op: op})
	e.inflight, e.inflightCtx = call, ctx
}

func (e *Elector) settle(ctx *Context, op string, err error) error {
	e.inflight, e.inflightCtx = nil, nil
	if err == nil {
		// A response that arrives at the deadline instant loses to it.
		if cerr := e.expired(ctx); cerr != nil {
			err = cerr
		}
	}
	e.emit(Event{Kind: EvCallReturned, Op: op, Err: err})
	return err
}

func (e *Elector) get(ctx *Context, done func(*rl.LeaderElectionRecord, RawRecord, error)) {
	if err := e.expired(ctx); err != nil {
		done(nil, RawRecord{}, err)
		return
	}
	e.call = callState{ctx: ctx, op: "get", getDone: done}
	call, err := e.cfg.Lock.Get(e.bound.getReturned)
	if err != nil {
		e.call = callState{}
		e.emit(Event{Kind: EvCallReturned, Op: "get", Err: err})
		done(nil, RawRecord{}, err)
		return
	}
	e.track(ctx, "get", call)
}

func (e *Elector) getReturned(rec *rl.LeaderElectionRecord, raw RawRecord, err error) {
	ctx, done := e.call.ctx, e.call.getDone
	e.call = callState{}
	if err = e.settle(ctx, "get", err); err != nil {
		done(nil, RawRecord{}, err)
		return
	}
	done(rec, raw, nil)
}

func (e *Elector) write(ctx *Context, op writeOp, rec rl.LeaderElectionRecord, done func(error)) {
	if err := e.expired(ctx); err != nil {
		done(err)
		return
	}
	name := op.String()
	e.call = callState{ctx: ctx, op: name, writeDone: done}
	var call Call
	var err error
	if op == opCreate {
		call, err = e.cfg.Lock.Create(rec, e.bound.writeReturned)
	} else {
		call, err = e.cfg.Lock.Update(rec, e.bound.writeReturned)
	}
	if err != nil {
		e.call = callState{}
		e.emit(Event{Kind: EvCallReturned, Op: name, Err: err})
		done(err)
		return
	}
	e.track(ctx, name, call)
}

func (e *Elector) writeReturned(err error) {
	ctx, op, done := e.call.ctx, e.call.op, e.call.writeDone
	e.call = callState{}
	done(e.settle(ctx, op, err))
}
