package engineio

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is a WebSocket with what its read loop needs to park it without a goroutine
// stack of its own: the bufio.Reader gorilla reads from (to know whether a message is
// already buffered) and the raw socket (to wait until it is readable).
//
// raw comes first, then rc0 whose first fields are those tryWrite reads, and the size
// is a multiple of 64 bytes (the allocator's size class then starts every wsConn on a
// cache line): a broadcast reads one cache line of a wsConn per recipient, not two.
// TestWSConnLayout keeps it so.
type wsConn struct {
	raw *rawConn // the socket gorilla writes through (&rc0); nil: gorilla writes everything
	rc0 rawConn  // raw's storage, in the same allocation
	*websocket.Conn
	br *bufio.Reader
	rc syscall.RawConn // nil: no idle parking (not a socket, or an OS without peek)
	// slot and gone belong to the Server's idlePoller, under its lock: the socket's slot
	// in the poller (0: none), and whether it is being closed (never parked again).
	slot int32
	gone bool
	// last and prev are when the read loop got the last two messages (Server.now), the
	// read loop's own: see chatty.
	last, prev int64
}

// Idle parking (readWS): a connection whose last two messages came less than chattyGap
// apart waits for the next one on a goroutine, woken by Go's netpoller directly (an echo
// round trip measured 9 µs, against 14 µs through the idlePoller), and hands over to the
// idlePoller once quiet for idleHandoff. Heartbeats (one pong per PingInterval) never
// make a connection chatty, so idle connections hold no goroutine.
const (
	chattyGap   = int64(time.Second)
	idleHandoff = 2 * time.Second
)

// seen records a message read at now.
func (c *wsConn) seen(now int64) { c.prev, c.last = c.last, now }

// chatty reports whether c's last two messages came less than chattyGap apart.
func (c *wsConn) chatty(now int64) bool { return c.prev != 0 && c.last-c.prev < chattyGap }

// upgradeWS upgrades r to a WebSocket whose read buffer is ours: gorilla reuses a
// hijacked bufio.Reader larger than 256 bytes, so the Hijacker below hands it one of
// wsReadBufferSize bytes instead of net/http's 4 KiB one. hdr (may be nil) is added to
// the 101 response (Config.InitialHeaders, Config.Headers).
func (srv *Server) upgradeWS(w http.ResponseWriter, r *http.Request, hdr http.Header) (*wsConn, error) {
	wc := &wsConn{}
	hw := &hijackWriter{ResponseWriter: w, raw: &wc.rc0}
	c, err := srv.upgrader.Upgrade(hw, r, hdr)
	if err != nil {
		return nil, err
	}
	srv.setupDeflate(c)
	wc.Conn, wc.br = c, hw.br
	if hw.wrapped {
		wc.raw = &wc.rc0
		if canPark {
			wc.rc = wc.raw.rc
		}
	}
	return wc, nil
}

// hijackWriter gives the upgrader a small read buffer of our own (see upgradeWS).
type hijackWriter struct {
	http.ResponseWriter
	br      *bufio.Reader
	raw     *rawConn // to set up on the hijacked socket
	wrapped bool     // raw was set up and handed to gorilla
}

func (h *hijackWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 { // gorilla refuses early client data
		return c, brw, err
	}
	h.br = bufio.NewReaderSize(c, wsReadBufferSize)
	if h.wrapped = h.raw.init(c); h.wrapped { // gorilla writes through it
		return h.raw, bufio.NewReadWriter(h.br, brw.Writer), nil
	}
	return c, bufio.NewReadWriter(h.br, brw.Writer), nil
}

// idle reports whether the read loop of c may park: nothing is buffered, so the next
// message must come from the socket.
func (c *wsConn) idle() bool { return c.rc != nil && c.br != nil && c.br.Buffered() == 0 }

// parkWS waits, on a fresh goroutine with a small stack, until c's socket is readable
// (or closed), then runs the read loop on it again. An idle connection thus holds a
// goroutine parked a few frames deep, not the read loop's stack grown by the handlers.
//
// With an idlePoller, the wait is bounded by idleHandoff: a connection quiet for that
// long goes to the poller and the goroutine ends.
func (s *Session) parkWS(c *wsConn) {
	defer s.srv.track.done()
	wait := func() error {
		woke := false
		return c.rc.Read(func(fd uintptr) bool {
			if woke { // the poller says readable: no second peek, a spurious wake-up just blocks in the read
				return true
			}
			woke = true
			return readable(fd)
		})
	}
	if s.srv.idle.enabled() && c.raw.Conn.SetReadDeadline(time.Now().Add(idleHandoff)) == nil {
		err := wait()
		_ = c.raw.Conn.SetReadDeadline(time.Time{})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if s.srv.idle.park(s, c) {
				return
			}
			_ = wait()
		}
	} else {
		_ = wait() // an error (closed socket) surfaces in the next read
	}
	s.srv.track.add()
	s.readWS(c, false, true)
}
