package fakeapi

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/lesim/lesim/sim"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// objKey keys objects by the two strings, so that no request has to build a
// "namespace/name" string.
type objKey struct{ ns, name string }

// version is one state of a key: the stored object (nil while the key does
// not exist), its resourceVersion and the true time it became current.
type version struct {
	lease *coordinationv1.Lease
	rv    uint64
	since time.Duration
	// blk is lease's block when it came from Client.NewBody: the store
	// recycles it once the version is gone and nobody can see it.
	blk *leaseBlock
}

// always is the "since" of the absent state that precedes a key's creation.
const always = time.Duration(math.MinInt64)

type entry struct {
	cur version
	// hist holds the versions before cur, oldest first, kept only while stale
	// reads need them (Store.SetRetention).
	hist []version
}

// at is the version visible at true time t. Versions older than what was
// retained are not known; the oldest known one stands in for them.
func (e *entry) at(t time.Duration) version {
	if e.cur.since <= t || len(e.hist) == 0 {
		return e.cur
	}
	for i := len(e.hist) - 1; i >= 0; i-- {
		if e.hist[i].since <= t {
			return e.hist[i]
		}
	}
	return e.hist[0]
}

// Store is the API server's storage: Lease objects by namespace/name, with a
// global revision counter as etcd's. It is the synchronous face of the
// server, for tests, setup and checkers; the asynchronous Client goes
// through the same code.
//
// Stored objects are immutable: a write stores a fresh object, so a read can
// hand out a deep copy taken at any later time, and Peek can hand out the
// stored object itself. The one exception is invisible from outside: a
// lease written through Client.DoShared with a body from Client.NewBody is
// recycled once it is no longer current (nor kept for stale reads) and no
// response in flight carries it — unless Peek or OnCommit has handed it out,
// which keeps it forever.
//
// Semantics, mirroring the real apiserver for coordination.k8s.io/v1 Leases
// (genericregistry.Store over etcd3):
//
//   - create of an existing name: AlreadyExists; with an empty name: Invalid;
//     a resourceVersion in the body is ignored (the server assigns one);
//   - update of a missing object: NotFound (the real Lease registry has
//     AllowCreateOnUpdate and would create it; leader election never relies
//     on that, and NotFound keeps a deleted lease deleted);
//   - update with an empty resourceVersion: Invalid ("metadata.resourceVersion:
//     must be specified for an update") — Leases do not allow unconditional
//     updates (AllowUnconditionalUpdate is false), so this is the real answer,
//     not Conflict; with a stale one: Conflict;
//   - an update that changes nothing keeps the object and its
//     resourceVersion (etcd3's GuaranteedUpdate skips identical writes);
//   - uid, creationTimestamp, namespace and name are the server's: an update
//     cannot change them;
//   - delete with a resourceVersion precondition that does not match:
//     Conflict; of a missing object: NotFound. A delete consumes a revision.
type Store struct {
	objs    map[objKey]*entry
	last    *entry // the entry lookup found last, under lastKey
	lastKey objKey
	rev     uint64
	uids    uint64
	now     func() time.Duration
	// retention > 0 keeps, per key, the versions needed to answer reads as of
	// any time in [now-retention, now].
	retention time.Duration
	// rvs holds the text of resourceVersions (see formatRV).
	rvs []byte
	// Epoch, when set, is the wall-clock instant true time 0 stands for in
	// creationTimestamps (a server on real time sets its start); zero
	// means sim.Epoch.
	Epoch time.Time
	// OnCommit, when set, sees every committed change (nil for a delete),
	// so checkers can follow a key's history without the full operation
	// history. The lease must not be modified.
	OnCommit func(namespace, name string, l *coordinationv1.Lease)
	// watch is Server.WatchCommits's hook: OnCommit for a reader that keeps
	// nothing, so the versions it sees can still be recycled.
	watch func(namespace, name string, l *coordinationv1.Lease)
	// free holds recycled blocks for Client.NewBody.
	free      []*leaseBlock
	recycling recycling
}

// NewStore returns an empty store whose creationTimestamps come from now
// (true time, mapped onto sim.Epoch()). A nil now stamps every object with
// sim.Epoch().
func NewStore(now func() time.Duration) *Store {
	if now == nil {
		now = func() time.Duration { return 0 }
	}
	return &Store{objs: make(map[objKey]*entry), now: now}
}

