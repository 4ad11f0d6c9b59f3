// Package procs supervises child processes for `simulate serve --exec`:
// each child runs in a process group of its own, so that a signal reaches
// it and everything it started; on Linux the kernel kills it when serve
// dies (Pdeathsig), so that not even a killed serve leaves children
// behind; and a Set kills every child it started on any exit path.
//
// This is wall-clock code: it acts on real processes in real time and is
// not part of any simulated path.
package procs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Spec is one child to start.
type Spec struct {
	// Argv is the program and its arguments; Argv[0] is looked up in PATH
	// when it has no slash.
	Argv []string
	// Env is added to serve's own environment.
	Env []string
	// Output receives the child's stdout and stderr; nil discards them.
	Output io.Writer
}

// copyDelay bounds how long the output goes on being copied after the
// group was killed: a process that left the group (setsid) and holds the
// pipe must not hold serve.
const copyDelay = 2 * time.Second

// Proc is one started child.
type Proc struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{}

	mu     sync.Mutex
	reaped bool  // Wait returned: the pid may be reused, signal no more
	err    error // Wait's result
}

// Start starts s in a new process group.
func Start(s Spec) (*Proc, error) {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, errors.New("procs: empty command")
	}
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.SysProcAttr = sysProcAttr()
	// An os.File as stdout and stderr, so that Wait returns when the child
	// exits rather than when every holder of the pipe has closed it; the
	// copy runs on its own.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	out := s.Output
	if out == nil {
		out = io.Discard
	}
	copied := make(chan struct{})
	go func() {
		io.Copy(out, r)
		close(copied)
	}()
	p := &Proc{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	go p.wait(r, copied)
	return p, nil
}

// wait reaps the child, kills what is left of its group (a grandchild
// must not outlive the child serve started) and lets the output copy
// finish.
func (p *Proc) wait(r *os.File, copied <-chan struct{}) {
	err := p.cmd.Wait()
	p.mu.Lock()
	// The group outlives its leader while any member lives; its id is not
	// reused before the last member is gone.
	syscall.Kill(-p.pid, syscall.SIGKILL)
	p.reaped, p.err = true, err
	p.mu.Unlock()
	t := time.NewTimer(copyDelay)
	select {
	case <-copied:
	case <-t.C:
	}
	t.Stop()
	r.Close()
	close(p.done)
}

// Pid is the child's process id, which is also its process group's.
func (p *Proc) Pid() int { return p.pid }

// Done is closed once the child has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the child ended (nil for status 0), once Done is closed.
func (p *Proc) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Signal sends sig to the child's whole process group; a child already
// reaped is left alone (its pid may belong to another process by now).
func (p *Proc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaped {
		return nil
	}
	if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("procs: signal %v to group %d: %w", sig, p.pid, err)
	}
	return nil
}

// Kill kills the group at once (a crash) and waits for the child to be
// reaped.
func (p *Proc) Kill() error {
	err := p.Signal(syscall.SIGKILL)
	<-p.done
	return err
}

// Pause stops the group (SIGSTOP): nothing of it runs, its timers fire
// late on Resume — a GC pause or a frozen VM as the child sees it.
func (p *Proc) Pause() error { return p.Signal(syscall.SIGSTOP) }

// Resume continues a paused group (SIGCONT).
func (p *Proc) Resume() error { return p.Signal(syscall.SIGCONT) }

// Stop asks the group to end (SIGTERM, then SIGCONT so that a paused
// child can act on it) and kills it when it has not exited within grace,
// as the kubelet does with a pod's termination grace period. It returns
// once the child is reaped and says whether it had to kill.
func (p *Proc) Stop(grace time.Duration) (killed bool, err error) {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return false, err
	}
	p.Signal(syscall.SIGCONT)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return false, nil
	case <-t.C:
		return true, p.Kill()
	}
}

// Set tracks the children of one serve so that every exit path can kill
// them all.
type Set struct {
	mu     sync.Mutex
	procs  map[*Proc]bool
	closed bool
}

// NewSet returns an empty Set.
func NewSet() *Set { return &Set{procs: map[*Proc]bool{}} }

// Start starts s as Start does and tracks it until it is reaped; after
// KillAll it refuses.
func (s *Set) Start(spec Spec) (*Proc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("procs: set closed")
	}
	p, err := Start(spec)
	if err != nil {
		return nil, err
	}
	s.procs[p] = true
	go func() {
		<-p.done
		s.mu.Lock()
		delete(s.procs, p)
		s.mu.Unlock()
	}()
	return p, nil
}

// KillAll closes the set and kills every child it still tracks, waiting
// until each is reaped, bounded by wait.
func (s *Set) KillAll(wait time.Duration) error {
	s.mu.Lock()
	s.closed = true
	var live []*Proc
	for p := range s.procs {
		live = append(live, p)
	}
	s.mu.Unlock()
	for _, p := range live {
		p.Signal(syscall.SIGKILL)
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for _, p := range live {
		select {
		case <-p.done:
		case <-deadline.C:
			return fmt.Errorf("procs: child %d not reaped within %v of SIGKILL", p.pid, wait)
		}
	}
	return nil
}

// Live is the number of children started and not yet reaped.
func (s *Set) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.procs)
}
