package fakeapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// optimisticLockErrorMsg is the apiserver's own Conflict text
// (k8s.io/apiserver registry.OptimisticLockErrorMsg), so logs read like
// production ones.
const optimisticLockErrorMsg = "the object has been modified; please apply your changes to the latest version and try again"

// leaseKind is what the real registry puts into Invalid errors raised while
// checking resourceVersions: it uses the resource name as the kind (a
// long-standing TODO in genericregistry.Store.Update).
var leaseKind = schema.GroupKind{Group: LeaseResource.Group, Kind: LeaseResource.Resource}

// leaseObjectKind is what validation errors name (Lease, as in
// `Lease.coordination.k8s.io "x" is invalid`).
var leaseObjectKind = schema.GroupKind{Group: LeaseResource.Group, Kind: "Lease"}

// clientTimeoutError is what an HTTP client with a Timeout reports when the
// deadline passes before the response headers arrive. client-go surfaces it
// wrapped in a *url.Error; the elector only logs it, so one shared value
// (no allocation per timeout) with the same text is enough.
type clientTimeoutError struct{}

func (clientTimeoutError) Error() string {
	return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
}

// Unwrap lets callers test errors.Is(err, context.DeadlineExceeded), as they
// can with the net/http error.
func (clientTimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout marks it as a net.Error timeout, like the net/http error.
func (clientTimeoutError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (clientTimeoutError) Temporary() bool { return true }

// ErrClientTimeout is the error a call gets when its client-side timeout
// passes before the response arrives. errors.Is(err, context.DeadlineExceeded)
// holds for it.
var ErrClientTimeout error = clientTimeoutError{}

// ErrConnectionRefused is what a call gets when its connection is refused
// (a refusing partition, or an outage in refuse mode). It is the error
// net.Dial returns, so errors.Is(err, syscall.ECONNREFUSED) holds for it, as
// k8s.io/apimachinery/pkg/util/net.IsConnectionRefused expects.
var ErrConnectionRefused error = &net.OpError{
	Op:   "dial",
	Net:  "tcp",
	Addr: &net.TCPAddr{IP: net.IPv4(10, 96, 0, 1), Port: 443},
	Err:  os.NewSyscallError("connect", syscall.ECONNREFUSED),
}

// IsClientTimeout reports whether err is the client-side timeout of a call.
func IsClientTimeout(err error) bool { return errors.Is(err, ErrClientTimeout) }

// IsConnectionRefused reports whether err is a refused connection.
func IsConnectionRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func errNotFound(name string) error      { return apierrors.NewNotFound(LeaseResource, name) }
func errAlreadyExists(name string) error { return apierrors.NewAlreadyExists(LeaseResource, name) }

func errConflict(name string) error {
	return apierrors.NewConflict(LeaseResource, name, errors.New(optimisticLockErrorMsg))
}

// errPrecondition is the Conflict a delete gets when its resourceVersion
// precondition fails, worded as the apiserver's storage layer words it.
func errPrecondition(name, want, have string) error {
	return apierrors.NewConflict(LeaseResource, name, fmt.Errorf(
		"Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", want, have))
}

// errRVRequired is the real Lease registry's answer to an update without a
// resourceVersion: Leases do not allow unconditional updates.
func errRVRequired(name string) error {
	return apierrors.NewInvalid(leaseKind, name, field.ErrorList{
		field.Invalid(field.NewPath("metadata").Child("resourceVersion"), uint64(0), "must be specified for an update"),
	})
}

func errNameRequired() error {
	return apierrors.NewInvalid(leaseObjectKind, "", field.ErrorList{
		field.Required(field.NewPath("metadata").Child("name"), "name or generateName is required"),
	})
}

func errNamespaceRequired(name string) error {
	return apierrors.NewInvalid(leaseObjectKind, name, field.ErrorList{
		field.Required(field.NewPath("metadata").Child("namespace"), ""),
	})
}

func errBadRV(rv string) error {
	return apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
}
