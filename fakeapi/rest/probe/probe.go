// Package probe lets a program built on client-go's leader election tell
// `simulate serve` when it starts and stops leading, so that serve
// measures true leading intervals of real processes (overlap, failover,
// leaderless time) rather than guessing them from the Lease or the logs.
// Adopting it is one line around the program's callbacks:
//
//	Callbacks: probe.Wrap(restConfig, identity, leaderelection.LeaderCallbacks{...}),
//
// Wrap reports only when the environment names serve's callback hook
// (LESIM_CALLBACK_URL, which `simulate serve --exec` sets for every process
// it starts): in production the callbacks are returned unchanged and
// nothing is sent anywhere.
//
// A report is POST /lesim/v1/callbacks on serve, authenticated with the
// program's own kubeconfig credentials (serve's certificate authority and
// the node's bearer token), with the machine's CLOCK_MONOTONIC reading
// taken when the callback ran, so that the HTTP round trip does not blur
// the interval. Leading starts when OnStartedLeading is called and ends
// when its context is cancelled — the moment client-go withdraws the
// right to lead, before any release and before OnStoppedLeading.
package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
)

// The environment serve --exec gives each process.
const (
	// EnvCallbackURL is the URL of serve's callback hook.
	EnvCallbackURL = "LESIM_CALLBACK_URL"
	// EnvNode is the scenario node the process runs as.
	EnvNode = "LESIM_NODE"
)

// Event names of the hook.
const (
	StartedLeading = "started-leading"
	StoppedLeading = "stopped-leading"
)

// reportTimeout bounds one report: leader election must not wait on it.
const reportTimeout = 2 * time.Second

// Wrap returns cb with its start and end of leadership reported to the
// hook named by $LESIM_CALLBACK_URL, as node $LESIM_NODE; without that
// variable it returns cb as it is.
func Wrap(cfg *rest.Config, identity string, cb leaderelection.LeaderCallbacks) leaderelection.LeaderCallbacks {
	url := os.Getenv(EnvCallbackURL)
	if url == "" {
		return cb
	}
	r, err := NewReporter(cfg, url, identity, os.Getenv(EnvNode))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lesim probe: reports disabled:", err)
		return cb
	}
	return r.Wrap(cb)
}

// FromEnv is the Reporter that `simulate serve --exec` asks for
// ($LESIM_CALLBACK_URL, as node $LESIM_NODE), or nil without it: for
// programs whose framework hides client-go's callbacks (controller-runtime
// runs a manager's leader-election runnables only while it leads; see
// Lead).
func FromEnv(cfg *rest.Config, identity string) *Reporter {
	url := os.Getenv(EnvCallbackURL)
	if url == "" {
		return nil
	}
	r, err := NewReporter(cfg, url, identity, os.Getenv(EnvNode))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lesim probe: reports disabled:", err)
		return nil
	}
	return r
}

// Lead reports started-leading now and stopped-leading once ctx is done,
// and returns then: a controller-runtime Runnable that needs leader
// election is `return reporter.Lead(ctx)`. A nil Reporter only waits.
func (r *Reporter) Lead(ctx context.Context) error {
	if r != nil {
		r.Report(StartedLeading, monotonicNanos())
	}
	<-ctx.Done()
	if r != nil {
		r.Report(StoppedLeading, monotonicNanos())
	}
	return nil
}

// Reporter posts one identity's callbacks to a hook. Reports are sent one
// at a time, in the order the callbacks ran.
type Reporter struct {
	hc             *http.Client
	url            string
	identity, node string
	mu             sync.Mutex
}

// NewReporter reports to url with cfg's transport (its CA and bearer
// token); node may be empty (serve then takes the token's node).
func NewReporter(cfg *rest.Config, url, identity, node string) (*Reporter, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	hc.Timeout = reportTimeout
	return &Reporter{hc: hc, url: url, identity: identity, node: node}, nil
}

// Wrap returns cb with reports: started-leading before cb's
// OnStartedLeading runs, stopped-leading when its context is cancelled
// (and, for safety, before OnStoppedLeading; serve ignores the second).
func (r *Reporter) Wrap(cb leaderelection.LeaderCallbacks) leaderelection.LeaderCallbacks {
	out := cb
	out.OnStartedLeading = func(ctx context.Context) {
		r.Report(StartedLeading, monotonicNanos())
		go func() {
			<-ctx.Done()
			r.Report(StoppedLeading, monotonicNanos())
		}()
		if cb.OnStartedLeading != nil {
			cb.OnStartedLeading(ctx)
		}
	}
	out.OnStoppedLeading = func() {
		r.Report(StoppedLeading, monotonicNanos())
		if cb.OnStoppedLeading != nil {
			cb.OnStoppedLeading()
		}
	}
	return out
}

// Report posts one event stamped with mono (CLOCK_MONOTONIC, ns). A
// report that fails is logged on stderr and dropped.
func (r *Reporter) Report(event string, mono int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"identity": r.identity, "node": r.node, "event": event, "monotonicNanos": mono})
	resp, err := r.hc.Post(r.url, "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lesim probe: report:", err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		fmt.Fprintln(os.Stderr, "lesim probe: report:", resp.Status)
	}
}

// monotonicNanos is the machine's CLOCK_MONOTONIC, which serve reads too
// (Go's own monotonic clock is per process).
func monotonicNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
