//go:build !unix

package redistest

import "syscall"

// ownProcessGroup: this OS has no process groups to set; Stop still ends the server by
// its pid.
func ownProcessGroup() *syscall.SysProcAttr { return nil }
