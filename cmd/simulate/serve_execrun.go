package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lesim/lesim/cmd/simulate/internal/procs"
	"github.com/lesim/lesim/fakeapi"
	"github.com/lesim/lesim/reports"
	"github.com/lesim/lesim/scenarios"
	"github.com/lesim/lesim/scenarios/check"
)

// killWait bounds how long serve waits for its children to be reaped
// after SIGKILL.
const killWait = 5 * time.Second

// execGraceSlack is how much later than in a simulated run a real
// process's loss of leadership may come and still be the fault's doing:
// a SIGCONT, a scheduler's wake-up and an HTTP round trip or two.
const execGraceSlack = 500 * time.Millisecond

// pauseSignal is what a pause fault sends. A test replaces it with 0 (no
// signal) to show that a binary which never freezes shows no overlap.
var pauseSignal = syscall.SIGSTOP

// execRun is one run of a scenario with real processes on the wall clock:
// a process per node started at the node's start, the node faults applied
// to them when they are due, restarts per the restart policy, and the
// leading intervals from the hook (the observer) and from the logs.
type execRun struct {
	p     *servePlan
	f     *execFlags
	si    *serveInstance
	log   *lineLog
	set   *procs.Set
	run   int
	dir   string
	nodes []*execNode

	mu     sync.Mutex
	over   bool
	timers []*time.Timer
	logs   intervalBook // intervals from client-go's log lines
	pauses map[string][]check.Window
}

// execNode is one scenario node: its current process, if any.
type execNode struct {
	idx  int
	name string
	out  *leaderLineWriter

	// under execRun.mu
	proc        *procs.Proc
	incarnation int
	ending      string         // "crashed" or "stopped" while serve ends the process
	restartIn   *time.Duration // a crash's restartAfter
	pausedFrom  time.Duration  // -1 when not paused
	processes   []string
}

