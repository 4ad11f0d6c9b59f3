package conformance

import (
	"cmp"
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing/synctest"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/fakeapi/rest"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/runner"
)

// runReal runs a prepared scenario on client-go's own leader elector: one
// goroutine per process, each with a typed clientset and client-go's
// resourcelock.LeaseLock, talking through an in-process transport to the
// REST surface over a fresh store, with the scenario's latency and API
// faults realised by rest.Chaos.
//
// It only uses the time package, so it runs on fake time inside a
// testing/synctest bubble (call it from synctest.Test or rapid.SyncTest);
// outside one it would take the scenario's duration in wall time. It
// returns once every goroutine it started has finished, which a bubble
// requires.
//
// The run is a function of seed up to the Go scheduler: the REST surface
// draws latencies and injected errors from its own stream seeded with
// seed, and client-go's jitter (wait.Jitter) from the global math/rand,
// which runReal seeds with seed. That seeding takes effect only in a binary
// built with //go:debug randseednop=0 (this package's tests are); without
// it rand.Seed is a no-op since Go 1.24 and the jitter is unseeded. What no
// seed reaches is the order in which the scheduler runs goroutines woken
// at one instant (and select's choice among ready cases): scenarios keep
// their instants off exact ties so that it does not matter.
func runReal(sc *scenarios.Scenario, seed uint64) (*outcome, error) {
	//lint:ignore SA1019 seeding the global source is the point: client-go's jitter draws from it
	rand.Seed(int64(seed)) //nolint:staticcheck // see above
	h, err := newRealRun(sc, seed)
	if err != nil {
		return nil, err
	}
	return h.run(), nil
}

// realRun is the driver of one real run. Its state is guarded by mu, held
// only for bookkeeping, never across a call that blocks on fake time (a
// goroutine waiting on a mutex does not count as blocked for synctest).
type realRun struct {
	sc    *scenarios.Scenario
	start time.Time
	chaos *rest.Chaos
	end   time.Duration

	mu    sync.Mutex
	nodes []*realNode
	out   outcome
	over  bool // the run has ended: nothing starts any more

	live sync.WaitGroup // process goroutines and pending restarts
}

type realNode struct {
	r     *realRun
	idx   int
	name  string
	proc  *realProc
	procs int
}

type realProc struct {
	n        *realNode
	identity string
	cancel   context.CancelFunc
	dead     atomic.Bool // crashed: its requests no longer leave the process
	ended    bool
	lead     int // index into out.Leadership of the open interval, or -1
	stopping bool
	// leading is the OnStartedLeading goroutine, drain included; killed
	// closes when a crash or the run's end cuts its drain short.
	leading sync.WaitGroup
	killed  chan struct{}
}

func newRealRun(sc *scenarios.Scenario, seed uint64) (*realRun, error) {
	api := scenarios.APIConfig(sc)
	st := time.Now()
	store := fakeapi.NewStore(func() time.Duration { return time.Since(st) })
	chaos, err := rest.NewChaos(rest.NewHandler(store), rest.ChaosConfig{
		RequestLatency:  api.RequestLatency,
		ResponseLatency: api.ResponseLatency,
		NodeLatency:     api.NodeLatency,
		Errors:          api.Errors,
		ServiceTime:     api.ServiceTime,
		Seed:            seed,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Metadata.Name, err)
	}
	r := &realRun{sc: sc, start: st, chaos: chaos, end: sc.Duration()}
	r.out.duration = r.end
	for i, n := range sc.Spec.Nodes {
		r.nodes = append(r.nodes, &realNode{r: r, idx: i, name: n.Name})
	}
	return r, nil
}

func (r *realRun) now() time.Duration { return time.Since(r.start) }

// action is one scheduled step of the driver; at equal times actions run
// in the order they were listed, as events do in the simulation.
type action struct {
	at time.Duration
	do func()
}

