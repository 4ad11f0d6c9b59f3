package elector

import (
	"encoding/json"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rl "k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Lock is what the elector needs from a resource lock: client-go's
// resourcelock.Interface, made asynchronous. A call either fails at once
// (returned error; done is never called) or completes later through done,
// exactly once, unless it is aborted. Abort gives up on a call whose context
// ended: done runs synchronously with the given error and a later response
// is ignored (the server may still apply the request).
//
// fakeapi/leaselock implements it over the simulated API server with the
// same caching and resourceVersion rules as client-go's LeaseLock.
type Lock interface {
	Get(done func(rec *rl.LeaderElectionRecord, raw RawRecord, err error)) (Call, error)
	Create(rec rl.LeaderElectionRecord, done func(err error)) (Call, error)
	Update(rec rl.LeaderElectionRecord, done func(err error)) (Call, error)
	RecordEvent(s string)
	Identity() string
	Describe() string
}

// Call is an API call in flight.
type Call interface {
	Abort(err error)
}

// RawRecord stands for the raw bytes client-go's LeaseLock.Get returns: the
// JSON encoding of the LeaderElectionRecord, whose times carry whole seconds
// only. Two RawRecords are equal exactly when those bytes are, so the elector
// compares them with == instead of marshalling JSON on every Get. Bytes
// returns the JSON itself; a test holds the two notions together.
type RawRecord struct {
	set               bool
	Holder            string
	LeaseDurationSecs int
	Acquire, Renew    int64 // Unix seconds of the UTC wall time; valid when the matching flag is set
	HasAcquire        bool
	HasRenew          bool
	LeaderTransitions int
	Strategy          coordinationv1.CoordinatedLeaseStrategy
	PreferredHolder   string
}

// RawOf builds the raw form of a record as LeaseLock.Get would.
func RawOf(r *rl.LeaderElectionRecord) RawRecord {
	raw := RawRecord{
		set:               true,
		Holder:            r.HolderIdentity,
		LeaseDurationSecs: r.LeaseDurationSeconds,
		LeaderTransitions: r.LeaderTransitions,
		Strategy:          r.Strategy,
		PreferredHolder:   r.PreferredHolder,
	}
	if !r.AcquireTime.IsZero() {
		raw.HasAcquire, raw.Acquire = true, r.AcquireTime.Unix()
	}
	if !r.RenewTime.IsZero() {
		raw.HasRenew, raw.Renew = true, r.RenewTime.Unix()
	}
	return raw
}

// IsSet reports whether the raw record came from a Get (the zero value
// stands for client-go's initial nil observedRawRecord).
func (r RawRecord) IsSet() bool { return r.set }

// Bytes returns the JSON bytes client-go would have returned (nil for the
// zero value).
func (r RawRecord) Bytes() []byte {
	if !r.set {
		return nil
	}
	rec := rl.LeaderElectionRecord{
		HolderIdentity:       r.Holder,
		LeaseDurationSeconds: r.LeaseDurationSecs,
		LeaderTransitions:    r.LeaderTransitions,
		Strategy:             r.Strategy,
		PreferredHolder:      r.PreferredHolder,
	}
	if r.HasAcquire {
		rec.AcquireTime = metav1.NewTime(time.Unix(r.Acquire, 0))
	}
	if r.HasRenew {
		rec.RenewTime = metav1.NewTime(time.Unix(r.Renew, 0))
	}
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err) // a record of strings, ints and times always marshals
	}
	return b
}
