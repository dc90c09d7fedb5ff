package engineio

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// rawConn is the socket under one WebSocket, and the lock that serializes every write
// to it: gorilla's (the upgrade response, control frames, compressed and v3 base64
// messages) through Write, and the engine's own frames (see Frame.wire) through
// tryWrite and writeBuffers, which skip gorilla's writer.
//
// tryWrite is the broadcaster's inline write: one non-blocking write(2), as Node's
// uv_try_write. When the socket takes only part of a frame, the rest stays in pending and
// every later write sends it first, so frames never interleave on the wire.
//
// The fields tryWrite reads come first: mu, tryErr, tryBuf and pending fill one cache line.
type rawConn struct {
	mu sync.Mutex
	// tryWrite's state, under mu.
	pending []byte // the unwritten end of a frame tryWrite wrote in part
	// fdMu is held around tryWrite's write(2) on fd and by Close, so fd is never closed
	// (and its number reused) during the write. tryWrite skips the runtime's poll.FD:
	// its lock, deadline reset and closing checks touch three more structures per
	// recipient of a broadcast, most of the user time of a fan-out after write(2).
	fdMu   sync.Mutex
	fd     int  // the socket; -1: tryWrite goes through rc
	closed bool // under fdMu: Close was called, fd may be reused
	tryErr syscall.Errno
	tryBuf []byte // what is left to write
	tryFn  func(fd uintptr) bool
	rc     syscall.RawConn

	net.Conn
}

// init sets r up on c; false when c is not a socket.
func (r *rawConn) init(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	r.Conn, r.rc = c, rc
	r.tryFn = r.try
	r.fd = -1
	if directWrites {
		_ = rc.Control(func(fd uintptr) { r.fd = int(fd) })
	}
	return true
}

// Close closes the socket once no tryWrite is writing to it (see fdMu).
func (r *rawConn) Close() error {
	r.fdMu.Lock()
	r.closed = true
	r.fdMu.Unlock()
	return r.Conn.Close()
}

// Write implements net.Conn for gorilla: the rest of a partly written frame goes first.
func (r *rawConn) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.flushPendingLocked(); err != nil {
		return 0, err
	}
	return r.Conn.Write(b)
}

func (r *rawConn) flushPendingLocked() error {
	if len(r.pending) == 0 {
		return nil
	}
	_, err := r.Conn.Write(r.pending)
	r.pending = nil
	return err
}

// errWouldBlock: tryWrite wrote nothing, the socket's send buffer is full.
var errWouldBlock = errors.New("engineio: write would block")

// tryWrite writes b without blocking. It returns nil when all of b was written or when
// part was, with rest true: the rest is pending and the caller must make sure a writer
// flushes it; errWouldBlock when nothing was written, or the socket's error. The locks
// are released by hand, not deferred: this runs once per recipient of a broadcast.
func (r *rawConn) tryWrite(b []byte) (rest bool, err error) {
	if !r.mu.TryLock() { // gorilla is writing a control frame, maybe blocked
		return false, errWouldBlock
	}
	if len(r.pending) > 0 {
		r.mu.Unlock()
		return false, errWouldBlock
	}
	var n int
	if r.fd >= 0 {
		n, err = r.writeDirect(b)
	} else {
		r.tryBuf, r.tryErr = b, 0
		err = r.rc.Write(r.tryFn)
		n = len(b) - len(r.tryBuf)
		if err == nil && r.tryErr != 0 {
			err = r.tryErr
		}
		r.tryBuf, r.tryErr = nil, 0
	}
	switch {
	case err != nil:
	case n == 0:
		err = errWouldBlock
	case n < len(b):
		r.pending = b[n:]
		rest = true
	}
	r.mu.Unlock()
	return rest, err
}

// writeDirect writes b to the non-blocking socket fd until it would block or all is
// written, and returns how much it wrote.
func (r *rawConn) writeDirect(b []byte) (n int, err error) {
	r.fdMu.Lock()
	if r.closed {
		r.fdMu.Unlock()
		return 0, net.ErrClosed
	}
	for n < len(b) {
		k, errno := writeNonblocking(r.fd, b[n:])
		if k > 0 {
			n += k
		}
		if errno == syscall.EINTR || errno == 0 && k > 0 {
			continue
		}
		if errno != syscall.EAGAIN && errno != 0 {
			err = errno
		}
		break
	}
	r.fdMu.Unlock()
	return n, err
}

// try is the syscall.RawConn.Write callback of tryWrite: it writes until the socket
// would block or everything is written, and never asks the poller to wait.
func (r *rawConn) try(fd uintptr) bool {
	for len(r.tryBuf) > 0 {
		n, err := writeSocket(fd, r.tryBuf)
		if n > 0 {
			r.tryBuf = r.tryBuf[n:]
		}
		switch {
		case err == syscall.EINTR, err == nil && n > 0:
			continue
		case err != nil && err != syscall.EAGAIN:
			if errno, ok := err.(syscall.Errno); ok {
				r.tryErr = errno
			} else {
				r.tryErr = syscall.EIO
			}
		}
		return true
	}
	return true
}

// writeBuffers writes bufs (with writev when there are several), after any pending rest,
// blocking until deadline at most. bufs is consumed.
func (r *rawConn) writeBuffers(bufs *net.Buffers, deadline time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.Conn.SetWriteDeadline(deadline)
	if err := r.flushPendingLocked(); err != nil {
		return err
	}
	_, err := bufs.WriteTo(r.Conn)
	return err
}

// flushPending writes the pending rest, if any, blocking until deadline at most.
func (r *rawConn) flushPending(deadline time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	_ = r.Conn.SetWriteDeadline(deadline)
	return r.flushPendingLocked()
}

// appendWSHeader appends the header of an unmasked, unfragmented, uncompressed server
// WebSocket frame of type typ (websocket.TextMessage or BinaryMessage) and n bytes.
func appendWSHeader(b []byte, typ, n int) []byte {
	b0 := byte(0x80 | typ) // FIN
	switch {
	case n < 126:
		return append(b, b0, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(b, b0, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, b0, 127), uint64(n))
	}
}

// wsFrame returns msg as a whole server WebSocket frame of type typ.
func wsFrame(typ int, msg []byte) []byte {
	b := make([]byte, 0, len(msg)+10)
	return append(appendWSHeader(b, typ, len(msg)), msg...)
}
