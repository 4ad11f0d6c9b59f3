// Package rest is a real Kubernetes REST surface over fakeapi's Lease store,
// so that unmodified client-go clientsets — and the real client-go leader
// elector over resourcelock.LeaseLock — and real binaries can talk to it.
//
// It is used two ways: in-process, by tests that run client-go inside
// testing/synctest bubbles on fake time (RESTConfig and NewTransport reach a
// handler without a socket), and over loopback on the wall clock, by
// `simulate serve`, for real binaries with their own kubeconfig.
//
// # Handler
//
// Handler serves coordination.k8s.io/v1 Leases from a fakeapi.Store: get,
// list (one namespace, or all namespaces the handler knows of — see
// Handler.AddNamespaces), create, update, delete (honouring
// DeleteOptions.Preconditions resourceVersion and uid), and patch (JSON
// merge patch and strategic merge patch; JSON patch and apply answer 415).
// The store does the semantics: resourceVersions, optimistic concurrency
// (a stale resourceVersion is Conflict, a missing one Invalid), NotFound,
// AlreadyExists, and BadRequest for a body that names another object than
// its URL. Handler.WithStore reaches the store under the handler's lock,
// for setup and checks while it serves. Errors are metav1.Status bodies with the code of their
// apimachinery error, and a Retry-After header (seconds) when
// Details.RetryAfterSeconds > 0, as the apiserver's response writers do.
//
// Bodies go through client-go's scheme: JSON, YAML and Kubernetes protobuf
// requests are decoded — typed clientsets send built-in types such as
// Leases as protobuf by default, and RESTConfig keeps that default so the
// wire is the one a real apiserver sees. Responses are JSON, stamped with
// apiVersion and kind, unless the client accepts only protobuf. Discovery
// (/api, /api/v1, /apis, /apis/coordination.k8s.io,
// /apis/coordination.k8s.io/v1) and /version are served in their legacy,
// unaggregated form, which discovery clients and kubectl fall back to.
//
// # Nodes
//
// A request names its node by a path prefix: /nodes/{node}/apis/... (NodeOf).
// client-go treats a path in a config's Host as a prefix for every request,
// so a node's kubeconfig server is simply "http://127.0.0.1:PORT/nodes/a";
// RESTConfig does the same in-process. Handler and Chaos accept and strip
// the prefix.
//
// # Chaos
//
// Chaos is middleware with fakeapi.Server's fault model, on the time
// package's clock (time.Sleep, time.NewTimer, time.AfterFunc), so it runs on
// fake time in a synctest bubble and on the wall clock otherwise. The
// semantics map onto fakeapi.Server's (see Chaos.ServeHTTP for the steps):
//
//   - One request-latency draw per request, from per-node streams with
//     fakeapi's stream names and ChaosConfig.Seed. The request latency is
//     always slept in full: a write sent before its client gave up still
//     lands (fakeapi's "applied after the client gave up").
//   - Partitions are judged when a message leaves: drop-requests (and
//     drop-all) — the request never reaches the store and the handler waits
//     until the client gives up (its context ends: a timeout, a cancel, a
//     closed connection); drop-responses — the request is applied, the
//     answer is lost, and the handler likewise waits; refuse — after the
//     request latency the connection is refused.
//   - Outages are judged on arrival and, on a serial server, again when
//     service ends: hang swallows the request like drop-requests; refuse
//     refuses after a response-latency draw.
//   - A serial server (ServiceTime) serves one request at a time in arrival
//     order, applying each at the end of its service time.
//   - Injected errors: one draw per request for which a rule matches its
//     verb, the rules splitting [0, 1) in order; the error replaces the
//     request, or follows it with AfterApply.
//   - The response latency is slept last, ending early if the client gives
//     up; then the response is written.
//   - Windows (Chaos.Schedule) do not stack: the window that began last owns
//     a setting and only its own end clears it.
//
// Only the five verbs fakeapi models (get, list, create, update, delete)
// are counted and draw injected errors; every request, discovery included,
// gets latency, partitions and outages.
//
// Refusal: in-process, NewTransport marks each request's context, Chaos
// flags a refusal there, and RoundTrip returns fakeapi.ErrConnectionRefused
// (errors.Is(err, syscall.ECONNREFUSED)), which client-go does not retry.
// Over a socket the connection was already accepted, so Chaos hijacks it and
// closes it with SO_LINGER 0: the client reads a reset (ECONNRESET). That is
// not quite a refusal: client-go retries a GET whose connection was reset,
// once a second up to 10 times, and Go's transport silently resends an
// idempotent request once on a reused keep-alive connection; so over a
// socket a refused read ends at the client's timeout, or after about 10 s,
// instead of at once, and is counted more than once. Writes fail at once.
//
// # Client retries
//
// client-go's rest client retries, by itself, any 429 or 5xx response that
// carries Retry-After: up to 10 retries, each after Retry-After seconds
// (within the request's timeout). An injected 429 or 504 with
// RetryAfterSeconds > 0 is therefore seen by the caller only after 11
// requests; one without Retry-After (RetryAfterSeconds 0, or 500/503 which
// carry none) fails at once. Counts shows every attempt.
//
// # synctest
//
// Create the Handler, the Chaos and the clients inside the bubble. Nothing
// here waits on a mutex held by a sleeping goroutine (a goroutine blocked on
// a mutex is not durably blocked); the serial queue is a channel. Every
// handler goroutine ends once its request's context does — but a dropped
// request from a client with neither a timeout nor a deadline waits
// forever, as it does against a real server, and keeps the bubble alive.
// A request also outlives a client that gave up (its request latency is
// slept in full), and time stops when the bubble's main goroutine returns:
// call Chaos.WaitIdle after stopping the clients, or the bubble reports a
// deadlock.
//
// # Not supported
//
// Watch (?watch=true answers 405 MethodNotAllowed; the leader elector does
// not watch), deletecollection, server-side apply and JSON patch, dryRun,
// list paging (every list is one page) and the server-side ?timeout=
// parameter. Stale reads (fakeapi.StaleReadsFault) are refused by
// Chaos.Schedule: the store's reads as of a past time are not reachable
// from outside fakeapi.
package rest
