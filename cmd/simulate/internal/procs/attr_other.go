//go:build !linux

package procs

import "syscall"

// sysProcAttr puts the child in a process group of its own. Only Linux
// has Pdeathsig: elsewhere a serve killed with SIGKILL leaves its
// children running (every other exit path kills them).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
