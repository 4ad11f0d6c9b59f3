// Package leaselock gives the elector what client-go's
// resourcelock.LeaseLock gives client-go's elector, over the simulated API
// server: Get returning the record and its raw form, Create, Update with the
// resourceVersion of the lease last seen, Identity, Describe and RecordEvent.
// Record ⇄ LeaseSpec conversion uses client-go's own helpers, so MicroTime
// precision and int32 durations are the real ones, and the cache follows
// LeaseLock's quirks (a failed Create leaves an empty lease cached; a failed
// Update keeps the old resourceVersion with the new spec).
package leaselock

import (
	"errors"
	"maps"
	"slices"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/fakeapi"
)

// ErrNotInitialized is LeaseLock.Update's error before any Get or Create.
var ErrNotInitialized = errors.New("lease not initialized, call get or create first")

// ErrEmptyName is what a real typed client returns, without sending
// anything, for an update of an object with no name (LeaseLock's cache after
// a failed Create).
var ErrEmptyName = errors.New("resource name may not be empty")

// Lock is a Lease-backed lock for one elector process.
//
// It talks to the server through DoShared: responses are the server's
// stored objects themselves, which the lock copies what it needs out of and
// never keeps, and each Update hands the server a body from NewBody built
// from the cached lease and the new record. That body becomes the stored
// version if the update lands, and its memory is recycled once nobody can
// see it, so a renewal allocates nothing. A lock with no call in flight (the
// elector's case: one call at a time) also makes its calls without
// allocating a closure.
//
// LeaseLock writes the new spec into its cached lease before it sends it,
// so after a failed Update its cache holds the new spec with the old
// resourceVersion. Here the cache stays the lease last received and the
// record last sent is kept beside it (pending) until an answer replaces
// both; the next Update reads the same metadata either way, and Cached
// shows LeaseLock's view.
type Lock struct {
	client   *fakeapi.Client
	meta     metav1.ObjectMeta
	identity string
	labels   map[string]string
	// timeout is the client's per-request timeout (client-go's
	// NewFromKubeconfig uses max(1s, RenewDeadline/2)); zero means none.
	timeout time.Duration
	// cache is a copy of the last lease received (or the empty lease a
	// failed Create leaves), valid when hasCache; its spec's pointers point
	// at cacheSpec.
	cache     coordinationv1.Lease
	cacheSpec specValues
	hasCache  bool
	// pending is the record of the last Update sent since then: LeaseLock's
	// cache holds it as its spec.
	pending    rl.LeaderElectionRecord
	hasPending bool
	// Recorder, when set, receives the events LeaseLock would record, as
	// "<identity> <message>".
	Recorder func(string)

	// The call in flight on the allocation-free path: its caller's
	// continuation, and the response handlers bound once.
	busy               bool
	getDone            func(*rl.LeaderElectionRecord, elector.RawRecord, error)
	writeDone          func(error)
	onGet              func(fakeapi.Response)
	onCreate, onUpdate func(fakeapi.Response)
	rec                rl.LeaderElectionRecord // Get's record, valid until the next call
}

// specValues holds what a LeaseSpec's pointers point at.
type specValues struct {
	holder    string
	duration  int32
	trans     int32
	acquire   metav1.MicroTime
	renew     metav1.MicroTime
	strategy  coordinationv1.CoordinatedLeaseStrategy
	preferred string
}

var _ elector.Lock = (*Lock)(nil)

// New returns a lock on namespace/name for identity.
func New(client *fakeapi.Client, namespace, name, identity string, requestTimeout time.Duration) *Lock {
	if elector.Mutated(elector.MutantNoRequestTimeout) {
		requestTimeout = 0 // a conformance mutant; constant false in the default build
	}
	l := &Lock{client: client, meta: metav1.ObjectMeta{Namespace: namespace, Name: name}, identity: identity, timeout: requestTimeout}
	l.onGet, l.onCreate, l.onUpdate = l.getReturned, l.createReturned, l.updateReturned
	return l
}

// NewWithLabels is New with labels set on Create and merged on Update.
func NewWithLabels(client *fakeapi.Client, namespace, name, identity string, requestTimeout time.Duration, labels map[string]string) *Lock {
	l := New(client, namespace, name, identity, requestTimeout)
	l.labels = labels
	return l
}

// RequestTimeout is client-go's NewFromKubeconfig rule for the per-request
// timeout: max(1s, renewDeadline/2).
func RequestTimeout(renewDeadline time.Duration) time.Duration {
	if t := renewDeadline / 2; t > time.Second {
		return t
	}
	return time.Second
}

