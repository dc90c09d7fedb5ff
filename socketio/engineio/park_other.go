//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package engineio

import "syscall"

// canPark: idle read loops keep their goroutine on this OS.
const canPark = false

func readable(uintptr) bool { return true }

// directWrites: tryWrite may write(2) to the socket's descriptor itself (see
// rawConn.fdMu).
const directWrites = false

func writeNonblocking(int, []byte) (int, syscall.Errno) { return 0, syscall.EINVAL } // directWrites is false