func newExecRun(p *servePlan, f *execFlags, si *serveInstance, log *lineLog, run int, dir string) (*execRun, error) {
	r := &execRun{p: p, f: f, si: si, log: log, set: procs.NewSet(), run: run, dir: dir,
		logs: newIntervalBook(), pauses: map[string][]check.Window{}}
	for i, n := range p.sc.Spec.Nodes {
		lf, err := os.OpenFile(filepath.Join(dir, n.Name+".log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			r.closeLogs()
			return nil, failed("--out %s: %v", dir, err)
		}
		en := &execNode{idx: i, name: n.Name, pausedFrom: -1}
		en.out = &leaderLineWriter{w: lf, f: lf, onLine: func(line string) { r.leaderLine(en, line) }}
		r.nodes = append(r.nodes, en)
	}
	// A process reports stopped-leading: "stopped" when serve asked it to
	// stop, else it gave up on its own ("renew-failed", as in a run).
	si.obs.stopReason = func(node string) string {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, n := range r.nodes {
			if n.name == node && n.ending == "stopped" {
				return "stopped"
			}
		}
		return "renew-failed"
	}
	return r, nil
}

func (r *execRun) now() time.Duration { return time.Since(r.si.start) }

// after runs f at run time at, unless the run is over by then.
func (r *execRun) after(at time.Duration, f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over {
		return
	}
	r.timers = append(r.timers, time.AfterFunc(at-r.now(), func() {
		r.mu.Lock()
		over := r.over
		r.mu.Unlock()
		if !over {
			f()
		}
	}))
}

// runFor starts the nodes, schedules the node faults and waits for the
// scenario's duration or ctx; then it ends the run and kills every
// process. It returns ctx's error when ctx ended first.
func (r *execRun) runFor(ctx context.Context) (time.Duration, error) {
	for _, n := range r.nodes {
		r.after(r.p.sc.Spec.Nodes[n.idx].Start.Duration, func() { r.startProcess(n) })
	}
	for i := range r.p.sc.Spec.Faults {
		r.scheduleFault(&r.p.sc.Spec.Faults[i])
	}
	d := r.p.sc.Duration()
	t := time.NewTimer(d - r.now())
	defer t.Stop()
	var err error
	select {
	case <-t.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	end := r.finish()
	return end, err
}

// finish marks the run over (nothing more is started, no exit counts as
// a loss), stops the timers and kills the processes.
func (r *execRun) finish() time.Duration {
	r.mu.Lock()
	r.over = true
	end := r.now()
	for _, t := range r.timers {
		t.Stop()
	}
	for _, n := range r.nodes {
		if n.pausedFrom >= 0 {
			r.pauses[n.name] = append(r.pauses[n.name], check.Window{Start: n.pausedFrom, End: end})
			n.pausedFrom = -1
		}
	}
	r.mu.Unlock()
	if err := r.set.KillAll(killWait); err != nil {
		r.log.printf("serve: %v", err)
	}
	r.closeLogs()
	return end
}

func (r *execRun) closeLogs() {
	for _, n := range r.nodes {
		if n.out != nil {
			n.out.close()
		}
	}
}

// startProcess starts node n's next process.
func (r *execRun) startProcess(n *execNode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over || n.proc != nil {
		return
	}
	n.incarnation++
	vars := nodeVars(r.p, n.idx, n.incarnation, r.run)
	argv := expandTemplate(r.f.argv, vars)
	at := r.now()
	n.out.note("# lesim: process %d of node %s started at %s: %s", n.incarnation, n.name, reports.FormatAt(at), strings.Join(argv, " "))
	p, err := r.set.Start(procs.Spec{Argv: argv, Output: n.out, Env: []string{
		"KUBECONFIG=" + r.p.kubeconfig,
		"LESIM_CALLBACK_URL=https://" + r.si.addr + callbacksPath,
		"LESIM_NODE=" + n.name,
		"LESIM_IDENTITY=" + vars["identity"],
	}})
	if err != nil {
		r.log.printf("serve: node %s: start %s: %v", n.name, argv[0], err)
		n.out.note("# lesim: start failed: %v", err)
		return
	}
	n.proc, n.ending, n.restartIn = p, "", nil
	n.processes = append(n.processes, vars["identity"])
	r.log.printf("serve: node %s: process %d (pid %d) started at %s", n.name, n.incarnation, p.Pid(), reports.FormatAt(at))
	go r.waitExit(n, p)
}

// waitExit follows a process to its end: its open intervals end, and the
// node restarts per the crash's restartAfter or the restart policy.
func (r *execRun) waitExit(n *execNode, p *procs.Proc) {
	<-p.Done()
	if at, delay, restart := r.exited(n, p); restart {
		r.after(at+delay, func() { r.startProcess(n) })
	}
}

// exited books the end of node n's process p and says whether and after
// how long the node restarts.
func (r *execRun) exited(n *execNode, p *procs.Proc) (at, delay time.Duration, restart bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n.proc = nil
	if r.over {
		return 0, 0, false
	}
	at = r.now()
	reason := n.ending
	if reason == "" {
		reason = "exited"
	}
	if n.pausedFrom >= 0 {
		r.pauses[n.name] = append(r.pauses[n.name], check.Window{Start: n.pausedFrom, End: at})
		n.pausedFrom = -1
	}
	r.si.obs.processEnded(n.name, at, reason)
	r.logs.endNode(n.name, at, reason)
	r.log.printf("serve: node %s: process %d %s at %s (%v)", n.name, n.incarnation, reason, reports.FormatAt(at), p.Err())
	n.out.note("# lesim: process %d %s at %s (%v)", n.incarnation, reason, reports.FormatAt(at), p.Err())
	rc := r.p.sc.NodeRestart(n.idx)
	switch {
	case n.restartIn != nil:
		return at, *n.restartIn, true
	case rc.Policy == scenarios.RestartAlways:
		return at, rc.Delay, true
	}
	return at, 0, false
}

// scheduleFault applies one of the scenario's node faults to the
// processes when it is due; API faults are the server's.
func (r *execRun) scheduleFault(f *scenarios.Fault) {
	targets := r.targets(f.Nodes)
	at := f.At.Duration
	switch f.Type {
	case scenarios.FaultCrash:
		restart := f.RestartAfter
		r.after(at, func() {
			for _, n := range targets {
				r.crash(n, restart)
			}
		})
	case scenarios.FaultStop:
		r.after(at, func() {
			for _, n := range targets {
				r.stop(n)
			}
		})
	case scenarios.FaultPause:
		r.after(at, func() {
			for _, n := range targets {
				r.pause(n, true)
			}
		})
		r.after(f.End(), func() {
			for _, n := range targets {
				r.pause(n, false)
			}
		})
	}
}

func (r *execRun) targets(names []string) []*execNode {
	var out []*execNode
	for _, n := range r.nodes {
		if slices.Contains(names, n.name) {
			out = append(out, n)
		}
	}
	return out
}

// crash kills node n's process (SIGKILL to its group): it ends where it
// is, with no callback and no release.
func (r *execRun) crash(n *execNode, restartAfter *metav1.Duration) {
	r.mu.Lock()
	p := n.proc
	if p != nil {
		n.ending = "crashed"
		if restartAfter != nil {
			d := restartAfter.Duration
			n.restartIn = &d
		}
	}
	r.mu.Unlock()
	if p == nil {
		r.log.printf("serve: crash of node %s at %s: no process running", n.name, reports.FormatAt(r.now()))
		return
	}
	r.log.printf("serve: crash node %s at %s: SIGKILL to process group %d", n.name, reports.FormatAt(r.now()), p.Pid())
	p.Signal(syscall.SIGKILL)
}

// stop asks node n's process to end (SIGTERM) and kills it after the
// grace period.
func (r *execRun) stop(n *execNode) {
	r.mu.Lock()
	p := n.proc
	if p != nil {
		n.ending = "stopped"
	}
	r.mu.Unlock()
	if p == nil {
		r.log.printf("serve: stop of node %s at %s: no process running", n.name, reports.FormatAt(r.now()))
		return
	}
	r.log.printf("serve: stop node %s at %s: SIGTERM to process group %d, SIGKILL after %v", n.name, reports.FormatAt(r.now()), p.Pid(), r.f.grace)
	go func() {
		if killed, _ := p.Stop(r.f.grace); killed {
			r.log.printf("serve: node %s: process did not end within %v of SIGTERM: killed", n.name, r.f.grace)
		}
	}()
}

// pause freezes (SIGSTOP) or thaws (SIGCONT) node n's process.
func (r *execRun) pause(n *execNode, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, at := n.proc, r.now()
	switch {
	case on && n.pausedFrom < 0 && p != nil:
		n.pausedFrom = at
		r.log.printf("serve: pause node %s at %s: SIGSTOP to process group %d", n.name, reports.FormatAt(at), p.Pid())
		p.Signal(pauseSignal)
	case !on && n.pausedFrom >= 0:
		r.pauses[n.name] = append(r.pauses[n.name], check.Window{Start: n.pausedFrom, End: at})
		n.pausedFrom = -1
		if p != nil {
			r.log.printf("serve: resume node %s at %s: SIGCONT to process group %d", n.name, reports.FormatAt(at), p.Pid())
			p.Resume()
		}
	}
}

// leaderLine reads one line of node n's output for client-go's
// leader-election log lines.
func (r *execRun) leaderLine(n *execNode, line string) {
	ev := leaderLogEvent(line)
	if ev == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over {
		return
	}
	at := r.now()
	identity := fmt.Sprintf("%s#%d", n.name, n.incarnation)
	if ev == "started-leading" {
		r.logs.start(n.name, identity, at)
		return
	}
	reason := "renew-failed"
	if n.ending == "stopped" {
		reason = "stopped"
	}
	r.logs.stop(identity, at, reason)
}

// observation is the run as observed, from the hook or the logs as
// --intervals says, and which source that was.
func (r *execRun) observation(end time.Duration) (check.Observation, string) {
	hook, reported := r.si.obs.intervals()
	r.mu.Lock()
	defer r.mu.Unlock()
	o := check.Observation{Duration: end, Pauses: r.pauses, GraceSlack: execGraceSlack, Requests: map[string]fakeapi.Counts{}, Processes: map[string][]string{}}
	source := r.f.intervals
	if source == intervalsAuto {
		source = intervalsLogs
		if reported {
			source = intervalsHook
		}
	}
	if source == intervalsHook {
		o.Leadership = hook
	} else {
		o.Leadership = r.logs.snapshot()
	}
	for _, n := range r.nodes {
		o.Requests[n.name] = r.si.chaos.Counts(n.name)
		o.Processes[n.name] = n.processes
	}
	for _, f := range r.p.sc.Spec.Faults {
		fw := check.FaultWindow{Type: string(f.Type), Nodes: f.Nodes, Start: f.At.Duration, End: f.End()}
		if f.Mode != "" {
			fw.Note = string(f.Mode)
		}
		o.Faults = append(o.Faults, fw)
	}
	return o, source
}

// leaderLogEvent classifies a line of a process's output: client-go's
// "Successfully acquired lease" (any case; older releases wrote it in
// lower case) starts leading; "Failed to renew lease", "stopped leading"
// and "leaderelection lost" (the words of kube-controller-manager and
// controller-runtime) end it. Anything else is "".
func leaderLogEvent(line string) string {
	l := strings.ToLower(line)
	switch {
	case strings.Contains(l, "successfully acquired lease"):
		return "started-leading"
	case strings.Contains(l, "failed to renew lease"), strings.Contains(l, "stopped leading"),
		strings.Contains(l, "leaderelection lost"), strings.Contains(l, "leader election lost"):
		return "stopped-leading"
	}
	return ""
}

// leaderLineWriter writes a node's output to its log file and hands each
// whole line to onLine. Successive processes of the node write to it one
// after another.
type leaderLineWriter struct {
	mu      sync.Mutex
	w       io.Writer
	f       *os.File // closed by close, when set
	partial []byte
	onLine  func(string)
	closed  bool
}

func (l *leaderLineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return len(p), nil
	}
	l.w.Write(p)
	l.partial = append(l.partial, p...)
	var lines []string
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 {
		l.partial = l.partial[:0] // a line that long is no log line of client-go's
	}
	l.mu.Unlock()
	for _, line := range lines {
		l.onLine(line)
	}
	return len(p), nil
}

// note writes serve's own line to the log, past the parser: it is no
// line of the process's (and the caller may hold the run's lock, which
// the parser's callback takes).
func (l *leaderLineWriter) note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		fmt.Fprintf(l.w, format+"\n", args...)
	}
}

func (l *leaderLineWriter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed && l.f != nil {
		l.f.Close()
	}
	l.closed = true
}
