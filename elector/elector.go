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

	run     *Context // Run's context
	leading *Context // the context handed to OnStartedLeading
	renewC  *Context

	state     runState
	inflight  Call
	inflightC *Context

	timer clock.Timer // the one pending loop timer (acquire wait or renew sleep)
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
	e := &Elector{cfg: cfg, env: env, id: cfg.Lock.Identity(), ldSec: int(cfg.LeaseDuration / time.Second)}
	e.metrics.LeaderOff++
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
	if e.inflight != nil && e.inflightC.err != nil {
		call, err := e.inflight, e.inflightC.err
		e.inflight, e.inflightC = nil, nil
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
	if c.hasDL && !e.env.Clock.Now().Before(c.deadline) {
		e.cancel(c, context.DeadlineExceeded)
		return c.err
	}
	return nil
}

// ---- acquire: JitterUntilWithContext(ctx, f, RP, 1.2, sliding) ----

func (e *Elector) acquire() {
	e.state = stateAcquiring
	a := newContext(e.run)
	a.AfterDone(e.wakeLoop(e.finishRun))
	e.acquireTry(a)
}

func (e *Elector) acquireTry(a *Context) {
	if a.err != nil {
		e.finishRun()
		return
	}
	e.attempt(a, PhaseAcquire, func(ok bool) {
		e.maybeReportTransition()
		if ok {
			e.cfg.Lock.RecordEvent("became leader")
			e.metrics.LeaderOn++
			e.emit(Event{Kind: EvBecameLeader})
			a.cancel(context.Canceled)
			e.startLeading()
			return
		}
		if a.err != nil {
			e.finishRun()
			return
		}
		wait := e.cfg.RetryPeriod + time.Duration(e.env.Rand.Float64()*JitterFactor*float64(e.cfg.RetryPeriod))
		e.timer = e.env.Clock.AfterFunc(wait, func() {
			e.timer = nil
			e.acquireTry(a)
		})
	})
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
	e.renewC = newContext(e.leading)
	e.renewC.AfterDone(e.wakeLoop(e.finishRenew))
	e.renewLoop()
}

