package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/lesim/lesim/elector"
	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/fakeapi/leaselock"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
	"github.com/lesim/lesim/sim"
)

// The lease every process of a run competes for.
const (
	LeaseNamespace = "kube-system"
	LeaseName      = "lesim"
)

// RunOptions tunes a run without changing what it simulates.
type RunOptions struct {
	// KeepTrace keeps every event in Result.Trace (memory grows with the
	// simulated duration); off, memory stays flat.
	KeepTrace bool
	// OnEvent, when set, sees every trace event as it happens, in order:
	// a trace streamed to a file or folded into a report costs no memory
	// of its own.
	OnEvent func(check.TraceEvent)
	// Seed, when set, replaces spec.seed.
	Seed *uint64
	// Jitter, when set, gives each node the source its acquire jitter is
	// drawn from instead of the node's own stream: the conformance suite
	// shares one source among all nodes, as client-go's electors share
	// the process-wide math/rand.
	Jitter func(node string) *rand.Rand
	// Ties, when set, gives each node the source of its tick/deadline
	// coin (elector.Env.Ties) instead of the node's own stream.
	Ties func(node string) *rand.Rand
	// MaxEvents is the run's event budget: a scenario estimated to need
	// more is refused before it runs, and a run that reaches it stops
	// with an error. Zero means DefaultMaxEvents.
	MaxEvents uint64
	// Context, when set, stops the run (with its error) once it is done.
	Context context.Context
	// Server, when set, sees the run's API server before the run starts,
	// to observe or instrument it (tests count and poison its recycled
	// leases this way).
	Server func(*fakeapi.Server)
	// Choices, when set, makes the run's nondeterministic choices (see
	// sim.Chooser): a recorder, a replayer of pinned choices, an
	// adversary. Nil keeps the seeded draws.
	Choices sim.Chooser
}

// Run runs the scenario with its own seed and returns what it measured.
func Run(s *scenarios.Scenario) (*check.Result, error) { return RunWith(s, RunOptions{}) }

