// Command elector is a minimal real leader-election client: client-go's own
// elector (k8s.io/client-go/tools/leaderelection) on a Lease, talking to a
// Kubernetes API server through a kubeconfig. It is meant to be pointed at
// `simulate serve`, which writes a kubeconfig with one context per node:
//
//	simulate serve --kubeconfig lesim.kubeconfig &
//	go run ./cmd/simulate/examples/elector --kubeconfig lesim.kubeconfig --context a --identity a
//	go run ./cmd/simulate/examples/elector --kubeconfig lesim.kubeconfig --context b --identity b
//
// It prints one line per leader-election event on stdout, each starting
// with the wall-clock time:
//
//	2026-01-02T15:04:05.123Z started-leading a
//	2026-01-02T15:04:05.124Z new-leader a
//	2026-01-02T15:04:20.456Z stopped-leading a
//
// client-go's own log lines (klog) go to stderr, klog's default, so stdout
// holds only these events. SIGTERM or SIGINT cancels the elector's context;
// with --release-on-cancel the lease is released before the program exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

func main() {
	host, _ := os.Hostname()
	var (
		kubeconfig      = flag.String("kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)")
		kubecontext     = flag.String("context", "", "kubeconfig context to use (default: its current-context)")
		identity        = flag.String("identity", fmt.Sprintf("%s_%d", host, os.Getpid()), "this candidate's identity, written into the Lease as holderIdentity")
		namespace       = flag.String("namespace", "kube-system", "namespace of the Lease")
		name            = flag.String("name", "lesim-example", "name of the Lease")
		leaseDuration   = flag.Duration("lease-duration", 15*time.Second, "how long followers wait after the last observed renewal before taking over")
		renewDeadline   = flag.Duration("renew-deadline", 10*time.Second, "how long the leader keeps retrying a renewal before it gives up leading")
		retryPeriod     = flag.Duration("retry-period", 2*time.Second, "how long candidates wait between attempts")
		releaseOnCancel = flag.Bool("release-on-cancel", false, "release the lease when the program is stopped")
	)
	flag.Parse()
	if err := run(*kubeconfig, *kubecontext, *identity, *namespace, *name, *leaseDuration, *renewDeadline, *retryPeriod, *releaseOnCancel); err != nil {
		fmt.Fprintln(os.Stderr, "elector:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubecontext, identity, namespace, name string, ld, rd, rp time.Duration, release bool) error {
	// The kubeconfig is resolved as kubectl resolves it: an explicit path,
	// else $KUBECONFIG, else ~/.kube/config; --context picks the context.
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubecontext}).ClientConfig()
	if err != nil {
		return err
	}
	// A per-request timeout, as resourcelock.NewFromKubeconfig sets it:
	// max(1s, RenewDeadline/2), so that one hung request cannot use up the
	// whole renew deadline.
	cfg.Timeout = max(time.Second, rd/2)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: name},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}

	// SIGTERM (what Kubernetes sends a pod) and SIGINT cancel the context;
	// the elector then stops renewing, releases the lease if asked to, calls
	// OnStoppedLeading and Run returns.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	// The callbacks run on goroutines of their own: one lock keeps the
	// event lines whole.
	var mu sync.Mutex
	event := func(what, who string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("%s %s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), what, who)
	}

	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   ld,
		RenewDeadline:   rd,
		RetryPeriod:     rp,
		ReleaseOnCancel: release,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			// A real component starts its work here and stops it when
			// ctx is cancelled; this one only says so.
			OnStartedLeading: func(ctx context.Context) { event("started-leading", identity) },
			// client-go calls this whenever Run returns, also in a
			// candidate that never led.
			OnStoppedLeading: func() { event("stopped-leading", identity) },
			// Called whenever the observed holder changes, this
			// candidate included.
			OnNewLeader: func(leader string) { event("new-leader", leader) },
		},
	})
	if err != nil {
		return err
	}
	// Run returns when leadership is lost or ctx is cancelled. A real
	// component exits then (and is restarted); so does this one.
	le.Run(ctx)
	return nil
}
