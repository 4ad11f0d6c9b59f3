package procs

import "syscall"

// sysProcAttr puts the child in a process group of its own and asks the
// kernel to SIGKILL it when its parent dies, so that a serve killed with
// SIGKILL leaves no child running. (Pdeathsig follows the thread that
// forked the child; Go ends a thread only when a goroutine locked to it
// exits, which serve's goroutines do not.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
