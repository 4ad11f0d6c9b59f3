package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"k8s.io/client-go/rest"

	"github.com/lesim/lesim/fakeapi"
)

// inProcessKey marks the context of a request that came through the
// in-process transport. Its value is how a handler refuses the connection
// (Chaos's refuse faults): there is no socket to reset, so the handler sets
// refused and returns, and the transport turns that into
// fakeapi.ErrConnectionRefused.
type inProcessKey struct{}

type inProcessConn struct {
	refused bool
}

// refuseInProcess refuses r if it came through the in-process transport and
// reports whether it did.
func refuseInProcess(r *http.Request) bool {
	c, ok := r.Context().Value(inProcessKey{}).(*inProcessConn)
	if ok {
		c.refused = true
	}
	return ok
}

// errConnReset is what the in-process transport returns when the handler
// aborts the response (panic(http.ErrAbortHandler)), as a client sees a
// server that resets the connection.
var errConnReset error = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}

var errRequestCanceled = errors.New("net/http: request canceled")

// NewTransport returns an http.RoundTripper that calls h in-process, without
// a socket.
//
// Each request runs h in its own goroutine, with a context derived from the
// request's: when the client gives up (its http.Client Timeout, or the
// request context ending), RoundTrip returns the context's error at once
// and h sees its context done, as a server sees a closed connection. h is
// then left to finish on its own — a write it was about to apply still
// lands. The response is returned when h returns; its body is the bytes h
// wrote. Safe for concurrent use.
func NewTransport(h http.Handler) http.RoundTripper { return &transport{h: h} }

type transport struct{ h http.Handler }

// CancelRequest is the pre-context way of cancelling, which http.Client
// still calls on a timeout and client-go's wrapping round trippers pass on
// (logging a warning when the transport lacks it). The request's context
// ends at the same moment and is what RoundTrip watches, so there is
// nothing left to do here.
func (t *transport) CancelRequest(*http.Request) {}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	// As net/http's Transport: a request whose context has ended is not
	// sent at all.
	if err := req.Context().Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	body, err := drainBody(req)
	if err != nil {
		return nil, err
	}
	clientCtx := req.Context()
	ctx, cancel := context.WithCancel(clientCtx)
	conn := &inProcessConn{}
	sreq := serverRequest(context.WithValue(ctx, inProcessKey{}, conn), req, body)

	rec := newRecorder()
	done := make(chan struct{})
	var handlerErr error
	go func() {
		defer close(done)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				handlerErr = errConnReset
				if p != http.ErrAbortHandler {
					// As net/http's server: log, and the client sees the
					// connection go away.
					log.Printf("fakeapi/rest: panic serving %s %s: %v\n%s", req.Method, req.URL, p, debug.Stack())
				}
			}
		}()
		t.h.ServeHTTP(rec, sreq)
	}()

	select {
	case <-done:
	case <-clientCtx.Done():
		// The handler's context is done too (it derives from clientCtx).
		return nil, clientCtx.Err()
	//lint:ignore SA1019 deprecated, but http.Client still closes it on a Timeout
	case <-req.Cancel:
		cancel()
		if err := clientCtx.Err(); err != nil {
			// Both ended at one instant (a Timeout equal to the context's
			// deadline): answer as the context, whichever woke us.
			return nil, err
		}
		return nil, errRequestCanceled
	}
	if handlerErr != nil {
		return nil, handlerErr
	}
	if conn.refused {
		return nil, fakeapi.ErrConnectionRefused
	}
	return response(req, rec), nil
}

// drainBody reads and closes the request's body, if any.
func drainBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	return body, err
}

// serverRequest is req as a server sees it after reading it off an
// HTTP/1.1 connection: under ctx, with body, the request URI and the
// in-process remote address.
func serverRequest(ctx context.Context, req *http.Request, body []byte) *http.Request {
	sreq := req.Clone(ctx)
	sreq.Body = http.NoBody
	if len(body) > 0 {
		sreq.Body = io.NopCloser(bytes.NewReader(body))
	}
	sreq.ContentLength = int64(len(body))
	sreq.GetBody = nil
	sreq.Proto, sreq.ProtoMajor, sreq.ProtoMinor = "HTTP/1.1", 1, 1
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "in-process"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	return sreq
}

// response is what the handler wrote into rec, as the client receives it.
func response(req *http.Request, rec *recorder) *http.Response {
	code, header := rec.result()
	b := rec.body.Bytes()
	if req.Method == http.MethodHead {
		b = nil
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(b)),
		ContentLength: int64(len(b)),
		Request:       req,
	}
}

// RESTConfig returns a *rest.Config whose clients reach h in-process as
// node: Host "http://lesim.invalid/nodes/<node>" (no prefix if node==""),
// Transport NewTransport(h), QPS -1 (no client-side rate limit), Timeout
// timeout. ContentType is left at its default, so typed clientsets send
// Leases as protobuf, exactly as they do against a real apiserver.
func RESTConfig(h http.Handler, node string, timeout time.Duration) *rest.Config {
	return &rest.Config{
		Host:      "http://lesim.invalid" + nodePath(node),
		Transport: NewTransport(h),
		QPS:       -1,
		Timeout:   timeout,
	}
}
