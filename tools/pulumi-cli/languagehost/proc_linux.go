//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// setProcAttrs makes the Python program die with this host (the engine kills the host at the
// end of an update) and puts it in its own process group so Cancel can stop its children too.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
