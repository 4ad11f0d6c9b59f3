package fakeapi

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Op is an API verb.
type Op string

// The verbs the server serves. OpAny is not a verb: it selects every verb in
// an ErrorRule.
const (
	OpGet    Op = "get"
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
	OpList   Op = "list"
	OpAny    Op = "any"
)

// numOps is the number of real verbs; index maps each to [0, numOps).
const numOps = 5

// index is the verb's slot in per-verb tables, -1 for an unknown verb. A
// switch instead of a map keeps the per-request cost to a few compares.
func (o Op) index() int {
	switch o {
	case OpGet:
		return 0
	case OpCreate:
		return 1
	case OpUpdate:
		return 2
	case OpDelete:
		return 3
	case OpList:
		return 4
	}
	return -1
}

// LeaseResource is the GroupResource every API error names, as the real
// apiserver's errors for Leases do.
var LeaseResource = schema.GroupResource{Group: coordinationv1.GroupName, Resource: "leases"}

// Request is one API call.
//
// Namespace and Name name the object (Name is ignored by list). For create
// and update an empty Namespace or Name is taken from Lease, and a Lease
// whose own non-empty namespace or name differs from the request's is
// refused with BadRequest, as the real apiserver does for a body that does
// not match its URL.
//
// Lease is the body of create and update. Client.Do deep-copies it at send
// time (the bytes leave the process then), so the caller may keep mutating
// its own object (Client.DoShared takes it over instead). For delete, a non-empty Lease.ResourceVersion is a
// precondition (metav1.Preconditions.ResourceVersion): the delete fails with
// Conflict unless it matches.
type Request struct {
	Op        Op
	Namespace string
	Name      string
	Lease     *coordinationv1.Lease
}

// Response is what the client receives. Lease is a deep copy owned by the
// receiver (get, create, update; for Client.DoShared, the stored object
// itself, valid while done runs); Leases is the list result, sorted by
// name, also owned by the receiver. Err is a real k8s.io/apimachinery/pkg/api/errors
// value for server-side failures (test with errors.IsConflict and friends),
// or a client-side error: ErrClientTimeout, ErrConnectionRefused, or whatever
// was passed to Call.Abort.
type Response struct {
	Lease  *coordinationv1.Lease
	Leases []coordinationv1.Lease
	Err    error
}

// Key names an object ("namespace/name"). It allocates; the hot paths key
// objects by the two strings instead.
func (r Request) Key() string { return r.Namespace + "/" + r.Name }
