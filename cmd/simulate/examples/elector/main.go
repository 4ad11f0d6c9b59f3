// Command elector is a minimal real leader-election client: client-go's own
// elector (k8s.io/client-go/tools/leaderelection) on a Lease, talking to a
// Kubernetes API server through a kubeconfig, with the --leader-elect-*
// flags of kube-controller-manager and kube-scheduler (component-base's
// BindLeaderElectionFlags). It is meant to be pointed at `simulate serve`,
// which writes a kubeconfig with one context per node:
//
//	simulate serve --kubeconfig lesim.kubeconfig &
//	go run ./cmd/simulate/examples/elector --kubeconfig lesim.kubeconfig --context a --identity a --report-callbacks
//	go run ./cmd/simulate/examples/elector --kubeconfig lesim.kubeconfig --context b --identity b --report-callbacks
//
// It prints one line per leader-election event on stdout, each starting
// with the wall-clock time:
//
//	2026-01-02T15:04:05.123Z started-leading a
//	2026-01-02T15:04:05.124Z new-leader a
//	2026-01-02T15:04:20.456Z stopped-leading a
//
// Its callbacks go through the lesim probe (fakeapi/rest/probe): started
// and stopped leading are reported to serve's callback hook (POST
// /lesim/v1/callbacks, with its identity, node and CLOCK_MONOTONIC
// reading), from which serve computes overlap, failovers and leaderless
// time as `simulate run` does. Under `simulate serve --exec` that happens
// by itself; --report-callbacks points the probe at the kubeconfig's
// server when serve runs on its own.
//
// client-go's own log lines (klog) go to stderr, klog's default, so stdout
// holds only these events. SIGTERM or SIGINT cancels the elector's context;
// with --release-on-cancel the lease is released before the program exits
// 0. Losing the lease otherwise exits 1, as kube-controller-manager does
// ("leaderelection lost"): a component that is no longer leader must stop
// its work at once, and its restart is its supervisor's business.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"

	"github.com/lesim/lesim/fakeapi/rest/probe"
)

// options of the program besides component-base's leader election ones.
type opts struct {
	kubeconfig, context, identity, node string
	releaseOnCancel, reportCallbacks    bool
	le                                  componentbaseconfig.LeaderElectionConfiguration
}

func main() {
	host, _ := os.Hostname()
	o := opts{le: componentbaseconfig.LeaderElectionConfiguration{
		// kube-controller-manager's defaults, but the lease's own name.
		LeaderElect:       true,
		LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
		RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
		RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
		ResourceLock:      resourcelock.LeasesResourceLock,
		ResourceName:      "lesim-example",
		ResourceNamespace: "kube-system",
	}}
	fs := pflag.NewFlagSet("elector", pflag.ExitOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.context, "context", "", "kubeconfig context to use (default: its current-context)")
	fs.StringVar(&o.identity, "identity", fmt.Sprintf("%s_%d", host, os.Getpid()), "this candidate's identity, written into the Lease as holderIdentity")
	fs.StringVar(&o.node, "node", "", "node name reported with the callbacks (default: --context)")
	fs.BoolVar(&o.releaseOnCancel, "release-on-cancel", false, "release the lease when the program is stopped")
	fs.BoolVar(&o.reportCallbacks, "report-callbacks", false, "report started-leading and stopped-leading to simulate serve's callback hook")
	options.BindLeaderElectionFlags(&o.le, fs)
	fs.Parse(os.Args[1:])
	if o.node == "" {
		o.node = o.context
	}
	lost, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "elector:", err)
		os.Exit(1)
	}
	if lost {
		fmt.Fprintln(os.Stderr, "elector: leaderelection lost")
		os.Exit(1)
	}
}

// run elects and reports whether the lease was lost (rather than the
// program stopped).
func run(o opts) (lost bool, err error) {
	if o.le.ResourceLock != resourcelock.LeasesResourceLock {
		return false, fmt.Errorf("--leader-elect-resource-lock %q: expected %s", o.le.ResourceLock, resourcelock.LeasesResourceLock)
	}
	// The kubeconfig is resolved as kubectl resolves it: an explicit path,
	// else $KUBECONFIG, else ~/.kube/config; --context picks the context.
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return false, err
	}
	// A per-request timeout, as resourcelock.NewFromKubeconfig sets it:
	// max(1s, RenewDeadline/2), so that one hung request cannot use up the
	// whole renew deadline.
	cfg.Timeout = max(time.Second, o.le.RenewDeadline.Duration/2)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false, err
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.le.ResourceNamespace, Name: o.le.ResourceName},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.identity},
	}
	// Under `simulate serve --exec` the probe reports leadership to serve
	// by itself ($LESIM_CALLBACK_URL); --report-callbacks points it at the
	// kubeconfig's server when serve runs separately.
	wrap := func(cb leaderelection.LeaderCallbacks) leaderelection.LeaderCallbacks {
		return probe.Wrap(cfg, o.identity, cb)
	}
	if o.reportCallbacks {
		r, err := probe.NewReporter(cfg, strings.TrimSuffix(cfg.Host, "/")+"/lesim/v1/callbacks", o.identity, o.node)
		if err != nil {
			return false, err
		}
		wrap = r.Wrap
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
	if !o.le.LeaderElect {
		// Without election the program leads until it is stopped.
		cb := wrap(leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { event("started-leading", o.identity) },
			OnStoppedLeading: func() { event("stopped-leading", o.identity) },
		})
		lctx, cancel := context.WithCancel(ctx)
		cb.OnStartedLeading(lctx)
		<-ctx.Done()
		cancel()
		cb.OnStoppedLeading()
		return false, nil
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.le.LeaseDuration.Duration,
		RenewDeadline:   o.le.RenewDeadline.Duration,
		RetryPeriod:     o.le.RetryPeriod.Duration,
		ReleaseOnCancel: o.releaseOnCancel,
		Name:            o.le.ResourceName,
		Callbacks: wrap(leaderelection.LeaderCallbacks{
			// A real component starts its work here and stops it when
			// ctx is cancelled; this one only says so.
			OnStartedLeading: func(ctx context.Context) { event("started-leading", o.identity) },
			// client-go calls this whenever Run returns, also in a
			// candidate that never led.
			OnStoppedLeading: func() { event("stopped-leading", o.identity) },
			// Called whenever the observed holder changes, this
			// candidate included.
			OnNewLeader: func(leader string) { event("new-leader", leader) },
		}),
	})
	if err != nil {
		return false, err
	}
	// Run returns when leadership is lost or ctx is cancelled.
	le.Run(ctx)
	return ctx.Err() == nil, nil
}