// lookup finds a key's entry. Leader election touches one key over and
// over, so the last entry found is remembered: comparing the two strings
// (usually the very same strings, so a pointer compare) is cheaper than
// hashing them.
func (st *Store) lookup(k objKey) *entry {
	if st.last != nil && st.lastKey == k {
		return st.last
	}
	e := st.objs[k]
	if e != nil {
		st.last, st.lastKey = e, k
	}
	return e
}

// forget deletes a key's entry.
func (st *Store) forget(k objKey) {
	delete(st.objs, k)
	if st.lastKey == k {
		st.last, st.lastKey = nil, objKey{}
	}
}

// ResourceVersion is the store's current revision: the resourceVersion of
// the latest write (0 before any).
func (st *Store) ResourceVersion() uint64 { return st.rev }

// Len counts the existing objects.
func (st *Store) Len() int {
	n := 0
	for _, e := range st.objs { //lesim:allow maprange: a count does not depend on the order
		if e.cur.lease != nil {
			n++
		}
	}
	return n
}

// Peek returns the stored object itself, or nil. It does not copy: the
// caller must not modify it (it is immutable by contract; a write replaces
// it rather than changing it, so a peeked object stays valid forever). It is
// meant for checkers that look at the store on every event.
func (st *Store) Peek(namespace, name string) *coordinationv1.Lease {
	if e := st.lookup(objKey{namespace, name}); e != nil {
		e.cur.blk.pin()
		return e.cur.lease
	}
	return nil
}

// Get returns a deep copy of the object, or NotFound.
func (st *Store) Get(namespace, name string) (*coordinationv1.Lease, error) {
	v, err := st.get(namespace, name)
	if err != nil {
		return nil, err
	}
	return copyLease(v.lease), nil
}

// Create stores a deep copy of l and returns a deep copy of what was stored.
func (st *Store) Create(l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	v, err := st.create("", "", l, false, nil)
	if err != nil {
		return nil, err
	}
	return copyLease(v.lease), nil
}

// Update replaces the object if l's resourceVersion is the current one and
// returns a deep copy of what was stored.
func (st *Store) Update(l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	v, _, err := st.update("", "", l, false, nil)
	if err != nil {
		return nil, err
	}
	return copyLease(v.lease), nil
}

// Delete removes the object. A non-empty resourceVersion is a precondition.
func (st *Store) Delete(namespace, name, resourceVersion string) error {
	_, err := st.delete(namespace, name, resourceVersion)
	return err
}

// List returns deep copies of the namespace's objects, sorted by name.
func (st *Store) List(namespace string) []coordinationv1.Lease {
	return copyList(st.listAt(namespace, st.now(), false))
}

// Apply runs a request synchronously, without any fault, and returns what a
// client would receive.
func (st *Store) Apply(req Request) Response {
	var resp Response
	switch req.Op {
	case OpGet:
		resp.Lease, resp.Err = st.Get(req.Namespace, req.Name)
	case OpCreate:
		var v version
		if v, resp.Err = st.create(req.Namespace, req.Name, req.Lease, false, nil); resp.Err == nil {
			resp.Lease = copyLease(v.lease)
		}
	case OpUpdate:
		var v version
		if v, _, resp.Err = st.update(req.Namespace, req.Name, req.Lease, false, nil); resp.Err == nil {
			resp.Lease = copyLease(v.lease)
		}
	case OpDelete:
		_, resp.Err = st.delete(req.Namespace, req.Name, preconditionRV(req))
	case OpList:
		resp.Leases = st.List(req.Namespace)
	default:
		resp.Err = errUnknownOp(req.Op)
	}
	return resp
}

func errUnknownOp(op Op) error {
	return apierrors.NewMethodNotSupported(LeaseResource, string(op))
}

func preconditionRV(req Request) string {
	if req.Lease != nil {
		return req.Lease.ResourceVersion
	}
	return ""
}

// SetRetention sets how far back reads as of a past time (stale reads) may
// look. Zero drops every retained version at once, so memory stays flat
// when stale reads are off. Versions older than a previous, shorter
// retention are gone: a read as of such a time sees the oldest retained one.
func (st *Store) SetRetention(d time.Duration) {
	if d < 0 {
		d = 0
	}
	st.retention = d
	if d > 0 {
		return
	}
	//lesim:allow maprange: every entry gets the same treatment, in any order
	for k, e := range st.objs {
		st.leaveAll(e.hist)
		e.hist = nil
		if e.cur.lease == nil {
			st.forget(k)
		}
	}
}

func (st *Store) get(namespace, name string) (version, error) {
	if e := st.lookup(objKey{namespace, name}); e != nil && e.cur.lease != nil {
		return e.cur, nil
	}
	return version{}, errNotFound(name)
}