// Cached returns the lease the lock last saw (nil before any call), as
// LeaseLock caches it: after an Update that has not succeeded, with the
// record sent as its spec (and the labels merged) but the resourceVersion
// last received. It is a copy owned by the lock, changed by its next call:
// it must not be modified.
func (l *Lock) Cached() *coordinationv1.Lease {
	if !l.hasCache {
		return nil
	}
	if !l.hasPending {
		return &l.cache
	}
	c := l.cache
	c.Spec = rl.LeaderElectionRecordToLeaseSpec(&l.pending)
	c.Labels = l.mergedLabels()
	return &c
}

// keep copies a received lease into the cache: its metadata (whose maps and
// slices are never modified by anyone, so they are shared) and the values
// of its spec.
func (l *Lock) keep(in *coordinationv1.Lease) {
	l.cache.TypeMeta = in.TypeMeta
	l.cache.ObjectMeta = in.ObjectMeta
	copySpec(&l.cache.Spec, &l.cacheSpec, &in.Spec)
	l.hasCache, l.hasPending = true, false
}

// copySpec makes *dst a copy of *src whose pointers point into v.
func copySpec(dst *coordinationv1.LeaseSpec, v *specValues, src *coordinationv1.LeaseSpec) {
	*dst = coordinationv1.LeaseSpec{}
	if src.HolderIdentity != nil {
		v.holder = *src.HolderIdentity
		dst.HolderIdentity = &v.holder
	}
	if src.LeaseDurationSeconds != nil {
		v.duration = *src.LeaseDurationSeconds
		dst.LeaseDurationSeconds = &v.duration
	}
	if src.AcquireTime != nil {
		v.acquire = *src.AcquireTime
		dst.AcquireTime = &v.acquire
	}
	if src.RenewTime != nil {
		v.renew = *src.RenewTime
		dst.RenewTime = &v.renew
	}
	if src.LeaseTransitions != nil {
		v.trans = *src.LeaseTransitions
		dst.LeaseTransitions = &v.trans
	}
	if src.Strategy != nil {
		v.strategy = *src.Strategy
		dst.Strategy = &v.strategy
	}
	if src.PreferredHolder != nil {
		v.preferred = *src.PreferredHolder
		dst.PreferredHolder = &v.preferred
	}
}

// mergedLabels is the cached lease's labels with the lock's merged in, as
// LeaseLock's Update leaves them.
func (l *Lock) mergedLabels() map[string]string {
	if l.labels == nil {
		return l.cache.Labels
	}
	labels := maps.Clone(l.cache.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(l.labels)) {
		labels[k] = l.labels[k]
	}
	return labels
}

// Identity is the holder identity this lock writes.
func (l *Lock) Identity() string { return l.identity }

// Describe is "namespace/name".
func (l *Lock) Describe() string { return l.meta.Namespace + "/" + l.meta.Name }

// RecordEvent records an event about the lock, if a recorder is set.
func (l *Lock) RecordEvent(s string) {
	if l.Recorder == nil {
		return
	}
	l.Recorder(l.identity + " " + s)
}

// Get reads the lease and caches it. The record passed to done is valid
// until the lock's next call: copy it to keep it.
func (l *Lock) Get(done func(*rl.LeaderElectionRecord, elector.RawRecord, error)) (elector.Call, error) {
	req := fakeapi.Request{Op: fakeapi.OpGet, Namespace: l.meta.Namespace, Name: l.meta.Name}
	if l.busy {
		return l.client.DoShared(req, l.timeout, func(resp fakeapi.Response) { l.gotLease(resp, done) }), nil
	}
	l.busy, l.getDone = true, done
	return l.client.DoShared(req, l.timeout, l.onGet), nil
}

func (l *Lock) getReturned(resp fakeapi.Response) {
	done := l.getDone
	l.busy, l.getDone = false, nil
	l.gotLease(resp, done)
}

func (l *Lock) gotLease(resp fakeapi.Response, done func(*rl.LeaderElectionRecord, elector.RawRecord, error)) {
	if resp.Err != nil {
		done(nil, elector.RawRecord{}, resp.Err)
		return
	}
	l.keep(resp.Lease)
	l.rec = specToRecord(&l.cache.Spec)
	done(&l.rec, elector.RawOf(&l.rec), nil)
}

// specToRecord is resourcelock.LeaseSpecToLeaderElectionRecord into a value.
func specToRecord(spec *coordinationv1.LeaseSpec) rl.LeaderElectionRecord {
	var r rl.LeaderElectionRecord
	if spec.HolderIdentity != nil {
		r.HolderIdentity = *spec.HolderIdentity
	}
	if spec.LeaseDurationSeconds != nil {
		r.LeaseDurationSeconds = int(*spec.LeaseDurationSeconds)
	}
	if spec.LeaseTransitions != nil {
		r.LeaderTransitions = int(*spec.LeaseTransitions)
	}
	if spec.AcquireTime != nil {
		r.AcquireTime = metav1.Time{Time: spec.AcquireTime.Time}
	}
	if spec.RenewTime != nil {
		r.RenewTime = metav1.Time{Time: spec.RenewTime.Time}
	}
	if spec.PreferredHolder != nil {
		r.PreferredHolder = *spec.PreferredHolder
	}
	if spec.Strategy != nil {
		r.Strategy = *spec.Strategy
	}
	return r
}

