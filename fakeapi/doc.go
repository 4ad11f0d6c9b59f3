// Package fakeapi is lesim's in-memory API server for coordination.k8s.io/v1
// Leases: real Lease objects, resourceVersion optimistic concurrency, real
// apimachinery errors, and asynchronous clients on the simulation kernel with
// injected latency and faults. Every operation can be recorded, and a
// recorded history can be checked for linearizability with porcupine.
//
// # Store
//
// Store keeps Leases by namespace/name with a global revision counter (as
// etcd's): every create, changing update and delete takes the next revision,
// and an object's resourceVersion is the decimal revision of its last write.
// uids are derived from a counter ("00000000-0000-4000-8000-<hex>") and
// creationTimestamps from true time on sim.Epoch (whole seconds, as they
// travel), so runs are byte-reproducible. Errors are real
// k8s.io/apimachinery/pkg/api/errors values naming coordination.k8s.io
// leases, so callers branch with errors.IsConflict and friends. See Store for
// the exact semantics; two are worth knowing up front:
//
//   - update without a resourceVersion fails Invalid (422), as the real Lease
//     registry answers — Leases do not allow unconditional updates (this is
//     not Conflict, and not an unconditional write);
//   - update of a missing object fails NotFound (the real registry would
//     create it; see Store).
//
// The store keeps immutable objects and hands out deep copies: a Response's
// objects belong to the receiver, a Request's body is copied when sent.
// Client.DoShared is the allocation-free variant for callers that treat
// leases as immutable values (the lease lock): the body is handed over
// instead of copied, and the response is the stored object itself, valid
// while done runs; bodies from Client.NewBody reuse the memory of stored
// leases that nobody can see any more (see recycle.go).
//
// # Clients
//
// NewServer(sim, cfg) builds a server; Server.Client(node) gives each node
// its client; Client.Do(req, timeout, done) sends a request at the current
// true time. The request travels (request latency), the server applies it at
// one true instant, the response travels back (response latency) and done
// runs as an event of the node: held while the node is paused, dropped if the
// process that sent the request has crashed or exited by then. timeout > 0
// is measured on the node's local clock; when it passes first, done gets
// ErrClientTimeout at that instant, and the server may still apply the
// request later — the history records that case. Call.Abort(err) ends a
// call at once (done runs synchronously). done runs exactly once, except for
// calls of a process that died; Do never runs it synchronously.
//
// # Faults
//
// All randomness comes from named kernel streams, never the global source:
// "api/latency/<node>/request" (one draw per request sent, whatever faults
// then do to it) and "api/latency/<node>/response" (one per response put on
// the wire; fixed distributions draw nothing),
// "api/errors" (one draw per applied request for which an error rule
// matches), "api/stale" (one draw per read while stale reads are on) and
// "api/service" (one draw per request served by a serial server).
//
//   - Latency: Distribution (fixed, uniform, exponential, truncated normal,
//     lognormal, Pareto; optional cap) per direction, per node
//     (Config.NodeLatency), and as a window (LatencyFault,
//     SetLatencyOverride), judged when each message leaves.
//   - Injected errors (Config.Errors, ErrorsFault): conflict, internal (500),
//     unavailable (503), tooManyRequests (429, Retry-After), timeout (504),
//     per verb with a probability, decided when the request would be
//     applied; the store is untouched unless the rule says AfterApply.
//   - Partitions per node (PartitionFault, SetPartition): drop-requests,
//     drop-responses (the write lands, the acknowledgement is lost),
//     drop-all, refuse (ErrConnectionRefused after one request-latency
//     leg). A request is judged when sent, a response when the server sends
//     it.
//   - Outages (OutageFault, SetOutage): refuse (ErrConnectionRefused after
//     request + response latency) or hang (requests vanish), judged when a
//     request reaches the server and again when a serial server finishes
//     serving it. The store survives.
//   - Stale reads (StaleReadsFault, SetStaleReads, Config.StaleReadMaxLag):
//     gets and lists are served as of a uniformly drawn lag in [0, maxLag];
//     writes compare against the latest state. Per-key versions are kept
//     only as far back as maxLag.
//   - A serial server (Config.ServiceTime): FIFO queue, each request holds
//     the server for its service time and is applied at its end.
//
// Windows: Server.ScheduleWindow(Window{At, Duration, Fault}) schedules a
// fault's start and end as kernel events; ScheduleWindows takes a list. The
// Set*/Clear* methods do the same by hand and may be called from any event.
// Faults of one kind on one target do not stack: the latest start wins and
// only its own end clears it.
//
// # History and linearizability
//
// With Config.RecordHistory, every call leaves a Record: node and process,
// verb, key, invoke/apply/return times, what the client and the server each
// saw, the resourceVersions and holderIdentity sent and produced. Off, memory
// does not grow with the run. CheckLinearizable checks a history against a
// register-per-key CAS model in which answers that never reached the client
// are "may or may not have happened" (LinearizabilityModel explains the
// encoding). Stale reads make histories non-linearizable, and the check
// says so.
//
// The lease lock adapter over Client lives in fakeapi/leaselock.
package fakeapi