// getAt is get as of true time t (a lagging cache).
func (st *Store) getAt(namespace, name string, t time.Duration) (version, error) {
	if e := st.lookup(objKey{namespace, name}); e != nil {
		if v := e.at(t); v.lease != nil {
			return v, nil
		}
	}
	return version{}, errNotFound(name)
}

// listAt returns the namespace's objects as of true time t (the current ones
// unless stale), sorted by name so that map order never shows.
func (st *Store) listAt(namespace string, t time.Duration, stale bool) []version {
	var out []version
	for k, e := range st.objs { //lesim:allow maprange: the result is sorted by name below
		if k.ns != namespace {
			continue
		}
		v := e.cur
		if stale {
			v = e.at(t)
		}
		if v.lease != nil {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b version) int { return strings.Compare(a.lease.Name, b.lease.Name) })
	return out
}

func copyList(vs []version) []coordinationv1.Lease {
	if len(vs) == 0 {
		return nil
	}
	out := make([]coordinationv1.Lease, len(vs))
	for i, v := range vs {
		v.lease.DeepCopyInto(&out[i])
	}
	return out
}

// resolveKey finds the object a create or update names: the request's
// namespace and name, falling back to the body's, refusing a body that
// names another object.
func resolveKey(namespace, name string, l *coordinationv1.Lease) (string, string, error) {
	if namespace == "" {
		namespace = l.Namespace
	} else if l.Namespace != "" && l.Namespace != namespace {
		return "", "", apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if name == "" {
		name = l.Name
	} else if l.Name != "" && l.Name != name {
		return "", "", apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", l.Name, name))
	}
	return namespace, name, nil
}

// create stores l. owned says l is a private copy the store may keep; blk
// is its block when it came from NewBody (and owned).
func (st *Store) create(namespace, name string, l *coordinationv1.Lease, owned bool, blk *leaseBlock) (version, error) {
	if l == nil {
		return version{}, apierrors.NewBadRequest("create without a body")
	}
	namespace, name, err := resolveKey(namespace, name, l)
	if err != nil {
		return version{}, err
	}
	if name == "" {
		return version{}, errNameRequired()
	}
	if namespace == "" {
		return version{}, errNamespaceRequired(name)
	}
	k := objKey{namespace, name}
	e := st.lookup(k)
	if e != nil && e.cur.lease != nil {
		return version{}, errAlreadyExists(name)
	}
	if !owned {
		l, blk = copyLease(l), nil
	}
	l.Namespace, l.Name = namespace, name
	st.uids++
	l.UID = uidOf(st.uids)
	// creationTimestamp goes over the wire with whole seconds; store what a
	// client would read back.
	epoch := st.Epoch
	if epoch.IsZero() {
		epoch = sim.Epoch()
	}
	l.CreationTimestamp = metav1.Time{Time: epoch.Add(st.now()).Truncate(time.Second)}
	l.Generation = 0
	l.DeletionTimestamp = nil
	if e == nil {
		e = &entry{cur: version{since: always}}
		st.objs[k] = e
	}
	return st.commit(k, e, l, blk), nil
}

// formatRV renders a resourceVersion without an allocation of its own: the
// digits are appended to a shared chunk and the string points into it. Bytes
// once written are never written again (only the free end of a chunk is
// appended to, and a full chunk is left to the strings that point into it),
// so the strings are as immutable as any other.
func (st *Store) formatRV(rv uint64) string {
	if cap(st.rvs)-len(st.rvs) < 20 {
		st.rvs = make([]byte, 0, 2048)
	}
	start := len(st.rvs)
	st.rvs = strconv.AppendUint(st.rvs, rv, 10)
	return unsafe.String(&st.rvs[start], len(st.rvs)-start)
}

// uidOf renders a counter as a UUID-shaped string: deterministic, unique in
// the run and stable across unrelated changes to the random streams.
func uidOf(n uint64) types.UID {
	return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", n))
}

// update replaces the object. The bool reports whether anything was written
// (an identical update writes nothing and keeps the resourceVersion).
func (st *Store) update(namespace, name string, l *coordinationv1.Lease, owned bool, blk *leaseBlock) (version, bool, error) {
	if l == nil {
		return version{}, false, apierrors.NewBadRequest("update without a body")
	}
	namespace, name, err := resolveKey(namespace, name, l)
	if err != nil {
		return version{}, false, err
	}
	k := objKey{namespace, name}
	e := st.lookup(k)
	if e == nil || e.cur.lease == nil {
		return version{}, false, errNotFound(name)
	}
	if l.ResourceVersion == "" {
		return version{}, false, errRVRequired(name)
	}
	// The current text is canonical: equal text is the one match, and
	// anything else is parsed to tell a bad resourceVersion from a stale
	// one (or a non-canonical spelling of the current one).
	if l.ResourceVersion != e.cur.lease.ResourceVersion {
		rv, perr := strconv.ParseUint(l.ResourceVersion, 10, 64)
		if perr != nil {
			return version{}, false, errBadRV(l.ResourceVersion)
		}
		if rv != e.cur.rv {
			return version{}, false, errConflict(name)
		}
	}
	old := e.cur.lease
	if sameContent(old, l) {
		return e.cur, false, nil
	}
	if !owned {
		l, blk = copyLease(l), nil
	}
	l.Namespace, l.Name = namespace, name
	l.UID = old.UID
	l.CreationTimestamp = old.CreationTimestamp
	l.Generation = old.Generation
	l.DeletionTimestamp = old.DeletionTimestamp
	return st.commit(k, e, l, blk), true, nil
}

// sameContent reports whether an update would store the same bytes: the same
// spec and the same user-settable metadata (system fields are the server's).
// The spec is compared field by field because it differs on almost every
// renewal and this must stay cheap; metadata is compared only when the
// specs agree.
func sameContent(old, l *coordinationv1.Lease) bool {
	a, b := &old.Spec, &l.Spec
	if !eqPtr(a.HolderIdentity, b.HolderIdentity) || !eqPtr(a.LeaseDurationSeconds, b.LeaseDurationSeconds) ||
		!eqMicro(a.AcquireTime, b.AcquireTime) || !eqMicro(a.RenewTime, b.RenewTime) ||
		!eqPtr(a.LeaseTransitions, b.LeaseTransitions) || !eqPtr(a.Strategy, b.Strategy) ||
		!eqPtr(a.PreferredHolder, b.PreferredHolder) {
		return false
	}
	om, nm := &old.ObjectMeta, &l.ObjectMeta
	return equality.Semantic.DeepEqual(om.Labels, nm.Labels) &&
		equality.Semantic.DeepEqual(om.Annotations, nm.Annotations) &&
		equality.Semantic.DeepEqual(om.OwnerReferences, nm.OwnerReferences) &&
		equality.Semantic.DeepEqual(om.Finalizers, nm.Finalizers)
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func eqMicro(a, b *metav1.MicroTime) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Time.Equal(b.Time)
}

// delete removes the object; precondRV, when set, must match.
func (st *Store) delete(namespace, name, precondRV string) (version, error) {
	k := objKey{namespace, name}
	e := st.lookup(k)
	if e == nil || e.cur.lease == nil {
		return version{}, errNotFound(name)
	}
	if precondRV != "" && precondRV != e.cur.lease.ResourceVersion {
		return version{}, errPrecondition(name, precondRV, e.cur.lease.ResourceVersion)
	}
	gone := e.cur
	st.commit(k, e, nil, nil)
	return gone, nil
}

// commit makes l (nil: absent) the key's current version at a new revision,
// keeping the previous version while stale reads may still need it.
func (st *Store) commit(k objKey, e *entry, l *coordinationv1.Lease, blk *leaseBlock) version {
	st.rev++
	now := st.now()
	if l != nil {
		l.ResourceVersion = st.formatRV(st.rev)
	}
	if st.retention > 0 {
		e.hist = append(e.hist, e.cur)
		// A version stays visible for reads as of [since, next.since); drop
		// those whose whole interval lies before the oldest time a stale read
		// can ask for.
		horizon := now - st.retention
		drop := 0
		for drop < len(e.hist) {
			next := now // the successor of the last retained version is the new one
			if drop+1 < len(e.hist) {
				next = e.hist[drop+1].since
			}
			if next > horizon {
				break
			}
			drop++
		}
		if drop > 0 {
			st.leaveAll(e.hist[:drop])
			n := copy(e.hist, e.hist[drop:])
			clear(e.hist[n:])
			e.hist = e.hist[:n]
		}
	} else {
		if e.hist != nil {
			st.leaveAll(e.hist)
			e.hist = nil
		}
		st.leave(e.cur.blk)
	}
	if blk != nil {
		blk.stored = true
	}
	e.cur = version{lease: l, rv: st.rev, since: now, blk: blk}
	if l == nil && st.retention == 0 {
		st.forget(k)
	}
	if st.OnCommit != nil {
		blk.pin()
		st.OnCommit(k.ns, k.name, l)
	}
	if st.watch != nil {
		st.watch(k.ns, k.name, l)
	}
	return e.cur
}