func (r *realRun) run() *outcome {
	stopFaults, err := r.chaos.Schedule(r.start, scenarios.APIWindows(r.sc))
	if err != nil {
		panic(fmt.Sprintf("conformance: %v", err)) // prepare admitted only schedulable faults
	}
	var plan []action
	for _, n := range r.nodes {
		plan = append(plan, action{r.sc.Spec.Nodes[n.idx].Start.Duration, n.startProcess})
	}
	for i := range r.sc.Spec.Faults {
		f := &r.sc.Spec.Faults[i]
		targets := make([]*realNode, 0, len(f.Nodes))
		for _, name := range f.Nodes {
			targets = append(targets, r.nodes[r.sc.NodeIndex(name)])
		}
		switch f.Type {
		case scenarios.FaultCrash:
			after := f.RestartDelay()
			plan = append(plan, action{f.At.Duration, func() {
				for _, n := range targets {
					n.crash(after)
				}
			}})
		case scenarios.FaultStop:
			plan = append(plan, action{f.At.Duration, func() {
				for _, n := range targets {
					n.stop()
				}
			}})
		}
	}
	slices.SortStableFunc(plan, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	for _, a := range plan {
		if a.at >= r.end {
			break
		}
		sleepUntil(r.start, a.at)
		a.do()
		// What the action started runs until it blocks before the next
		// action of the same instant, as an event of the simulation runs
		// to its end before the next: a process started and crashed at
		// one instant sends its first request first.
		synctest.Wait()
	}
	sleepUntil(r.start, r.end)
	// The simulation runs what falls on its last instant (a renewal due at
	// the end is sent and counted); here the electors' timers of that
	// instant fire and their requests leave before the run closes.
	synctest.Wait()
	// Where the jitter stream stands at the end, before cancelling the
	// processes makes their loops draw once more.
	r.out.jitterNext = rand.Int63() //nolint:gosec // the position of the seeded stream is recorded, not used
	r.finish()
	stopFaults()
	r.live.Wait()
	// Requests abandoned by their clients still travel and land; a bubble
	// may only end once they have.
	r.chaos.WaitIdle()
	r.out.calls = map[string]fakeapi.Counts{}
	for _, n := range r.nodes {
		r.out.calls[n.name] = r.chaos.Counts(n.name)
	}
	r.out.sortLeadership()
	return &r.out
}

func sleepUntil(start time.Time, at time.Duration) {
	if d := at - time.Since(start); d > 0 {
		time.Sleep(d)
	}
}

// finish closes the run at its end: open intervals end there, and every
// process is cancelled (without release being recorded) so that its
// goroutines wind down.
func (r *realRun) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over = true
	for _, n := range r.nodes {
		p := n.proc
		if p == nil || p.ended {
			continue
		}
		if p.lead >= 0 {
			r.endLeading(p, "run-end", r.end)
		}
		p.ended = true
		p.dead.Store(true)
		p.cancel()
		close(p.killed)
	}
}

func (r *realRun) endLeading(p *realProc, reason string, at time.Duration) {
	iv := &r.out.leadership[p.lead]
	iv.end, iv.endReason = at, reason
	p.lead = -1
}

func (n *realNode) identity() string {
	if n.r.sc.NodeIdentity(n.idx) == scenarios.IdentityStable {
		return n.name
	}
	return fmt.Sprintf("%s_%d", n.name, n.procs)
}

// startProcess starts a fresh elector on the node, as a restarted pod
// would: new clientset, new lock, new identity.
func (n *realNode) startProcess() {
	r := n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over || (n.proc != nil && !n.proc.ended) {
		return
	}
	n.procs++
	p := &realProc{n: n, identity: n.identity(), lead: -1, killed: make(chan struct{})}
	n.proc = p
	ec := r.sc.NodeElector(n.idx)
	cfg := rest.RESTConfig(r.chaos, n.name, r.sc.RequestTimeout(n.idx))
	cfg.Transport = &processTransport{next: cfg.Transport, p: p}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		panic(fmt.Sprintf("conformance: clientset: %v", err))
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: runner.LeaseNamespace, Name: runner.LeaseName},
		Client:     cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: p.identity},
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   ec.LeaseDuration,
		RenewDeadline:   ec.RenewDeadline,
		RetryPeriod:     ec.RetryPeriod,
		ReleaseOnCancel: ec.ReleaseOnCancel,
		Name:            runner.LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: p.startedLeading,
			OnStoppedLeading: p.stoppedLeading,
		},
	})
	if err != nil {
		panic(fmt.Sprintf("conformance: node %s: %v", n.name, err)) // prepare validated the timings
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	r.live.Add(1)
	go func() {
		defer r.live.Done()
		le.Run(ctx)
		p.runReturned()
		// The process exits once its leader's work has drained, as
		// lesim's does. OnStartedLeading's goroutine, if the process led,
		// started before fake time moved on from the acquisition, so it
		// has joined leading by now.
		p.leading.Wait()
		p.exited()
	}()
}

