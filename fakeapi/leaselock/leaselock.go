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
type Lock struct {
	client   *fakeapi.Client
	meta     metav1.ObjectMeta
	identity string
	labels   map[string]string
	// timeout is the client's per-request timeout (client-go's
	// NewFromKubeconfig uses max(1s, RenewDeadline/2)); zero means none.
	timeout time.Duration
	lease   *coordinationv1.Lease
	// Recorder, when set, receives the events LeaseLock would record, as
	// "<identity> <message>".
	Recorder func(string)
}

var _ elector.Lock = (*Lock)(nil)

// New returns a lock on namespace/name for identity.
func New(client *fakeapi.Client, namespace, name, identity string, requestTimeout time.Duration) *Lock {
	return &Lock{client: client, meta: metav1.ObjectMeta{Namespace: namespace, Name: name}, identity: identity, timeout: requestTimeout}
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

// Cached returns the lease the lock last saw (nil before any call).
func (l *Lock) Cached() *coordinationv1.Lease { return l.lease }

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

// Get reads the lease and caches it.
func (l *Lock) Get(done func(*rl.LeaderElectionRecord, elector.RawRecord, error)) (elector.Call, error) {
	req := fakeapi.Request{Op: fakeapi.OpGet, Namespace: l.meta.Namespace, Name: l.meta.Name}
	return l.client.Do(req, l.timeout, func(resp fakeapi.Response) {
		if resp.Err != nil {
			done(nil, elector.RawRecord{}, resp.Err)
			return
		}
		l.lease = resp.Lease
		rec := rl.LeaseSpecToLeaderElectionRecord(&l.lease.Spec)
		done(rec, elector.RawOf(rec), nil)
	}), nil
}

// Create creates the lease with the record.
func (l *Lock) Create(rec rl.LeaderElectionRecord, done func(error)) (elector.Call, error) {
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: l.meta.Name, Namespace: l.meta.Namespace, Labels: l.labels},
		Spec:       rl.LeaderElectionRecordToLeaseSpec(&rec),
	}
	req := fakeapi.Request{Op: fakeapi.OpCreate, Namespace: l.meta.Namespace, Name: l.meta.Name, Lease: lease}
	return l.client.Do(req, l.timeout, func(resp fakeapi.Response) {
		if resp.Err != nil {
			// A typed client returns a non-nil empty object with its error,
			// and LeaseLock caches it.
			l.lease = &coordinationv1.Lease{}
			done(resp.Err)
			return
		}
		l.lease = resp.Lease
		done(nil)
	}), nil
}

// Update writes the record over the cached lease with the cached
// resourceVersion.
func (l *Lock) Update(rec rl.LeaderElectionRecord, done func(error)) (elector.Call, error) {
	if l.lease == nil {
		return nil, ErrNotInitialized
	}
	l.lease.Spec = rl.LeaderElectionRecordToLeaseSpec(&rec)
	if l.labels != nil {
		if l.lease.Labels == nil {
			l.lease.Labels = map[string]string{}
		}
		for _, k := range slices.Sorted(maps.Keys(l.labels)) {
			l.lease.Labels[k] = l.labels[k]
		}
	}
	if l.lease.Name == "" {
		return nil, ErrEmptyName
	}
	req := fakeapi.Request{Op: fakeapi.OpUpdate, Namespace: l.lease.Namespace, Name: l.lease.Name, Lease: l.lease}
	return l.client.Do(req, l.timeout, func(resp fakeapi.Response) {
		if resp.Err != nil {
			done(resp.Err)
			return
		}
		l.lease = resp.Lease
		done(nil)
	}), nil
}
