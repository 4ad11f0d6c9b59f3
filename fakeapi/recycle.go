package fakeapi

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Recycling of stored leases.
//
// A renewal writes a new version of the lease: with immutable stored
// objects that is one fresh Lease per renewal, which was most of what a
// long run allocated. The lease lock instead asks its client for a body
// (Client.NewBody), hands it over with DoShared, and never keeps a pointer
// to a stored object (it copies what it needs out of every response). A
// version whose body came from NewBody can then only be reached through
// the store itself and through responses in flight, so the store puts its
// memory back into the pool once
//
//   - it has left the store (replaced, deleted, or dropped from the history
//     kept for stale reads: stored false),
//   - no response carrying it is still on its way (refs zero), and
//   - it was never handed out where it could be kept (Peek, OnCommit:
//     pinned).
//
// A body that never becomes a version (a conflict, an identical update, a
// dropped or refused request, an injected error) goes back as soon as the
// request is done with it. Every other lease — Do's copies, the store's own
// copies, anything from Store's synchronous methods — is never recycled.

// recycling is a store's pool bookkeeping beyond the free list. It is the
// store's own, like the rest of its state: runs in parallel share nothing.
type recycling struct {
	// poison, set by tests, fills recycled blocks with values no run
	// produces and keeps them out of the pool, so that any use after
	// recycling changes a run's outcome instead of going unnoticed.
	poison bool
	// recycled counts the blocks recycled (or poisoned), for tests.
	recycled uint64
}

// pin keeps b out of the pool for good: it has been handed out to code that
// may keep it.
func (b *leaseBlock) pin() {
	if b != nil {
		b.pinned = true
	}
}

// NewBody returns a Lease to be filled in and sent as the body of a create
// or update through DoShared, which then owns it. Its memory is that of a
// stored lease nobody can see any more, when there is one: a steady stream
// of renewals allocates nothing. Everything is zero except the spec's
// pointer fields, which point at zero values of their own inside the same
// allocation (set *l.Spec.HolderIdentity and so on; set a field to nil to
// leave it out). A body used any other way is not recycled, which is
// harmless.
func (c *Client) NewBody() *coordinationv1.Lease {
	st := c.srv.store
	var b *leaseBlock
	if n := len(st.free); n > 0 {
		b = st.free[n-1]
		st.free[n-1] = nil
		st.free = st.free[:n-1]
		b.inPool = false
	} else {
		b = &leaseBlock{pooled: true}
	}
	sp := &b.lease.Spec
	sp.HolderIdentity = &b.holder
	sp.LeaseDurationSeconds = &b.duration
	sp.AcquireTime = &b.acquire
	sp.RenewTime = &b.renew
	sp.LeaseTransitions = &b.trans
	sp.Strategy = &b.strategy
	sp.PreferredHolder = &b.preferred
	c.body, c.bodyBlk = &b.lease, b
	return &b.lease
}

// leave records that the version in b is no longer in the store.
func (st *Store) leave(b *leaseBlock) {
	if b != nil {
		b.stored = false
		st.recycle(b)
	}
}

func (st *Store) leaveAll(vs []version) {
	for i := range vs {
		st.leave(vs[i].blk)
	}
}

// unref drops the reference of a response that has been delivered or given
// up.
func (st *Store) unref(b *leaseBlock) {
	if b != nil {
		b.refs--
		st.recycle(b)
	}
}

// recycle returns b to the pool if nothing can reach it any more.
func (st *Store) recycle(b *leaseBlock) {
	if !b.pooled || b.stored || b.pinned || b.refs > 0 {
		return
	}
	if b.inPool {
		panic("fakeapi: lease block recycled twice")
	}
	b.inPool = true
	st.recycling.recycled++
	if st.recycling.poison {
		b.poison()
		return
	}
	*b = leaseBlock{pooled: true, inPool: true}
	st.free = append(st.free, b)
}

// poison makes every field of a recycled block absurd.
func (b *leaseBlock) poison() {
	const bad = "recycled-lease"
	l := &b.lease
	l.Name, l.Namespace, l.ResourceVersion, l.UID = bad, bad, "999999999999", bad
	l.Labels = map[string]string{bad: bad}
	b.holder, b.preferred, b.strategy = bad, bad, bad
	b.duration, b.trans = -7777, -7777
	far := metav1.NewMicroTime(time.Date(1901, 1, 1, 0, 0, 0, 0, time.UTC))
	b.acquire, b.renew = far, far
	sp := &l.Spec
	sp.HolderIdentity, sp.LeaseDurationSeconds, sp.LeaseTransitions = &b.holder, &b.duration, &b.trans
	sp.AcquireTime, sp.RenewTime = &b.acquire, &b.renew
	sp.Strategy, sp.PreferredHolder = &b.strategy, &b.preferred
}
