//go:build linux || darwin || freebsd || netbsd || openbsd

package engineio

import (
	"syscall"
	"unsafe"
)

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

// writeNonblocking is write(2) on a non-blocking socket, as a raw system call: it
// never blocks, so the scheduler need not be told (syscall.Write's entersyscall and
// exitsyscall, and the P handed to another thread when a loopback write runs long,
// cost a fan-out as much user time as the write's own bookkeeping).
func writeNonblocking(fd int, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		return 0, 0
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}

// writeSocket is rawConn.try's write(2) through syscall.RawConn, when directWrites
// found no descriptor to use.
func writeSocket(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
