package rest

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/lesim/lesim/fakeapi"
)

// TestLeaderElectorOnFakeTime runs client-go's real leader elector, two
// candidates, over Chaos on fake time: a leads, loses its lease when its
// link drops, and b takes over once the lease has expired.
func TestLeaderElectorOnFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(fakeapi.NewStore(nil))
		c := newChaos(t, h, ChaosConfig{
			RequestLatency:  fakeapi.Fixed(10 * time.Millisecond),
			ResponseLatency: fakeapi.Fixed(10 * time.Millisecond),
		})
		start := time.Now()
		var mu sync.Mutex
		var log []string
		note := func(s string) {
			mu.Lock()
			defer mu.Unlock()
			log = append(log, time.Since(start).Round(time.Second).String()+" "+s)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		run := func(id string, delay time.Duration) {
			lock := &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: ns, Name: "lock"},
				Client:     clientset(t, c, id, 5*time.Second).CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: id},
			}
			wg.Go(func() {
				time.Sleep(delay)
				leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
					Lock:          lock,
					LeaseDuration: 15 * time.Second,
					RenewDeadline: 10 * time.Second,
					RetryPeriod:   2 * time.Second,
					Callbacks: leaderelection.LeaderCallbacks{
						OnStartedLeading: func(context.Context) { note(id + " leads") },
						OnStoppedLeading: func() { note(id + " stops") },
					},
				})
			})
		}
		run("a", 0)
		run("b", time.Second)
		stop, err := c.Schedule(start, []fakeapi.Window{{At: 30 * time.Second, Fault: fakeapi.PartitionFault{Node: "a", Mode: fakeapi.PartitionDropAll}}})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Minute)
		cancel()
		stop()
		wg.Wait()
		c.WaitIdle() // requests of cancelled electors may still be on the wire

		mu.Lock()
		defer mu.Unlock()
		if len(log) < 3 || log[0] != "0s a leads" || log[2][len(log[2])-len("b leads"):] != "b leads" {
			t.Fatalf("log: %q", log)
		}
		// a's last successful renewal was before 30s; it gives up after its
		// 10s renew deadline, and b acquires once 15s have passed since it
		// last saw the record change.
		var aStop, bLead time.Duration
		for _, l := range log {
			var d time.Duration
			var what string
			for i := range l {
				if l[i] == ' ' {
					d, _ = time.ParseDuration(l[:i])
					what = l[i+1:]
					break
				}
			}
			switch what {
			case "a stops":
				aStop = d
			case "b leads":
				bLead = d
			}
		}
		if aStop < 30*time.Second || aStop > 42*time.Second || bLead < 43*time.Second || bLead > 50*time.Second {
			t.Fatalf("a stopped at %v, b led at %v: %q", aStop, bLead, log)
		}
	})
}
