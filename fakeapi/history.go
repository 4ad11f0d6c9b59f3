package fakeapi

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ClientOutcome is how a call ended for its caller.
type ClientOutcome uint8

// The client outcomes.
const (
	// ClientPending: done has not run — the request or its response is
	// lost and nothing (timeout, abort) ended the call, or it is still in
	// flight when the history is read.
	ClientPending ClientOutcome = iota
	// ClientReturned: done got the server's answer (success or API error).
	ClientReturned
	// ClientTimedOut: the client-side timeout passed first.
	ClientTimedOut
	// ClientAborted: the caller aborted the call.
	ClientAborted
	// ClientRefused: the connection was refused.
	ClientRefused
	// ClientGone: the process that made the call crashed or exited before
	// its outcome reached it.
	ClientGone
)

func (o ClientOutcome) String() string {
	switch o {
	case ClientPending:
		return "pending"
	case ClientReturned:
		return "returned"
	case ClientTimedOut:
		return "timed-out"
	case ClientAborted:
		return "aborted"
	case ClientRefused:
		return "refused"
	case ClientGone:
		return "client-gone"
	}
	return fmt.Sprintf("ClientOutcome(%d)", o)
}

// ServerOutcome is what the server did with a request.
type ServerOutcome uint8

// The server outcomes.
const (
	// ServerNotReached: the request is still on the wire or queued.
	ServerNotReached ServerOutcome = iota
	// ServerDropped: the request was lost (a partition dropping requests,
	// or a hanging outage); the store never saw it.
	ServerDropped
	// ServerRefused: the connection was refused; the store never saw it.
	ServerRefused
	// ServerApplied: the store ran it and the server sent the store's
	// answer (which may be an API error such as Conflict).
	ServerApplied
	// ServerInjected: an injected error was sent instead; the store never
	// saw it.
	ServerInjected
	// ServerAppliedInjected: the store ran it, then an injected error was
	// sent instead of the store's answer.
	ServerAppliedInjected
)

func (o ServerOutcome) String() string {
	switch o {
	case ServerNotReached:
		return "not-reached"
	case ServerDropped:
		return "dropped"
	case ServerRefused:
		return "refused"
	case ServerApplied:
		return "applied"
	case ServerInjected:
		return "injected"
	case ServerAppliedInjected:
		return "applied+injected"
	}
	return fmt.Sprintf("ServerOutcome(%d)", o)
}

// ItemVersion is one object of a list result.
type ItemVersion struct {
	Name   string
	RV     uint64
	Holder string
}

// Record is the history of one call, from both ends. Times are true times.
type Record struct {
	Seq         uint64 // 1, 2, ... in the order calls were sent
	Node        string
	Incarnation uint32 // the node's process that made the call
	Op          Op
	Namespace   string
	Name        string

	Invoke time.Duration // when the client sent it
	// Apply is when the server ran it, injected its error, refused it, or
	// when it was dropped (Server says which; unset for ServerNotReached).
	Apply time.Duration
	// Return is when the call ended for the client (unset while Client is
	// ClientPending or ClientGone).
	Return time.Duration

	Client ClientOutcome
	Server ServerOutcome
	// ResponseLost: the server answered but a partition dropped the answer.
	ResponseLost bool

	// Err is the error the caller got (nil on success or while pending).
	Err error
	// ServerErr is the error the server sent (the store's answer or an
	// injected error); StoreErr is the store's own answer when it ran.
	ServerErr error
	StoreErr  error

	// ReqRV is the resourceVersion sent: update's, or delete's precondition
	// (0: none). ReqHolder is the holderIdentity sent by create and update.
	ReqRV     uint64
	ReqHolder string
	// BadReqRV is the resourceVersion sent when it is not a number (ReqRV
	// is then 0): the store refuses it, and the history cannot be checked.
	BadReqRV string
	// RV and Holder are the store's result: the version written by create
	// and update (an identical update keeps the old one), the version read
	// by get (0: not found), the revision consumed by delete. 0 when the
	// store refused the write.
	RV     uint64
	Holder string
	// Stale reads were served as of ReadAt, which lags Apply.
	Stale  bool
	ReadAt time.Duration
	// Items is a list's result.
	Items []ItemVersion

	client *Client
}

// Applied reports whether the store ran the request.
func (r *Record) Applied() bool {
	return r.Server == ServerApplied || r.Server == ServerAppliedInjected
}

// Landed reports whether the request changed the store (a successful
// create, update or delete).
func (r *Record) Landed() bool {
	return r.Applied() && r.StoreErr == nil && (r.Op == OpCreate || r.Op == OpUpdate || r.Op == OpDelete)
}

// GaveUp reports whether the client stopped waiting before any answer
// reached it (timeout, abort, or the process died).
func (r *Record) GaveUp() bool {
	return r.Client == ClientTimedOut || r.Client == ClientAborted || r.Client == ClientGone
}

