//go:build unix

package redistest

import "syscall"

// ownProcessGroup puts redis-server in a process group of its own, so a Ctrl-C meant
// for the test run reaches the test first and Stop ends the server by its pid.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
