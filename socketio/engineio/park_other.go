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

// writeSocket writes nothing on this OS: a socket here is not a descriptor write(2)
// takes (on Windows a Handle), so tryWrite reports that the write would block and the
// frame goes through the connection's writer, as every frame did before inline writes.
func writeSocket(uintptr, []byte) (int, error) { return 0, syscall.EAGAIN }
