package rest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type closeSpy struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeSpy) Close() error { c.closed.Store(true); return nil }

func TestTransportRoundTrip(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write(append([]byte(r.Method+" "), b...))
	})
	body := &closeSpy{Reader: strings.NewReader("hello")}
	req, _ := http.NewRequest(http.MethodPost, "http://x/a/b?c=d", body)
	resp, err := NewTransport(h).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || string(b) != "POST hello" || resp.Header.Get("X-Path") != "/a/b" || resp.ContentLength != 10 {
		t.Fatalf("%s %q %v", resp.Status, b, resp.Header)
	}
	if !body.closed.Load() {
		t.Fatal("the request body was not closed")
	}
}

// TestTransportClientGivesUp: the client's timeout ends the round trip at
// once and the handler sees its context end, as on a closed connection.
func TestTransportClientGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var handlerDone atomic.Bool
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
			handlerDone.Store(true)
		})
		hc := &http.Client{Transport: NewTransport(h), Timeout: 2 * time.Second}
		start := time.Now()
		_, err := hc.Get("http://x/")
		if !isTimeout(err) || time.Since(start) != 2*time.Second {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
		synctest.Wait()
		if !handlerDone.Load() {
			t.Fatal("the handler is still running")
		}

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://x/", nil)
		if _, err := NewTransport(h).RoundTrip(req); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	})
}

func TestTransportConcurrent(t *testing.T) {
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, r.URL.Query().Get("i"))
	})
	hc := &http.Client{Transport: NewTransport(h)}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			want := strings.Repeat("x", i)
			resp, err := hc.Get("http://x/?i=" + want)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != want {
				t.Errorf("got %q, want %q", b, want)
			}
		})
	}
	wg.Wait()
	if n.Load() != 64 {
		t.Fatalf("%d requests served", n.Load())
	}
}

func TestTransportHandlerPanic(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	if _, err := NewTransport(h).RoundTrip(req); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("got %v", err)
	}
}

// TestTransportEndedContext: as net/http's Transport, a request whose
// context has already ended never reaches the server.
func TestTransportEndedContext(t *testing.T) {
	var served atomic.Bool
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Store(true) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := &closeSpy{Reader: strings.NewReader("x")}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://x/a", body)
	if _, err := NewTransport(h).RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if served.Load() || !body.closed.Load() {
		t.Fatalf("served %v, body closed %v: want not served, closed", served.Load(), body.closed.Load())
	}
}
