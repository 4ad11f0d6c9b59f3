package rest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/lesim/lesim/fakeapi"
)

// TestInjectedErrors shows each injected error as the real client sees it,
// on fake time. client-go's rest client retries a 429 or 5xx that carries
// Retry-After by itself, up to 10 times, waiting Retry-After seconds each
// time: the caller sees one error after 11 requests.
func TestInjectedErrors(t *testing.T) {
	cases := []struct {
		name     string
		rule     fakeapi.ErrorRule
		is       func(error) bool
		attempts uint64
		took     time.Duration
	}{
		{"conflict", fakeapi.ErrorRule{Kind: fakeapi.ErrorConflict}, apierrors.IsConflict, 1, 0},
		{"internal", fakeapi.ErrorRule{Kind: fakeapi.ErrorInternal}, apierrors.IsInternalError, 1, 0},
		{"unavailable", fakeapi.ErrorRule{Kind: fakeapi.ErrorUnavailable}, apierrors.IsServiceUnavailable, 1, 0},
		{"429 without Retry-After", fakeapi.ErrorRule{Kind: fakeapi.ErrorTooManyRequests}, apierrors.IsTooManyRequests, 1, 0},
		{"429 Retry-After 1", fakeapi.ErrorRule{Kind: fakeapi.ErrorTooManyRequests, RetryAfterSeconds: 1}, apierrors.IsTooManyRequests, 11, 10 * time.Second},
		{"504 Retry-After 2", fakeapi.ErrorRule{Kind: fakeapi.ErrorTimeout, RetryAfterSeconds: 2}, apierrors.IsTimeout, 11, 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHandler(fakeapi.NewStore(nil))
				tc.rule.Op, tc.rule.Probability = fakeapi.OpGet, 1
				c := newChaos(t, h, ChaosConfig{Errors: []fakeapi.ErrorRule{tc.rule}})
				leases := clientset(t, c, "a", 0).CoordinationV1().Leases(ns)
				start := time.Now()
				_, err := leases.Get(context.Background(), "lock", metav1.GetOptions{})
				if !tc.is(err) {
					t.Fatalf("got %v", err)
				}
				if got := c.Counts("a").Get; got != tc.attempts {
					t.Errorf("%d requests, want %d", got, tc.attempts)
				}
				if took := time.Since(start); took != tc.took {
					t.Errorf("took %v, want %v", took, tc.took)
				}
			})
		})
	}
}

