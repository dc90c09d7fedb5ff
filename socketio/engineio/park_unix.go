//go:build linux || darwin || freebsd || netbsd || openbsd

package engineio

import "syscall"

// canPark: this OS can peek at a socket without blocking.
const canPark = true

// readable is the syscall.RawConn.Read callback of parkWS: true when the socket has
// data, has reached EOF or has failed (the reader then sees it), false to wait.
func readable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN && err != syscall.EINTR
}

// directWrites: tryWrite may write(2) to the socket's descriptor itself (see
// rawConn.fdMu).
const directWrites = true