func (e *Elector) renewLoop() {
	r := e.renewC
	if r.err != nil {
		e.finishRenew()
		return
	}
	onEnd := func(err error) {
		e.maybeReportTransition()
		if err == nil {
			e.emit(Event{Kind: EvRenewed})
			if r.err != nil {
				e.finishRenew()
				return
			}
			e.timer = e.env.Clock.AfterFunc(e.cfg.RetryPeriod, func() {
				e.timer = nil
				e.renewLoop()
			})
			return
		}
		e.metrics.LeaderOff++
		e.emit(Event{Kind: EvRenewFailed, Err: err})
		e.cancel(r, context.Canceled)
		e.finishRenew()
	}
	if e.cfg.Variant == VariantSeed {
		e.pollImmediateUntil(r, onEnd)
	} else {
		e.pollUntilContextTimeout(r, onEnd)
	}
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
	e.cancel(e.renewC, context.Canceled)
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

// poll is one renew poll: a deadline context and a tick grid.
type poll struct {
	ctx      *Context
	stopDL   func()
	tick     clock.Timer
	running  bool
	pending  bool
	finished bool
	onEnd    func(error)
}

func (p *poll) end(e *Elector, err error) {
	if p.finished {
		return
	}
	p.finished = true
	p.stopDL()
	if p.tick != nil {
		p.tick.Stop()
	}
	e.cancel(p.ctx, context.Canceled)
	p.onEnd(err)
}

// pollUntilContextTimeout reproduces wait.PollUntilContextTimeout(ctx, RP,
// RD, immediate=true, cond) as client-go v0.37 calls it: the deadline and a
// tick grid anchored at the poll's start, an immediate first attempt, one
// pending tick at most while an attempt runs, and a condition that returns
// the context's error without calling the API once the context has ended.
func (e *Elector) pollUntilContextTimeout(parent *Context, onEnd func(error)) {
	p := &poll{onEnd: onEnd}
	p.ctx, p.stopDL = e.withDeadline(parent, e.cfg.RenewDeadline)
	start := e.env.Clock.Now()
	var k int64 = 1
	var scheduleTick func()
	scheduleTick = func() {
		now := e.env.Clock.Now()
		next := start.Add(time.Duration(k) * e.cfg.RetryPeriod)
		for !next.After(now) { // a late ticker skips the ticks it missed
			k++
			next = start.Add(time.Duration(k) * e.cfg.RetryPeriod)
		}
		p.tick = e.env.Clock.AfterFunc(next.Sub(now), func() {
			k++
			scheduleTick()
			if p.finished {
				return
			}
			if p.running {
				p.pending = true
				return
			}
			p.try(e)
		})
	}
	scheduleTick()
	p.ctx.AfterDone(func() {
		if !p.running {
			p.end(e, p.ctx.err)
		}
	})
	// The immediate attempt runs even if the context has already ended; the
	// condition then returns the context's error.
	p.try(e)
}

func (p *poll) try(e *Elector) {
	if err := e.expired(p.ctx); err != nil {
		p.end(e, err)
		return
	}
	p.running = true
	e.attempt(p.ctx, PhaseRenew, func(ok bool) {
		p.running = false
		if p.finished {
			return
		}
		if ok {
			p.end(e, nil)
			return
		}
		if err := e.expired(p.ctx); err != nil {
			p.end(e, err)
			return
		}
		if p.pending {
			p.pending = false
			p.try(e)
		}
	})
}

// pollImmediateUntil reproduces the seed's wait.PollImmediateUntil(RP, cond,
// timeoutCtx.Done()): an immediate first attempt, then a ticker created when
// that attempt returns, whose ticks are dropped while an attempt runs, and
// ErrWaitTimeout when the deadline passes.
func (e *Elector) pollImmediateUntil(parent *Context, onEnd func(error)) {
	p := &poll{onEnd: onEnd}
	p.ctx, p.stopDL = e.withDeadline(parent, e.cfg.RenewDeadline)
	p.ctx.AfterDone(func() {
		if !p.running {
			p.end(e, ErrWaitTimeout)
		}
	})
	var onAttempt func(ok bool)
	onAttempt = func(ok bool) {
		p.running = false
		if p.finished {
			return
		}
		if ok {
			p.end(e, nil)
			return
		}
		if e.expired(p.ctx) != nil {
			p.end(e, ErrWaitTimeout)
			return
		}
		if p.tick == nil {
			p.tick = e.tickFunc(e.cfg.RetryPeriod, func() {
				if p.finished || p.running {
					return // the unbuffered forward drops ticks during an attempt
				}
				if e.expired(p.ctx) != nil {
					p.end(e, ErrWaitTimeout)
					return
				}
				p.running = true
				e.attempt(p.ctx, PhaseRenew, onAttempt)
			})
		}
	}
	p.running = true
	e.attempt(p.ctx, PhaseRenew, onAttempt)
}

// tickFunc calls f every period on the local clock on a grid anchored now,
// skipping missed ticks, until the returned timer is stopped.
func (e *Elector) tickFunc(period time.Duration, f func()) clock.Timer {
	tk := &gridTicker{e: e, start: e.env.Clock.Now(), period: period, f: f}
	tk.schedule()
	return tk
}

type gridTicker struct {
	e       *Elector
	start   time.Time
	period  time.Duration
	k       int64
	f       func()
	t       clock.Timer
	stopped bool
}

func (g *gridTicker) schedule() {
	now := g.e.env.Clock.Now()
	next := g.start.Add(time.Duration(g.k+1) * g.period)
	for !next.After(now) {
		g.k++
		next = g.start.Add(time.Duration(g.k+1) * g.period)
	}
	g.t = g.e.env.Clock.AfterFunc(next.Sub(now), func() {
		g.k++
		if g.stopped {
			return
		}
		g.schedule()
		g.f()
	})
}

func (g *gridTicker) C() <-chan time.Time { return nil }
func (g *gridTicker) Stop() bool {
	if g.stopped {
		return false
	}
	g.stopped = true
	return g.t.Stop()
}
func (g *gridTicker) Reset(time.Duration) bool { panic("elector: gridTicker cannot be reset") }

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
	if e.cfg.Variant == VariantSeed {
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
		e.update(ctx, rec, func(err error) {
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
		e.get(ctx, func(old *rl.LeaderElectionRecord, _ RawRecord, err error) {
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
			e.update(ctx, rec, func(err error) {
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

func (e *Elector) attempt(ctx *Context, phase Phase, done func(bool)) {
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
	now := e.env.Clock.Now()
	d := e.desired()
	slow := func() {
		e.get(ctx, func(old *rl.LeaderElectionRecord, raw RawRecord, err error) {
			if err != nil {
				if !apierrors.IsNotFound(err) {
					done(false)
					return
				}
				e.claim(e.create, ctx, d, done)
				return
			}
			if raw != e.observedRaw {
				e.setObserved(old)
				e.observedRaw = raw
			}
			if len(old.HolderIdentity) > 0 && e.isLeaseValid(now) && !e.IsLeader() {
				done(false)
				return
			}
			if e.IsLeader() {
				d.AcquireTime = old.AcquireTime
				d.LeaderTransitions = old.LeaderTransitions
				e.metrics.SlowPathExercised++
			} else {
				d.LeaderTransitions = old.LeaderTransitions + 1
			}
			e.claim(e.update, ctx, d, done)
		})
	}
	if e.IsLeader() && e.isLeaseValid(now) {
		// Fast path: optimistic update with the cached resourceVersion. The
		// copied acquireTime and transitions stay in d if it fails.
		d.AcquireTime = e.observed.AcquireTime
		d.LeaderTransitions = e.observed.LeaderTransitions
		e.update(ctx, d, func(err error) {
			if err == nil {
				e.setObserved(&d)
				done(true)
				return
			}
			slow()
		})
		return
	}
	slow()
}

func (e *Elector) tryCoordinatedRenew(ctx *Context, done func(bool)) {
	now := e.env.Clock.Now()
	d := e.desired()
	e.get(ctx, func(old *rl.LeaderElectionRecord, raw RawRecord, err error) {
		if err != nil {
			done(false) // NotFound included: a coordinated client never creates
			return
		}
		if raw != e.observedRaw {
			e.setObserved(old)
			e.observedRaw = raw
		}
		if e.observedTime.Add(time.Second * time.Duration(old.LeaseDurationSeconds)).Before(now) {
			done(false) // expired: left to the coordinated election controller
			return
		}
		if !e.IsLeader() {
			done(false)
			return
		}
		if old.PreferredHolder != "" {
			done(false) // end of term: stop renewing and let the lease lapse
			return
		}
		d.AcquireTime = old.AcquireTime
		d.LeaderTransitions = old.LeaderTransitions
		d.Strategy = old.Strategy
		e.metrics.SlowPathExercised++
		e.claim(e.update, ctx, d, done)
	})
}

// claim ends an attempt with a write of d: on success d becomes the
// observed record (as client-go's setObserved after Create or Update) and
// the attempt succeeds; any error fails it.
func (e *Elector) claim(write func(*Context, rl.LeaderElectionRecord, func(error)), ctx *Context, d rl.LeaderElectionRecord, done func(bool)) {
	write(ctx, d, func(err error) {
		if err != nil {
			done(false)
			return
		}
		e.setObserved(&d)
		done(true)
	})
}

func (e *Elector) isLeaseValid(now time.Time) bool {
	return e.observedTime.Add(time.Second * time.Duration(e.observed.LeaseDurationSeconds)).After(now)
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

func (e *Elector) track(ctx *Context, op string, call Call) {
	e.metrics.Calls++
	e.emit(Event{Kind: EvCallSent, Op: op})
	e.inflight, e.inflightC = call, ctx
}

func (e *Elector) settle(ctx *Context, op string, err error) error {
	e.inflight, e.inflightC = nil, nil
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
	call, err := e.cfg.Lock.Get(func(rec *rl.LeaderElectionRecord, raw RawRecord, err error) {
		if err = e.settle(ctx, "get", err); err != nil {
			done(nil, RawRecord{}, err)
			return
		}
		done(rec, raw, nil)
	})
	if err != nil {
		e.emit(Event{Kind: EvCallReturned, Op: "get", Err: err})
		done(nil, RawRecord{}, err)
		return
	}
	e.track(ctx, "get", call)
}

func (e *Elector) create(ctx *Context, rec rl.LeaderElectionRecord, done func(error)) {
	e.write(ctx, "create", rec, e.cfg.Lock.Create, done)
}

func (e *Elector) update(ctx *Context, rec rl.LeaderElectionRecord, done func(error)) {
	e.write(ctx, "update", rec, e.cfg.Lock.Update, done)
}

func (e *Elector) write(ctx *Context, op string, rec rl.LeaderElectionRecord, send func(rl.LeaderElectionRecord, func(error)) (Call, error), done func(error)) {
	if err := e.expired(ctx); err != nil {
		done(err)
		return
	}
	call, err := send(rec, func(err error) { done(e.settle(ctx, op, err)) })
	if err != nil {
		e.emit(Event{Kind: EvCallReturned, Op: op, Err: err})
		done(err)
		return
	}
	e.track(ctx, op, call)
}