// AppliedAfterGiveUp is the case leader election must survive: the store
// ran the request after the client had stopped waiting for it.
func (r *Record) AppliedAfterGiveUp() bool {
	if !r.Applied() {
		return false
	}
	switch r.Client {
	case ClientTimedOut, ClientAborted:
		return r.Apply >= r.Return
	case ClientGone:
		return true
	}
	return false
}

// Outcome summarises the record in one word or two: ok, error:<Reason>,
// timed-out, aborted, refused, dropped (request or response lost, client
// still waiting), pending, client-gone; with "+applied-after-client-gave-up"
// when that happened.
func (r *Record) Outcome() string {
	var s string
	switch r.Client {
	case ClientReturned:
		if r.Err == nil {
			s = "ok"
		} else {
			s = "error:" + string(apierrors.ReasonForError(r.Err))
		}
	case ClientPending:
		if r.Server == ServerDropped || r.ResponseLost {
			s = "dropped"
		} else {
			s = "pending"
		}
	default:
		s = r.Client.String()
	}
	if r.AppliedAfterGiveUp() {
		s += "+applied-after-client-gave-up"
	}
	return s
}

// String is one line for logs and failure reports.
func (r *Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s/%d %s %s/%s invoke=%v", r.Seq, r.Node, r.Incarnation, r.Op, r.Namespace, r.Name, r.Invoke)
	if r.Server != ServerNotReached {
		fmt.Fprintf(&b, " %s=%v", r.Server, r.Apply)
	}
	if r.Client != ClientPending && r.Client != ClientGone {
		fmt.Fprintf(&b, " return=%v", r.Return)
	}
	fmt.Fprintf(&b, " %s", r.Outcome())
	if r.ReqRV != 0 || r.ReqHolder != "" {
		fmt.Fprintf(&b, " req(rv=%d holder=%q)", r.ReqRV, r.ReqHolder)
	}
	if r.Applied() {
		fmt.Fprintf(&b, " res(rv=%d holder=%q)", r.RV, r.Holder)
		if r.StoreErr != nil {
			fmt.Fprintf(&b, " store=%s", apierrors.ReasonForError(r.StoreErr))
		}
	}
	if r.Stale {
		fmt.Fprintf(&b, " stale(readAt=%v)", r.ReadAt)
	}
	for _, it := range r.Items {
		fmt.Fprintf(&b, " [%s rv=%d holder=%q]", it.Name, it.RV, it.Holder)
	}
	return b.String()
}

// historyLog stores records in fixed-size chunks: appending never moves a
// record (one big slice would copy every record again at each growth, which
// dominated long recorded runs) and in-flight calls update theirs in place.
type historyLog struct {
	chunks [][]Record
	n      int
}

const historyChunk = 1024

func (h *historyLog) add(r Record) int {
	if h.n%historyChunk == 0 {
		h.chunks = append(h.chunks, make([]Record, 0, historyChunk))
	}
	c := &h.chunks[len(h.chunks)-1]
	*c = append(*c, r)
	h.n++
	return h.n - 1
}

func (h *historyLog) at(i int) *Record { return &h.chunks[i/historyChunk][i%historyChunk] }

// History returns a snapshot of the records of every call so far, in send
// order (when Config.RecordHistory is set). Calls still in flight change the
// server's records later, not the snapshot.
func (srv *Server) History() []Record {
	out := make([]Record, 0, srv.history.n)
	for _, c := range srv.history.chunks {
		for i := range c {
			r := &c[i]
			// A call whose process died after the response was scheduled is
			// dropped by the kernel without the server hearing of it.
			if r.Client == ClientPending && r.client != nil && r.client.node.Incarnation() != r.Incarnation {
				r.Client = ClientGone
			}
		}
		out = append(out, c...)
	}
	return out
}

// HistoryLen is the number of recorded calls.
func (srv *Server) HistoryLen() int { return srv.history.n }

// HistoryHash is a digest of a history (every field but the unexported
// ones, errors by their text), for determinism tests: the same scenario and
// seed must give the same hash.
func HistoryHash(h []Record) uint64 {
	f := fnv.New64a()
	for i := range h {
		r := &h[i]
		fmt.Fprintf(f, "%d|%s|%d|%s|%s|%s|%d|%d|%d|%d|%d|%t|%v|%v|%v|%d|%s|%d|%s|%t|%d|%v\n",
			r.Seq, r.Node, r.Incarnation, r.Op, r.Namespace, r.Name,
			r.Invoke, r.Apply, r.Return, r.Client, r.Server, r.ResponseLost,
			r.Err, r.ServerErr, r.StoreErr, r.ReqRV, r.ReqHolder, r.RV, r.Holder, r.Stale, r.ReadAt, r.Items)
	}
	return f.Sum64()
}
