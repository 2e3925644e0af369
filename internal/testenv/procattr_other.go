//go:build !linux

package testenv

import "syscall"

// sysProcAttr has no parent-death signal outside Linux; t.Cleanup still
// stops every server when the test ends normally.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
