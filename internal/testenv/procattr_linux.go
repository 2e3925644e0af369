package testenv

import "syscall"

// sysProcAttr makes the kernel kill a server when the test binary dies, so a
// crashed or interrupted test never leaves servers behind. Pdeathsig fires
// when the starting OS thread exits; the Go runtime only retires threads that
// a goroutine locked and never unlocked, which this package never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