// setSpec makes a body's spec resourcelock.LeaderElectionRecordToLeaseSpec
// (rec), writing through the pointers NewBody set up.
func setSpec(sp *coordinationv1.LeaseSpec, rec *rl.LeaderElectionRecord) {
	*sp.HolderIdentity = rec.HolderIdentity
	*sp.LeaseDurationSeconds = int32(rec.LeaseDurationSeconds)
	*sp.AcquireTime = metav1.MicroTime{Time: rec.AcquireTime.Time}
	*sp.RenewTime = metav1.MicroTime{Time: rec.RenewTime.Time}
	*sp.LeaseTransitions = int32(rec.LeaderTransitions)
	if rec.PreferredHolder != "" {
		*sp.PreferredHolder = rec.PreferredHolder
	} else {
		sp.PreferredHolder = nil
	}
	if rec.Strategy != "" {
		*sp.Strategy = rec.Strategy
	} else {
		sp.Strategy = nil
	}
}

// Create creates the lease with the record.
func (l *Lock) Create(rec rl.LeaderElectionRecord, done func(error)) (elector.Call, error) {
	lease := l.client.NewBody()
	// The body may become the stored object: it gets its own labels.
	lease.Name, lease.Namespace, lease.Labels = l.meta.Name, l.meta.Namespace, maps.Clone(l.labels)
	setSpec(&lease.Spec, &rec)
	req := fakeapi.Request{Op: fakeapi.OpCreate, Namespace: l.meta.Namespace, Name: l.meta.Name, Lease: lease}
	return l.write(req, done, l.onCreate, (*Lock).created), nil
}

func (l *Lock) createReturned(resp fakeapi.Response) { l.created(resp, l.takeWriteDone()) }

// write sends a create or an update whose answer then handles. With no call
// in flight (the elector's case) it goes through onFree, bound once, so the
// call allocates no closure; a second call at once gets its own.
func (l *Lock) write(req fakeapi.Request, done func(error), onFree func(fakeapi.Response),
	then func(*Lock, fakeapi.Response, func(error))) elector.Call {
	if l.busy {
		return l.client.DoShared(req, l.timeout, func(resp fakeapi.Response) { then(l, resp, done) })
	}
	l.busy, l.writeDone = true, done
	return l.client.DoShared(req, l.timeout, onFree)
}

// takeWriteDone ends the allocation-free call and returns its caller's
// continuation.
func (l *Lock) takeWriteDone() func(error) {
	done := l.writeDone
	l.busy, l.writeDone = false, nil
	return done
}

func (l *Lock) created(resp fakeapi.Response, done func(error)) {
	if resp.Err != nil {
		// A typed client returns a non-nil empty object with its error,
		// and LeaseLock caches it.
		l.cache = coordinationv1.Lease{}
		l.hasCache, l.hasPending = true, false
		done(resp.Err)
		return
	}
	l.keep(resp.Lease)
	done(nil)
}

// Update writes the record over the cached lease with the cached
// resourceVersion. As LeaseLock, the cache takes the new spec at once and
// keeps it, with the old resourceVersion, if the update fails.
func (l *Lock) Update(rec rl.LeaderElectionRecord, done func(error)) (elector.Call, error) {
	if !l.hasCache {
		return nil, ErrNotInitialized
	}
	l.pending, l.hasPending = rec, true
	if l.cache.Name == "" {
		return nil, ErrEmptyName
	}
	body := l.client.NewBody()
	body.TypeMeta = l.cache.TypeMeta
	// The maps and slices stay shared with the cached lease: nobody
	// modifies them.
	body.ObjectMeta = l.cache.ObjectMeta
	body.Labels = l.mergedLabels()
	setSpec(&body.Spec, &rec)
	req := fakeapi.Request{Op: fakeapi.OpUpdate, Namespace: body.Namespace, Name: body.Name, Lease: body}
	return l.write(req, done, l.onUpdate, (*Lock).updated), nil
}

func (l *Lock) updateReturned(resp fakeapi.Response) { l.updated(resp, l.takeWriteDone()) }

func (l *Lock) updated(resp fakeapi.Response, done func(error)) {
	if resp.Err != nil {
		done(resp.Err)
		return
	}
	l.keep(resp.Lease)
	done(nil)
}