func (p *realProc) startedLeading(ctx context.Context) {
	r := p.n.r
	p.leading.Add(1)
	defer p.leading.Done()
	r.mu.Lock()
	if p.ended {
		r.mu.Unlock()
		return
	}
	p.lead = len(r.out.leadership)
	r.out.leadership = append(r.out.leadership, interval{node: p.n.name, start: r.now(), end: -1})
	r.mu.Unlock()
	<-ctx.Done()
	// The leader's work goes on for the workload's drain (lesim's
	// workload semantics), unless the process crashes or the run ends.
	if w := r.sc.Spec.Workload; w != nil && w.Drain.Duration > 0 {
		select {
		case <-time.After(w.Drain.Duration):
		case <-p.killed:
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.lead >= 0 {
		reason := "renew-failed"
		if p.stopping {
			reason = "stopped"
		}
		r.endLeading(p, reason, r.now())
	}
}

func (p *realProc) stoppedLeading() {
	r := p.n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if !p.dead.Load() {
		r.out.stoppedLeading++
	}
}

// runReturned counts a Run that returned before a crash or the run's end
// (OnStoppedLeading was called, counted unless the process was dead).
func (p *realProc) runReturned() {
	r := p.n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if !p.ended {
		r.out.runsEnded++
	}
}

// exited is the end of the process, once Run has returned and its leader's
// work has drained: it restarts per its policy, unless a crash or the
// run's end got there first.
func (p *realProc) exited() {
	n := p.n
	r := n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	if rc := r.sc.NodeRestart(n.idx); rc.Policy == scenarios.RestartAlways {
		r.restartAfter(n, rc.Delay)
	}
}

func (r *realRun) restartAfter(n *realNode, d time.Duration) {
	r.live.Add(1)
	time.AfterFunc(d, func() {
		defer r.live.Done()
		n.startProcess()
	})
}

// crash kills the node's process where it stands: its open interval ends
// now, nothing it sends from now on leaves it (requests already on the
// wire still land), and its callbacks no longer count.
func (n *realNode) crash(restartAfter *time.Duration) {
	r := n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	p := n.proc
	if p == nil || p.ended {
		return
	}
	p.ended = true
	p.dead.Store(true)
	if p.lead >= 0 {
		r.endLeading(p, "crashed", r.now())
	}
	p.cancel()
	close(p.killed)
	switch rc := r.sc.NodeRestart(n.idx); {
	case restartAfter != nil:
		r.restartAfter(n, *restartAfter)
	case rc.Policy == scenarios.RestartAlways:
		r.restartAfter(n, rc.Delay)
	}
}

// stop cancels Run's context, as a component does on SIGTERM.
func (n *realNode) stop() {
	r := n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := n.proc; p != nil && !p.ended {
		p.stopping = true
		p.cancel()
	}
}

// processTransport is the network stack of one process: once the process
// has crashed its requests go nowhere.
type processTransport struct {
	next http.RoundTripper
	p    *realProc
}

func (t *processTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.p.dead.Load() {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fakeapi.ErrConnectionRefused
	}
	return t.next.RoundTrip(req)
}

// setupCost stands for the time a real process spends between setting a
// deadline and starting a request under it. In a bubble code takes no time,
// so with requestTimeout = RenewDeadline/2 two timed-out requests in a row
// end at the very instant of the renew deadline, and the Go scheduler, not
// the order in which the timers were set, decides whether the poll sees
// its deadline or sends one more renewal (which then lands after the
// leader stepped down). prepare lengthens every client timeout by a
// microsecond, on both sides alike, which puts the two in their real order
// and keeps timeouts ending at the same instant on both sides.
const setupCost = time.Microsecond
