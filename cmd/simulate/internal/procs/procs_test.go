package procs

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lesim/lesim/cmd/simulate/internal/procs/procstest"
)

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// grandchildPid starts a shell that starts a sleeping grandchild and
// prints its pid.
func startWithGrandchild(t *testing.T, s *Set, script string) (*Proc, int, *procstest.SyncBuffer) {
	t.Helper()
	out := &procstest.SyncBuffer{}
	p, err := s.Start(Spec{Argv: []string{"sh", "-c", script}, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	var gc int
	waitFor(t, 5*time.Second, "grandchild pid printed", func() bool {
		f := strings.Fields(out.String())
		if len(f) == 0 {
			return false
		}
		gc, err = strconv.Atoi(f[0])
		return err == nil
	})
	return p, gc, out
}

func TestKillAllKillsTheWholeGroup(t *testing.T) {
	s := NewSet()
	p, gc, _ := startWithGrandchild(t, s, "sleep 30 & echo $!; wait")
	if procstest.Gone(p.Pid()) || procstest.Gone(gc) {
		t.Fatal("the child or its grandchild is not running")
	}
	if err := s.KillAll(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "child and grandchild gone", func() bool { return procstest.Gone(p.Pid()) && procstest.Gone(gc) })
	if s.Live() != 0 {
		t.Fatalf("Live() = %d after KillAll", s.Live())
	}
	if _, err := s.Start(Spec{Argv: []string{"true"}}); err == nil {
		t.Fatal("Start after KillAll succeeded")
	}
}

// A child that exits on its own takes its grandchildren with it.
func TestExitKillsLeftoverGrandchildren(t *testing.T) {
	s := NewSet()
	defer s.KillAll(5 * time.Second)
	p, gc, _ := startWithGrandchild(t, s, "sleep 30 & echo $!; sleep 0.2")
	<-p.Done()
	waitFor(t, 5*time.Second, "grandchild gone", func() bool { return procstest.Gone(gc) })
}

func TestStopKillsAfterGraceWhenTermIsIgnored(t *testing.T) {
	s := NewSet()
	defer s.KillAll(5 * time.Second)
	p, _, _ := startWithGrandchild(t, s, `trap "" TERM; echo $$; while :; do sleep 0.05; done`)
	start := time.Now()
	killed, err := p.Stop(300 * time.Millisecond)
	if err != nil || !killed {
		t.Fatalf("Stop = %v, %v; want killed after the grace period", killed, err)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("killed after %v, before the grace period", el)
	}
	// A child that honours SIGTERM ends within the grace period.
	q, _, _ := startWithGrandchild(t, s, `echo $$; exec sleep 30`)
	if killed, err := q.Stop(5 * time.Second); err != nil || killed {
		t.Fatalf("Stop of a child that honours SIGTERM = %v, %v; want ended by it", killed, err)
	}
}

func TestPauseFreezesAndResumeContinues(t *testing.T) {
	s := NewSet()
	defer s.KillAll(5 * time.Second)
	p, _, out := startWithGrandchild(t, s, `echo $$; while :; do echo tick; sleep 0.02; done`)
	waitFor(t, 5*time.Second, "ticks", func() bool { return strings.Count(out.String(), "tick") > 2 })
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let a tick in flight land
	n := strings.Count(out.String(), "tick")
	time.Sleep(300 * time.Millisecond)
	if m := strings.Count(out.String(), "tick"); m != n {
		t.Fatalf("paused child ticked %d times", m-n)
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "ticks after resume", func() bool { return strings.Count(out.String(), "tick") > n+2 })
}

// Pdeathsig: a child whose parent dies is killed by the kernel. The
// parent here is a helper process (this test binary re-run) that starts
// a child and is then SIGKILLed.
func TestChildDiesWithItsParent(t *testing.T) {
	if os.Getenv("PROCS_HELPER") == "1" {
		p, err := Start(Spec{Argv: []string{"sleep", "30"}})
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString(strconv.Itoa(p.Pid()) + "\n")
		time.Sleep(30 * time.Second)
		return
	}
	out := &procstest.SyncBuffer{}
	s := NewSet()
	defer s.KillAll(5 * time.Second)
	helper, err := s.Start(Spec{Argv: []string{os.Args[0], "-test.run=^TestChildDiesWithItsParent$"}, Env: []string{"PROCS_HELPER=1"}, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	waitFor(t, 10*time.Second, "helper's child pid", func() bool {
		f := strings.Fields(out.String())
		if len(f) == 0 {
			return false
		}
		child, err = strconv.Atoi(f[0])
		return err == nil
	})
	// Should Pdeathsig fail, the orphan must not outlive the test.
	t.Cleanup(func() {
		if !procstest.Gone(child) {
			syscall.Kill(child, syscall.SIGKILL)
		}
	})
	// The helper's child is in a group of its own: killing the helper's
	// group does not reach it; only Pdeathsig does.
	if err := helper.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "orphaned child killed", func() bool { return procstest.Gone(child) })
}
