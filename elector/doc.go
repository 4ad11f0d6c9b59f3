// Package elector is client-go's leader elector
// (k8s.io/client-go/tools/leaderelection) re-implemented as a deterministic
// state machine, in the spirit of etcd's raft: it is driven by Run, Stop,
// its clock's timers and its lock's completions, acts only through a Clock
// and an asynchronous Lock, and owns no goroutines, no wall clock and no
// global randomness (the acquire jitter comes from Env.Rand, the node's own
// stream). Env.Jitter and Env.Tie, when set, turn the jitter draw and the
// tie coin into choices a simulation's adversary or replayer makes, inside
// client-go's bounds.
//
// # Timing semantics reproduced
//
//   - acquire: a try at once, then after RetryPeriod·(1 + 1.2·u) measured
//     from the end of the previous try, until success or Stop
//     (wait.JitterUntilWithContext, sliding).
//   - renew: the first poll starts right after acquisition; each poll tries
//     at once and then on a tick grid, until a try succeeds or
//     RenewDeadline has passed since the poll started; the next poll starts
//     RetryPeriod after the previous one ended (wait.UntilWithContext). A
//     call in flight at the deadline is abandoned with the context's error
//     while the server may still apply it. A deadline and a tick or a
//     response at the same instant: the deadline wins.
//   - one try (tryAcquireOrRenew): the fast path (optimistic Update with the
//     cached resourceVersion while the node believes it leads a valid
//     lease), else Get; observedTime moves only when the raw record changes
//     (RawRecord: whole-second times, as client-go's JSON bytes); a lease
//     held by another is valid while observedTime + leaseDurationSeconds
//     (the holder's, whole seconds) is after the local monotonic now;
//     LeaderTransitions and AcquireTime bookkeeping, including the stale
//     acquireTime carried from a failed fast path.
//   - stop ordering: when renew gives up on its own, release (with
//     ReleaseOnCancel) runs while the leading context is live, then the
//     "stopped leading" event, then the leading context is cancelled, then
//     OnStoppedLeading; when the caller stops Run, the leading context is
//     cancelled at once and release follows. OnStoppedLeading always comes
//     last, also when the node never led.
//   - OnStartedLeading and OnNewLeader are delivered as events after
//     Config.CallbackDelay (client-go starts them in goroutines).
//
// # Variants
//
// VariantSeed is client-go v0.30.0 (the release lesim started from);
// VariantV037 is client-go v0.37.2. Every behavioural difference, and
// whether it can change overlap or failover time:
//
//  1. Renew poll. seed: wait.PollImmediateUntil — the retry grid is anchored
//     at the end of the first attempt and ticks that fall during an attempt
//     are dropped; a failed poll returns "timed out waiting for the
//     condition". v0.37: wait.PollUntilContextTimeout — the grid is anchored
//     at the poll's start and one tick that fell during an attempt triggers
//     an immediate retry; a failed poll returns the context's error.
//     Overlap: no (the leader gives up at poll start + RenewDeadline in
//     both). Failover: indirectly — when and how often retries happen inside
//     RenewDeadline changes the chance that a leader survives transient API
//     trouble (spurious failovers).
//  2. Condition short-circuit. v0.37's poll condition returns the context's
//     error without an API call when the context has already ended; the
//     seed issues the doomed call, which fails at once in the client. No
//     effect on overlap or failover (one fewer failed request).
//  3. Release context. seed: context.TODO() — bounded only by the client's
//     request timeout, unbounded with none; v0.37: RenewDeadline from the
//     start of release. Overlap: yes — after a self-detected failure the
//     leading context lives on until release returns, in the seed possibly
//     forever with requestTimeout 0s and a hung connection.
//  4. Release reads first. seed: no Get; if the node no longer believes it
//     leads it returns at once; otherwise one Update with the cached
//     resourceVersion, which conflicts (safely) if anyone took over. v0.37:
//     Get, then (if the local, possibly stale, view says it leads) an Update
//     with the freshly read resourceVersion. Overlap: yes — a node whose
//     renew ended without observing the new holder can erase that holder
//     (release clobber), and the next candidate may then take the empty
//     lease at once while the clobbered leader still leads, up to about
//     RetryPeriod + RenewDeadline; also the leading context lives one Get
//     longer even when the node knows it lost. Failover: graceful handoff is
//     one round trip slower.
//  5. Release retries on conflict (v0.37, within RenewDeadline; seed: one
//     attempt). Failover: faster graceful handoff after a renewal raced the
//     release; overlap: widens the clobber window of 4.
//  6. Coordinated leader election (v0.37 only, Config.Coordinated): never
//     creates, never takes a lease by itself, no fast path, stops renewing
//     when preferredHolder is set. Overlap and failover are then decided by
//     the external coordinated-election controller. The record's strategy
//     and preferredHolder are part of change detection in both variants
//     here (they are always empty unless something writes them).
//  7. Labels on the lease lock (v0.37's NewWithLabels; fakeapi/leaselock
//     supports them for both): no effect.
//  8. Locking of observedTime (v0.36 RWMutex; a data race before): no effect
//     in a single-threaded state machine.
//
// Unchanged between the two and reproduced for both: validation (order and
// text of NewLeaderElector's errors, checked against the real constructor),
// Run/renew structure, the fast and slow paths, isLeaseValid and Check,
// whole-second change detection, LeaseDuration truncated to whole seconds
// in the record, the immediate renewal after acquisition, the acquire
// jitter, and the RetryPeriod + RenewDeadline leader horizon.
//
// # Conformance with client-go v0.37.2
//
// The v0.37 variant is checked against client-go v0.37.2's own elector by
// package scenarios/conformance: the real elector runs in testing/synctest
// bubbles over the REST surface of fakeapi/rest, seeded, N times per corpus
// scenario, the same scenario runs here on the same N seeds, and the two
// are compared as distributions (leaders, acquisition and step-down times,
// failovers, overlap, leaderless time, requests per verb), with the
// mutants of mutant.go as the proof that the comparison can fail
// (docs/conformance.md has the tables). What that comparison found,
// and what became of it:
//
//  1. client-go's rest client retries a response of 429, or of 5xx with a
//     Retry-After header, by itself: rest.Request.request asks
//     withRetry.IsNextRetry, which (checkWait) waits Retry-After seconds and
//     resends, up to maxRetries = 10 times, all under the request's one
//     timeout (rest.Config.Timeout, a context deadline around every
//     attempt). The elector never sees the 429 unless the retries run out
//     or the timeout ends them. fakeapi's client now does the same, so an
//     injected tooManyRequests costs the elector time and requests, not an
//     attempt. (Connection resets and EOFs on GETs are retried too, after
//     1 s; a refused connection is not, and fakeapi only refuses.)
//
//  2. Overlapping API fault windows of one kind: the scenario runner let
//     the end of an earlier window clear a later one, unlike the documented
//     rule that the window begun last holds the setting. Fixed in the
//     runner; not an elector difference.
//
//  3. Ties. At one instant lesim runs events in the order they were
//     scheduled, so a deadline set earlier fires before a request timeout
//     set later that ends at the same instant (with requestTimeout =
//     RenewDeadline/2, two timed-out requests in a row end exactly at the
//     renew deadline). In a synctest bubble code takes no time and the Go
//     scheduler picks the order; loopConditionUntilContext may then run the
//     condition once more and send a renewal that lands after the leader
//     stepped down. In a real process the deadline was set first and fires
//     first, as here; the conformance harness lengthens the real client's
//     timeout by a microsecond to restore that order, and moves generated
//     scenarios' instants off exact ties.
//
//  4. The renew deadline at a tick. With RenewDeadline a multiple of
//     RetryPeriod (10 s and 2 s) and requests that fail at once, the
//     poll's last tick falls on its deadline. client-go races the two:
//     the ticker's receive and the deadline's AfterFunc goroutine become
//     ready together, and the goroutine readied last tends to run first.
//     Measured on v0.37.2's wait.PollUntilContextTimeout with a condition
//     that fails at once, the tick won 165 of 300 polls on the wall clock
//     (GOMAXPROCS 2), 284 of 300 with GOMAXPROCS 1, and 183 of 400 in a
//     synctest bubble. lesim flips a fair coin from Env.Ties: on
//     heads the attempt runs and sends its first request, which the
//     deadline then aborts (pollDeadline). Before, lesim always let the
//     deadline win, and the conformance suite told the two apart on
//     outage-refuse (one update a run fewer than client-go); the old rule
//     is kept as the deadline-first mutant.
//
// The verdicts of the latest run, scenario by scenario, and the mutation
// score are in docs/conformance.md.
package elector
