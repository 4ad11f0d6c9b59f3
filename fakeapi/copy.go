package fakeapi

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// leaseBlock holds a Lease together with the targets of its spec's pointer
// fields, so that a deep copy is one allocation instead of one per field.
// The receiver cannot tell: every pointer still points at its own value, and
// the block lives as long as any of them does.
type leaseBlock struct {
	lease     coordinationv1.Lease
	holder    string
	duration  int32
	trans     int32
	acquire   metav1.MicroTime
	renew     metav1.MicroTime
	strategy  coordinationv1.CoordinatedLeaseStrategy
	preferred string

	// Recycling (recycle.go), for blocks from Client.NewBody (pooled).
	pooled bool  // may be recycled
	stored bool  // a version in the store (current or kept for stale reads)
	pinned bool  // handed out where it may be kept: never recycled
	inPool bool  // in the pool (recycled and not yet handed out again)
	refs   int32 // responses in flight that carry it
}

// copyLease is Lease.DeepCopy with a single allocation for the spec
// (metadata maps and slices, rare on leases, are copied as DeepCopy does).
// Copies happen twice per write and once per read, so this is on the
// hottest path of a run.
func copyLease(in *coordinationv1.Lease) *coordinationv1.Lease {
	if in == nil {
		return nil
	}
	b := new(leaseBlock)
	out := &b.lease
	out.TypeMeta = in.TypeMeta
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	s, d := &in.Spec, &out.Spec
	if s.HolderIdentity != nil {
		b.holder = *s.HolderIdentity
		d.HolderIdentity = &b.holder
	}
	if s.LeaseDurationSeconds != nil {
		b.duration = *s.LeaseDurationSeconds
		d.LeaseDurationSeconds = &b.duration
	}
	if s.AcquireTime != nil {
		b.acquire = *s.AcquireTime
		d.AcquireTime = &b.acquire
	}
	if s.RenewTime != nil {
		b.renew = *s.RenewTime
		d.RenewTime = &b.renew
	}
	if s.LeaseTransitions != nil {
		b.trans = *s.LeaseTransitions
		d.LeaseTransitions = &b.trans
	}
	if s.Strategy != nil {
		b.strategy = *s.Strategy
		d.Strategy = &b.strategy
	}
	if s.PreferredHolder != nil {
		b.preferred = *s.PreferredHolder
		d.PreferredHolder = &b.preferred
	}
	return out
}