// RunWith is Run with options. The scenario is defaulted and validated
// first; a run is a pure function of (scenario, seed).
func RunWith(s *scenarios.Scenario, opts RunOptions) (*check.Result, error) {
	sc := s.Clone()
	scenarios.Default(sc)
	if errs := sc.Validate(); len(errs) > 0 {
		return nil, &scenarios.LoadError{File: sc.Metadata.Name, Errors: errs}
	}
	seed := sc.Seed()
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	if err := preflight(sc, opts); err != nil {
		return nil, err
	}
	r := newRunner(sc, seed, opts)
	if opts.Server != nil {
		opts.Server(r.srv)
	}
	r.setup()
	if err := r.runBounded(); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// runner wires kernel, API server, electors and workload for one run.
type runner struct {
	sc    *scenarios.Scenario
	opts  RunOptions
	s     *sim.Sim
	srv   *fakeapi.Server
	end   time.Duration
	nodes []*nodeRun
	rec   *recorder
	work  *workload
	// choices makes the run's choices: spec.choices, then
	// RunOptions.Choices (nil: the seeded draws).
	choices sim.Chooser
}

// nodeRun is one node and its succession of processes.
type nodeRun struct {
	r      *runner
	idx    int
	node   *sim.Node
	client *fakeapi.Client
	// Each node's own streams: acquire jitter, the tick/deadline coin and
	// process identity suffixes.
	jitter, ties, suffixes *rand.Rand
	proc                   *process
	procs                  int
	stopping               bool // a stop fault is winding the current process down
}

// process is one run of the elector (one "pod").
type process struct {
	n        *nodeRun
	identity string
	e        *elector.Elector
	lead     *check.Interval // open leading interval, if any
	leadIdx  int
	ended    bool
	token    int64
}

func newRunner(sc *scenarios.Scenario, seed uint64, opts RunOptions) *runner {
	s := sim.New(seed)
	choices := runChooser(sc, opts)
	// The envelope's ranges (clock-rate bands, fault placement) are
	// chosen first, at true time 0: the run is then of a plain scenario.
	sc = scenarios.ResolveEnvelope(sc, choices, s)
	r := &runner{sc: sc, opts: opts, s: s, end: sc.Duration(), choices: choices}
	r.rec = newRecorder(r, opts)
	s.Observer = r.rec.kernelEvent
	r.srv = fakeapi.NewServer(s, r.apiConfig())
	return r
}

func (r *runner) apiConfig() fakeapi.Config {
	cfg := scenarios.APIConfig(r.sc)
	cfg.Choices = r.choices
	return cfg
}

// nodeStream is the stream given by given for node when set (conformance
// shares its sources with the real side), else the node's own stream of
// that name.
func (r *runner) nodeStream(given func(node string) *rand.Rand, node, name string) *rand.Rand {
	if given != nil {
		return given(node)
	}
	return r.s.Stream("node/" + node + "/" + name)
}

func (r *runner) setup() {
	sc := r.sc
	for i, ns := range sc.Spec.Nodes {
		cc := sc.NodeClock(i)
		node := r.s.AddNode(ns.Name, sim.ClockConfig{Rate: cc.Rate, Offset: cc.Offset})
		n := &nodeRun{r: r, idx: i, node: node, client: r.srv.Client(node),
			jitter:   r.nodeStream(r.opts.Jitter, ns.Name, "jitter"),
			ties:     r.nodeStream(r.opts.Ties, ns.Name, "ties"),
			suffixes: r.nodeStream(nil, ns.Name, "identity")}
		r.nodes = append(r.nodes, n)
		r.rec.addNode(ns.Name, cc.Rate)
		for _, step := range cc.Schedule {
			rate := step.Rate
			r.s.Schedule(step.At, func() {
				node.Clock().SetRate(rate)
				r.rec.note(n, "clock-rate", fmt.Sprintf("rate=%g", rate))
			})
		}
		r.s.Schedule(ns.Start.Duration, n.startProcess)
	}
	r.srv.WatchCommits(func(namespace, name string, l *coordinationv1.Lease) {
		if namespace == LeaseNamespace && name == LeaseName {
			r.rec.leaseCommitted(l)
		}
	})
	if sc.Spec.Workload != nil {
		r.work = newWorkload(r, sc.Spec.Workload)
	}
	for i := range sc.Spec.Faults {
		r.scheduleFault(&sc.Spec.Faults[i])
	}
}

// identityFor names a process as component-base does (hostname_UUID), or
// with the bare node name when the node keeps a stable identity.
func (n *nodeRun) identityFor() string {
	name := n.r.sc.Spec.Nodes[n.idx].Name
	if n.r.sc.NodeIdentity(n.idx) == scenarios.IdentityStable {
		return name
	}
	rnd := n.suffixes
	return fmt.Sprintf("%s_%08x-%04x", name, rnd.Uint32(), rnd.Uint32()&0xffff)
}

func (n *nodeRun) startProcess() {
	r := n.r
	if n.proc != nil && !n.proc.ended {
		return // already running
	}
	n.node.Restart()
	n.stopping = false
	n.procs++
	p := &process{n: n, identity: n.identityFor()}
	n.proc = p
	ec := r.sc.NodeElector(n.idx)
	lock := leaselock.New(n.client, LeaseNamespace, LeaseName, p.identity, r.sc.RequestTimeout(n.idx))
	cfg := elector.Config{
		Lock:            lock,
		LeaseDuration:   ec.LeaseDuration,
		RenewDeadline:   ec.RenewDeadline,
		RetryPeriod:     ec.RetryPeriod,
		ReleaseOnCancel: ec.ReleaseOnCancel,
		Coordinated:     ec.Coordinated,
		Name:            LeaseName,
		Variant:         elector.Variant(ec.Variant),
		CallbackDelay:   ec.CallbackDelay,
		Callbacks: elector.Callbacks{
			OnStartedLeading: p.startedLeading,
			OnStoppedLeading: p.stoppedLeading,
		},
	}
	if r.rec.keep {
		cfg.Trace = func(ev elector.Event) { r.rec.electorEvent(n, ev) }
	}
	env := elector.Env{Clock: n.node.Clock(), Rand: n.jitter, Ties: n.ties}
	if _, _, ranged := r.sc.NodeJitter(n.idx); ranged || r.choices != nil {
		r.chooseFor(&env, n)
	}
	e, err := elector.New(cfg, env)
	if err != nil {
		// Validation ran on the scenario already; reaching here is a bug.
		panic(fmt.Sprintf("runner: node %s: %v", n.node.Name(), err))
	}
	p.e = e
	r.rec.processStarted(n, p.identity)
	e.Run()
}

// chooseFor makes the elector's acquire waits and tie coins choices of
// the run's chooser. A node with a jitter range (the envelope) has its
// waits confined to it: client-go's draw is mapped linearly into it.
func (r *runner) chooseFor(env *elector.Env, n *nodeRun) {
	clk, name := n.node.Clock(), n.node.Name()
	jlo, jhi, ranged := r.sc.NodeJitter(n.idx)
	env.Jitter = func(drawn, lo, hi time.Duration) time.Duration {
		if ranged && hi > lo {
			drawn = jlo + time.Duration(float64(drawn-lo)/float64(hi-lo)*float64(jhi-jlo))
			lo, hi = jlo, jhi
		}
		return sim.ChooseDuration(r.choices, r.s, clk, sim.ChoiceJitter, name, drawn, lo, hi)
	}
	env.Tie = func(drawn int) int {
		c := sim.Choice{Kind: sim.ChoiceTie, Subject: name, At: r.s.Now(), Local: clk.LocalNow(), Rate: clk.Rate(), Lo: 0, Hi: 1, Drawn: int64(drawn)}
		return int(sim.Choose(r.choices, &c))
	}
}

func (p *process) startedLeading(ctx *elector.Context) {
	r := p.n.r
	if p.ended {
		return
	}
	rec, _ := p.e.ObservedRecord()
	p.token = int64(rec.LeaderTransitions)
	p.lead, p.leadIdx = r.rec.startLeading(p.n, p.identity)
	if r.work != nil {
		r.work.start(p)
	}
	ctx.AfterDone(func() { p.leadingCancelled() })
}

func (p *process) leadingCancelled() {
	r := p.n.r
	if p.lead == nil {
		return
	}
	reason := "renew-failed"
	if p.n.stopping {
		reason = "stopped"
	}
	drain := time.Duration(0)
	if r.work != nil {
		drain = r.work.drain
	}
	r.rec.cancelLeading(p.leadIdx, reason, drain)
	if r.work != nil {
		r.work.stopAfter(p, drain)
	}
}

// stoppedLeading is OnStoppedLeading: Run has returned, so the process
// exits once its workload has drained, and restarts per its policy.
func (p *process) stoppedLeading() {
	n := p.n
	r := n.r
	r.rec.stoppedLeading(n)
	exitAt := r.s.Now()
	if p.lead != nil {
		if end := r.rec.res.Leadership[p.leadIdx].End; end > exitAt {
			exitAt = end
		}
	}
	n.node.Schedule(exitAt, func() { n.exit(p, r.sc.NodeRestart(n.idx)) })
}

func (n *nodeRun) exit(p *process, rc scenarios.RestartConfig) {
	if p.ended {
		return
	}
	p.ended = true
	n.r.rec.processEnded(n, p)
	n.node.Exit()
	if rc.Policy == scenarios.RestartAlways {
		n.r.s.After(rc.Delay, n.startProcess)
	}
}

// countDrainingRuns counts, at the run's end, the processes whose Run has
// returned (OnStoppedLeading ran) but which were still draining their
// workload: their Run ended, though exit never came to record it.
func (r *runner) countDrainingRuns() {
	for _, n := range r.nodes {
		if p := n.proc; p != nil && !p.ended && !p.e.Running() {
			r.rec.res.RunsEnded++
		}
	}
}

// crash kills the current process where it stands.
func (n *nodeRun) crash(restartAfter *time.Duration) {
	r := n.r
	p := n.proc
	if p == nil || p.ended {
		return
	}
	p.ended = true
	if !p.e.Running() {
		// Run had already returned (OnStoppedLeading ran) and the process
		// was waiting to exit after its drain: its Run ended all the same,
		// though exit will now never record it.
		r.rec.res.RunsEnded++
	}
	if p.lead != nil && r.rec.res.Leadership[p.leadIdx].End < 0 {
		r.rec.endLeading(p.leadIdx, "crashed")
	}
	if r.work != nil {
		r.work.stopNow(p)
	}
	r.rec.processCrashed(n, p)
	n.node.Crash()
	switch {
	case restartAfter != nil:
		r.s.After(*restartAfter, n.startProcess)
	case r.sc.NodeRestart(n.idx).Policy == scenarios.RestartAlways:
		r.s.After(r.sc.NodeRestart(n.idx).Delay, n.startProcess)
	}
}

// scheduleFault schedules one fault of the scenario. API faults go to the
// server's fault model (fakeapi.FaultState, through ScheduleFaults): the
// window that began last holds a setting and only its own end clears it,
// so a short window inside a longer one does not cut the longer one short.
// The REST layer realises the same faults (APIWindows) through the same
// model.
func (r *runner) scheduleFault(f *scenarios.Fault) {
	targets := make([]*nodeRun, 0, len(f.Nodes))
	for _, name := range f.Nodes {
		targets = append(targets, r.nodes[r.sc.NodeIndex(name)])
	}
	r.rec.fault(f, targets)
	if faults := scenarios.APIFaults(f); faults != nil {
		if err := r.srv.ScheduleFaults(f.At.Duration, f.End()-f.At.Duration, faults...); err != nil {
			// Validation ran on the scenario already; reaching here is a bug.
			panic(fmt.Sprintf("runner: fault at %v: %v", f.At.Duration, err))
		}
		return
	}
	each := func(do func(n *nodeRun)) func() {
		return func() {
			for _, n := range targets {
				do(n)
			}
		}
	}
	at := f.At.Duration
	switch f.Type {
	case scenarios.FaultCrash:
		after := f.RestartDelay()
		r.s.Schedule(at, each(func(n *nodeRun) { n.crash(after) }))
	case scenarios.FaultPause:
		r.s.Schedule(at, each(func(n *nodeRun) {
			n.node.Pause()
			r.rec.pause(n, true)
		}))
		r.s.Schedule(f.End(), each(func(n *nodeRun) {
			r.rec.pause(n, false)
			n.node.Resume()
		}))
	case scenarios.FaultStop:
		r.s.Schedule(at, each(func(n *nodeRun) {
			if n.proc != nil && !n.proc.ended {
				n.stopping = true
				n.proc.e.Stop()
			}
		}))
	case scenarios.FaultClockRate:
		rate := *f.Rate
		r.s.Schedule(at, each(func(n *nodeRun) { n.node.Clock().SetRate(rate) }))
	case scenarios.FaultClockJump:
		jump := f.Jump.Duration
		r.s.Schedule(at, each(func(n *nodeRun) { n.node.Clock().Jump(jump) }))
	}
}

// traceHasher folds events into the trace hash without keeping them. It is
// FNV-64a over the same bytes hash/fnv would see (each integer as eight
// little-endian bytes, each string as its length then its bytes), computed
// in place: the kernel calls it for every event, so it must not allocate.
type traceHasher struct{ sum uint64 }

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

func newTraceHasher() *traceHasher { return &traceHasher{sum: fnvOffset64} }

// fnvZeros[k] is the FNV prime to the k-th power: folding k zero bytes into
// an FNV-1a hash is one multiplication by it (xor with zero changes
// nothing). The integers hashed here — times, sequence numbers, lengths —
// have mostly zero high bytes, so this halves the work per event.
var fnvZeros = func() (p [9]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * fnvPrime64
	}
	return p
}()

func (t *traceHasher) int(v int64) {
	u := uint64(v)
	h := t.sum
	n := 0
	for ; u != 0; u >>= 8 {
		h ^= u & 0xff
		h *= fnvPrime64
		n++
	}
	t.sum = h * fnvZeros[8-n]
}

func (t *traceHasher) str(s string) {
	t.int(int64(len(s)))
	h := t.sum
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	t.sum = h
}

// Sum64 is the hash of everything folded in so far.
func (t *traceHasher) Sum64() uint64 { return t.sum }