// TestRetryAfterHeader checks the header itself, as the apiserver sets it.
func TestRetryAfterHeader(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	c := newChaos(t, h, ChaosConfig{Errors: []fakeapi.ErrorRule{{Kind: fakeapi.ErrorTooManyRequests, Probability: 1, RetryAfterSeconds: 7}}})
	resp, err := (&http.Client{Transport: NewTransport(c)}).Get("http://x/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/lock")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("%d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestRetriesOutlastAnErrorWindow: a client retrying a 429 every second
// succeeds once the window of errors closes.
func TestRetriesOutlastAnErrorWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{})
		leases := clientset(t, c, "a", 0).CoordinationV1().Leases(ns)
		if _, err := leases.Create(context.Background(), lease("lock", "a"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		stop, err := c.Schedule(start, []fakeapi.Window{{
			At: 0, Duration: 3500 * time.Millisecond,
			Fault: fakeapi.ErrorsFault{Rules: []fakeapi.ErrorRule{{Kind: fakeapi.ErrorTooManyRequests, Probability: 1, RetryAfterSeconds: 1}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		synctest.Wait()
		if _, err := leases.Get(context.Background(), "lock", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if took, n := time.Since(start), c.Counts("a").Get; took != 4*time.Second || n != 5 {
			t.Fatalf("took %v over %d requests, want 4s over 5", took, n)
		}
	})
}

// TestInjectedAfterApply: the write lands, the client is told it failed.
func TestInjectedAfterApply(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	var log events
	c := newChaos(t, h, ChaosConfig{
		Errors: []fakeapi.ErrorRule{{Op: fakeapi.OpCreate, Kind: fakeapi.ErrorInternal, Probability: 1, AfterApply: true}},
		Log:    log.log,
	})
	_, err := clientset(t, c, "a", 0).CoordinationV1().Leases(ns).Create(context.Background(), lease("lock", "a"), metav1.CreateOptions{})
	if !apierrors.IsInternalError(err) {
		t.Fatalf("want InternalError, got %v", err)
	}
	if holder(h, "lock") != "a" {
		t.Fatal("the create did not land")
	}
	evs := log.all()
	if len(evs) != 1 || !evs[0].Applied || evs[0].Status != 500 || evs[0].Fault != "injected 500 after apply" || evs[0].Name != "lock" {
		t.Fatalf("events: %+v", evs)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && errors.Is(err, context.DeadlineExceeded)
}

// TestFaultsOnFakeTime shows latency, client timeouts, lost
// acknowledgements, late writes and refusals at their exact instants.
func TestFaultsOnFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{
			RequestLatency:  fakeapi.Fixed(100 * time.Millisecond),
			ResponseLatency: fakeapi.Fixed(50 * time.Millisecond),
		})
		ctx := context.Background()
		leases := clientset(t, c, "a", time.Second).CoordinationV1().Leases(ns)
		timed := func(f func() error) (time.Duration, error) {
			start := time.Now()
			err := f()
			return time.Since(start), err
		}
		update := func(holder string) func() error {
			return func() error {
				l, err := leases.Get(ctx, "lock", metav1.GetOptions{})
				if err != nil {
					return err
				}
				l.Spec.HolderIdentity = ptr.To(holder)
				_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
				return err
			}
		}

		// Request latency + response latency.
		if d, err := timed(func() error {
			_, err := leases.Create(ctx, lease("lock", "a"), metav1.CreateOptions{})
			return err
		}); err != nil || d != 150*time.Millisecond {
			t.Fatalf("create: %v after %v, want success after 150ms", err, d)
		}

		// drop-responses: the update lands 100ms in, its acknowledgement is
		// lost and the client times out at 1s.
		c.SetPartition("a", fakeapi.PartitionDropResponses)
		l, err := leases.Get(ctx, "lock", metav1.GetOptions{})
		if !isTimeout(err) {
			t.Fatalf("get under drop-responses: want a timeout, got %v, %v", l, err)
		}
		c.ClearPartition("a")
		l, _ = leases.Get(ctx, "lock", metav1.GetOptions{})
		c.SetPartition("a", fakeapi.PartitionDropResponses)
		l.Spec.HolderIdentity = ptr.To("b")
		if d, err := timed(func() error { _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); return err }); !isTimeout(err) || d != time.Second {
			t.Fatalf("update under drop-responses: %v after %v, want a timeout after 1s", err, d)
		}
		if holder(h, "lock") != "b" {
			t.Fatal("the update whose acknowledgement was lost did not land")
		}
		c.ClearPartition("a")

		// A write slower than the client's patience lands after it gave up.
		c.SetLatencyOverride("a", ptr.To(fakeapi.Fixed(1500*time.Millisecond)), nil)
		l, _ = leases.Get(ctx, "lock", metav1.GetOptions{}) // 1.5s: over the timeout
		c.ClearLatencyOverride("a")
		l, err = leases.Get(ctx, "lock", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.SetLatencyOverride("a", ptr.To(fakeapi.Fixed(1500*time.Millisecond)), nil)
		l.Spec.HolderIdentity = ptr.To("c")
		start := time.Now()
		if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); !isTimeout(err) || time.Since(start) != time.Second {
			t.Fatalf("slow update: %v after %v", err, time.Since(start))
		}
		if holder(h, "lock") != "b" {
			t.Fatal("the slow update landed early")
		}
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if holder(h, "lock") != "c" {
			t.Fatal("the slow update did not land after the client gave up")
		}
		c.ClearLatencyOverride("a")

		// drop-requests: nothing lands; the client times out.
		c.SetPartition("a", fakeapi.PartitionDropRequests)
		if d, err := timed(update("d")); !isTimeout(err) || d != time.Second {
			t.Fatalf("update under drop-requests: %v after %v", err, d)
		}
		if holder(h, "lock") != "c" {
			t.Fatal("a dropped request landed")
		}

		// refuse: fails fast, after the request latency, with the error
		// net.Dial gives.
		c.SetPartition("a", fakeapi.PartitionRefuse)
		if d, err := timed(update("d")); !errors.Is(err, syscall.ECONNREFUSED) || d != 100*time.Millisecond {
			t.Fatalf("get under refuse: %v after %v", err, d)
		}
		c.ClearPartition("a")

		// An outage refuses after both legs, or hangs.
		c.SetOutage(fakeapi.OutageRefuse)
		if d, err := timed(update("d")); !fakeapi.IsConnectionRefused(err) || d != 150*time.Millisecond {
			t.Fatalf("get under a refusing outage: %v after %v", err, d)
		}
		c.SetOutage(fakeapi.OutageHang)
		if d, err := timed(update("d")); !isTimeout(err) || d != time.Second {
			t.Fatalf("get under a hanging outage: %v after %v", err, d)
		}
		c.ClearOutage()
		if d, err := timed(update("d")); err != nil || d != 300*time.Millisecond {
			t.Fatalf("get+update after the outage: %v after %v", err, d)
		}
	})
}

// TestSerialServer queues concurrent requests, first come first served.
func TestSerialServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{ServiceTime: ptr.To(fakeapi.Fixed(time.Second))})
		start := time.Now()
		var mu sync.Mutex
		var done []time.Duration
		var wg sync.WaitGroup
		for _, node := range []string{"a", "b", "c"} {
			leases := clientset(t, c, node, 0).CoordinationV1().Leases(ns)
			wg.Go(func() {
				_, err := leases.Get(context.Background(), "lock", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					t.Error(err)
				}
				mu.Lock()
				done = append(done, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(done)
		if !slices.Equal(done, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}) {
			t.Fatalf("answered at %v", done)
		}
	})
}

// TestSchedule runs fault windows on fake time, with fakeapi's
// non-stacking rule: the window that began last owns the setting.
func TestSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		var log events
		c := newChaos(t, h, ChaosConfig{Log: log.log})
		leases := clientset(t, c, "a", 500*time.Millisecond).CoordinationV1().Leases(ns)
		start := time.Now()
		stop, err := c.Schedule(start, []fakeapi.Window{
			{At: 1 * time.Second, Duration: 4 * time.Second, Fault: fakeapi.OutageFault{Mode: fakeapi.OutageHang}},
			{At: 2 * time.Second, Duration: 1 * time.Second, Fault: &fakeapi.OutageFault{Mode: fakeapi.OutageRefuse}},
			{At: 6 * time.Second, Fault: fakeapi.PartitionFault{Node: "a", Mode: fakeapi.PartitionRefuse}},
			{At: 8 * time.Second, Fault: fakeapi.PartitionFault{Node: "a", Mode: fakeapi.PartitionDropRequests}},
		})
		if err != nil {
			t.Fatal(err)
		}
		get := func(at time.Duration) error {
			time.Sleep(time.Until(start.Add(at)))
			_, err := leases.Get(context.Background(), "lock", metav1.GetOptions{})
			return err
		}
		if err := get(500 * time.Millisecond); !apierrors.IsNotFound(err) {
			t.Errorf("0.5s, before any window: %v", err)
		}
		if err := get(1500 * time.Millisecond); !isTimeout(err) {
			t.Errorf("1.5s, hanging outage: %v", err)
		}
		if err := get(2500 * time.Millisecond); !fakeapi.IsConnectionRefused(err) {
			t.Errorf("2.5s, refusing outage: %v", err)
		}
		// The refusing window's end cleared the outage; the hanging one's
		// end at 5s does nothing.
		if err := get(3500 * time.Millisecond); !apierrors.IsNotFound(err) {
			t.Errorf("3.5s, after the later window ended: %v", err)
		}
		if err := get(6500 * time.Millisecond); !fakeapi.IsConnectionRefused(err) {
			t.Errorf("6.5s, refusing partition: %v", err)
		}
		stop() // the partition at 8s never begins
		if err := get(8500 * time.Millisecond); !fakeapi.IsConnectionRefused(err) {
			t.Errorf("8.5s, after stop: %v", err)
		}
		var faults []string
		for _, ev := range log.all() {
			if ev.Verb == "" {
				faults = append(faults, ev.Time.Sub(start).String()+" "+ev.Msg)
			}
		}
		want := []string{
			"1s outage hang begins (window 1)",
			"2s outage refuse begins (window 2)",
			"3s outage ends (window 2)",
			"5s outage hang ends, superseded by a later setting (window 1)",
			"6s partition refuse begins (window 3)",
		}
		if !slices.Equal(faults, want) {
			t.Errorf("fault log:\n%s\nwant:\n%s", strings.Join(faults, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestScheduleRefusesStaleReads(t *testing.T) {
	c := newChaos(t, NewHandler(fakeapi.NewStore(nil)), ChaosConfig{})
	_, err := c.Schedule(time.Now(), []fakeapi.Window{{Fault: fakeapi.StaleReadsFault{MaxLag: time.Second}}})
	if err == nil || !strings.Contains(err.Error(), "not supported over REST") {
		t.Fatalf("got %v", err)
	}
	_, err = c.Schedule(time.Now(), []fakeapi.Window{{Fault: fakeapi.PartitionFault{Node: "a", Mode: "sideways"}}})
	if err == nil {
		t.Fatal("an invalid window was accepted")
	}
}

func TestNewChaosValidates(t *testing.T) {
	h := NewHandler(fakeapi.NewStore(nil))
	for name, cfg := range map[string]ChaosConfig{
		"latency":  {RequestLatency: fakeapi.Uniform(2, 1)},
		"node":     {NodeLatency: map[string]fakeapi.NodeLatency{"a": {Response: &fakeapi.Distribution{Kind: "weird"}}}},
		"service":  {ServiceTime: ptr.To(fakeapi.Fixed(-1))},
		"errors":   {Errors: []fakeapi.ErrorRule{{Kind: fakeapi.ErrorInternal, Probability: 0.7}, {Kind: fakeapi.ErrorConflict, Probability: 0.7}}},
		"unknown":  {Errors: []fakeapi.ErrorRule{{Kind: "teapot", Probability: 1}}},
		"negative": {Errors: []fakeapi.ErrorRule{{Kind: fakeapi.ErrorTimeout, Probability: 1, RetryAfterSeconds: -1}}},
	} {
		if _, err := NewChaos(h, cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEventString(t *testing.T) {
	at := time.Date(2000, 1, 1, 0, 0, 1, 250e6, time.UTC)
	req := Event{Time: at, Start: at.Add(-150 * time.Millisecond), Node: "a", Verb: "update", Namespace: ns, Name: "lock",
		Status: 409, Fault: "injected 409", Latency: 150 * time.Millisecond}
	if got, want := req.String(), `2000-01-01T00:00:01.250Z node=a update kube-system/lock 409 latency=150ms took=150ms fault="injected 409"`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	f := Event{Time: at, Node: "b", Fault: "partition drop-all", Msg: "partition drop-all begins (window 1)"}
	if got, want := f.String(), "2000-01-01T00:00:01.250Z fault node=b partition drop-all begins (window 1)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestWaitIdle: a request outlives its client, and WaitIdle waits for it.
func TestWaitIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{RequestLatency: fakeapi.Fixed(time.Second), ResponseLatency: fakeapi.Fixed(time.Second)})
		leases := clientset(t, c, "a", 100*time.Millisecond).CoordinationV1().Leases(ns)
		start := time.Now()
		if _, err := leases.Create(context.Background(), lease("lock", "a"), metav1.CreateOptions{}); !isTimeout(err) {
			t.Fatalf("want a timeout, got %v", err)
		}
		if c.InFlight() != 1 {
			t.Fatalf("%d requests in flight, want 1", c.InFlight())
		}
		c.WaitIdle()
		// Applied at 1s; nobody to answer, so no response latency.
		if time.Since(start) != time.Second || holder(h, "lock") != "a" || c.InFlight() != 0 {
			t.Fatalf("idle at %v, holder %q", time.Since(start), holder(h, "lock"))
		}
	})
}

// TestOutageDuringService: a serial server judges the outage again when
// service ends.
func TestOutageDuringService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{ServiceTime: ptr.To(fakeapi.Fixed(time.Second))})
		leases := clientset(t, c, "a", 0).CoordinationV1().Leases(ns)
		start := time.Now()
		time.AfterFunc(500*time.Millisecond, func() { c.SetOutage(fakeapi.OutageRefuse) })
		_, err := leases.Create(context.Background(), lease("lock", "a"), metav1.CreateOptions{})
		if !fakeapi.IsConnectionRefused(err) || time.Since(start) != time.Second {
			t.Fatalf("%v after %v", err, time.Since(start))
		}
		if holder(h, "lock") != "" {
			t.Fatal("a request refused by the outage was applied")
		}
	})
}

func TestRequestEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		var log events
		c := newChaos(t, h, ChaosConfig{
			RequestLatency:  fakeapi.Fixed(100 * time.Millisecond),
			ResponseLatency: fakeapi.Fixed(50 * time.Millisecond),
			Log:             log.log,
		})
		leases := clientset(t, c, "a", time.Second).CoordinationV1().Leases(ns)
		start := time.Now()
		_, _ = leases.Create(context.Background(), lease("lock", "a"), metav1.CreateOptions{})
		c.SetPartition("a", fakeapi.PartitionDropResponses)
		_, _ = leases.Get(context.Background(), "lock", metav1.GetOptions{})
		c.WaitIdle()
		evs := log.all()
		if len(evs) != 3 {
			t.Fatalf("%d events: %v", len(evs), evs)
		}
		got := []string{evs[0].String(), evs[1].String(), evs[2].String()}
		want := []string{
			`2000-01-01T00:00:00.150Z node=a create kube-system/lock 201 latency=150ms took=150ms applied`,
			`2000-01-01T00:00:00.150Z fault node=a partition drop-responses begins`,
			`2000-01-01T00:00:01.150Z node=a get kube-system/lock 200 latency=100ms took=1s fault="partition drop-responses" applied abandoned`,
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !evs[0].Start.Equal(start) {
			t.Errorf("start %v, want %v", evs[0].Start, start)
		}
	})
}
