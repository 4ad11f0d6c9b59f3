// Command manager is a minimal controller-runtime manager that elects a
// leader with controller-runtime's own options (LeaderElection,
// LeaderElectionID, LeaseDuration, RenewDeadline, RetryPeriod,
// LeaderElectionReleaseOnCancel) and runs one runnable that needs
// leadership: what a controller built with kubebuilder does, without the
// controllers. It is a module of its own, so that lesim's build does not
// carry controller-runtime. Run it under `simulate serve --exec`:
//
//	go build -o manager . && simulate serve my-scenario.yaml --exec \
//	  './manager --kubeconfig {kubeconfig} --context {context} --lease-duration {leaseDuration} --renew-deadline {renewDeadline} --retry-period {retryPeriod} --release-on-cancel={releaseOnCancel}'
//
// The runnable reports its leadership to serve through the lesim probe
// (fakeapi/rest/probe): controller-runtime starts it once the manager
// leads and cancels its context when leadership ends. client-go's own log
// lines go to stderr in klog's format, so serve's log-line mode
// (--intervals logs) reads this binary too. Losing the lease exits 1
// ("leader election lost"), as controller-runtime does.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/lesim/lesim/fakeapi/rest/probe"
)

func main() {
	var kubeconfig, kubecontext, id, namespace string
	var ld, rd, rp time.Duration
	var release bool
	// A flag set of its own: controller-runtime registers --kubeconfig on
	// the global one.
	fs := flag.NewFlagSet("manager", flag.ExitOnError)
	fs.StringVar(&kubeconfig, "kubeconfig", "", "path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&kubecontext, "context", "", "kubeconfig context (default: its current-context)")
	fs.StringVar(&id, "leader-election-id", "lesim-manager", "the Lease's name (LeaderElectionID)")
	fs.StringVar(&namespace, "leader-election-namespace", "kube-system", "the Lease's namespace")
	fs.DurationVar(&ld, "lease-duration", 15*time.Second, "LeaseDuration")
	fs.DurationVar(&rd, "renew-deadline", 10*time.Second, "RenewDeadline")
	fs.DurationVar(&rp, "retry-period", 2*time.Second, "RetryPeriod")
	fs.BoolVar(&release, "release-on-cancel", false, "LeaderElectionReleaseOnCancel")
	klog.InitFlags(fs)
	fs.Parse(os.Args[1:])
	ctrl.SetLogger(klog.NewKlogr())
	if err := run(kubeconfig, kubecontext, id, namespace, ld, rd, rp, release); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, kubecontext, id, namespace string, ld, rd, rp time.Duration, release bool) error {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubecontext}).ClientConfig()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		LeaderElection:                true,
		LeaderElectionID:              id,
		LeaderElectionNamespace:       namespace,
		LeaseDuration:                 &ld,
		RenewDeadline:                 &rd,
		RetryPeriod:                   &rp,
		LeaderElectionReleaseOnCancel: release,
		// Nothing to serve besides the election.
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	reporter := probe.FromEnv(cfg, fmt.Sprintf("%s_%d", host, os.Getpid()))
	// A runnable needs leader election unless it says otherwise: the
	// manager starts it once it leads and cancels it when it stops.
	err = mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		klog.InfoS("leading: the manager's leader-election runnables run")
		return reporter.Lead(ctx)
	}))
	if err != nil {
		return err
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}
