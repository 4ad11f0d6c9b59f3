package rest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/lesim/lesim/fakeapi"
)

// TestLoopback serves Chaos over a real socket, on the wall clock, as
// `simulate serve` does for real binaries: a refused node's connection is
// reset, a partitioned node's requests hang while another node's succeed.
func TestLoopback(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	c := newChaos(t, h, ChaosConfig{})
	srv := httptest.NewServer(c)
	defer srv.Close()
	client := func(node string, timeout time.Duration) *kubernetes.Clientset {
		cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL + nodePath(node), QPS: -1, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	ctx := context.Background()
	a, b, cc := client("a", 0), client("b", 300*time.Millisecond), client("c", 0)

	c.SetPartition("a", fakeapi.PartitionRefuse)
	_, err := a.CoordinationV1().Leases(ns).Create(ctx, lease("lock", "a"), metav1.CreateOptions{})
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("refused create: want a connection reset, got %v", err)
	}
	resp, err := http.Get(srv.URL + "/nodes/a/version")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("refused raw get: got %s", resp.Status)
	}

	// client-go retries a GET whose connection was reset, every second
	// (as if told Retry-After: 1), until its timeout: over a socket a
	// refused read does not fail fast as it does in-process.
	slow := client("a", 1200*time.Millisecond)
	start := time.Now()
	_, err = slow.CoordinationV1().Leases(ns).Get(ctx, "lock", metav1.GetOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 1200*time.Millisecond || c.Counts("a").Get < 2 {
		t.Fatalf("refused get: %v after %v and %d gets; want the timeout after retries", err, time.Since(start), c.Counts("a").Get)
	}

	c.SetPartition("b", fakeapi.PartitionDropRequests)
	hung := make(chan error, 1)
	start = time.Now()
	go func() {
		_, err := b.CoordinationV1().Leases(ns).Get(ctx, "lock", metav1.GetOptions{})
		hung <- err
	}()
	if _, err := cc.CoordinationV1().Leases(ns).Create(ctx, lease("lock", "c"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("node c, not partitioned: %v", err)
	}
	select {
	case err := <-hung:
		t.Fatalf("node b's request returned while node c's ran: %v", err)
	default:
	}
	err = <-hung
	if !isTimeout(err) || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("node b: want a timeout after 300ms, got %v after %v", err, time.Since(start))
	}
	if holder(h, "lock") != "c" {
		t.Fatal("node c's create did not land")
	}

	c.ClearPartition("a")
	if _, err := a.CoordinationV1().Leases(ns).Create(ctx, lease("lock", "a"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("after healing: want AlreadyExists, got %v", err)
	}
	if got := c.Counts("b").Get; got != 1 {
		t.Errorf("node b sent %d gets, want 1", got)
	}
}
