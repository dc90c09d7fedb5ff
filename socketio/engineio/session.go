package engineio

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Session states. Transitions only go forward, under Session.mu; the atomic copy lets
// the delivery path read it without taking mu.
const (
	stateOpen    int32 = iota
	stateClosing       // Close called: queued packets are being flushed, Send refused
	stateClosed        // gone: no transport, OnClose scheduled
)

// What the session's single timer does when it fires.
const (
	timerPing   uint8 = iota // v4: send a ping
	timerPong                // v4: the pong is late: ping timeout
	timerV3                  // v3: the client's ping is late: ping timeout
	timerClose               // Close: flushing took too long
	timerLinger              // a client-closed polling session leaves the table
)

// Session is one Engine.IO connection, across its transports (polling, then maybe
// WebSocket). Its methods are safe for concurrent use.
//
// The fields Send reads (srv to queue, under mu) come first, in one cache line: a
// broadcast touches them for each recipient.
type Session struct {
	srv   *Server
	state atomic.Int32
	mu    sync.Mutex
	// flushing: a goroutine owns the WebSocket's data writes, a flusher or a Send
	// writing inline; the others queue.
	flushing bool
	wsB64    bool // v3 WebSocket: binary as `b4<base64>` text
	proto    int8 // Engine.IO revision, 4 or 3
	// ws is the current WebSocket transport, nil while polling. Written under mu and
	// read under it, except by SendEach's look-ahead, hence atomic.
	ws         atomic.Pointer[wsConn]
	queueBytes int
	queue      []outPacket

	id  string
	b64 bool // v3 polling: binary packets as base64 text
	req handshakeReq

	// recvMu serializes delivery to handler: held by OnOpen, by each WebSocket message
	// and by each polling POST, and by OnClose.
	recvMu  sync.Mutex
	handler SessionHandler

	probe     *wsConn     // WebSocket being upgraded to
	upgrading bool        // an upgrade is in progress (probe may still be nil)
	probed    bool        // the probe was answered `3probe`: the client pauses polling
	poll      *pollWaiter // pending polling GET
	spare     []outPacket // recycled queue backing array
	timer     *time.Timer
	timerKind uint8
	timerDue  int64 // Server.now() at which the timer is due
	reason    Reason
	lingering bool
}

// ID returns the session id: 20 base64url characters from crypto/rand.
func (s *Session) ID() string { return s.id }

// Protocol returns the Engine.IO protocol revision: 4, or 3 for legacy clients. The
// Socket.IO layer uses it to pick its own protocol revision.
func (s *Session) Protocol() int { return int(s.proto) }

// Transport returns the current transport, "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws.Load() != nil {
		return TransportWebSocket
	}
	return TransportPolling
}

// Request returns a copy of the handshake request: URL and query, Header, RemoteAddr,
// Host and TLS. It has no body and its context is not tied to the HTTP request. Each
// call builds a new Request (the Header map is shared and must not be modified).
func (s *Session) Request() *http.Request { return s.req.request() }

// Send queues frames atomically (all or none, in order) without blocking on the network.
// It returns ErrClosed when the session is closing or closed, and ErrQueueFull after
// closing the session with ReasonSlowConsumer when the frames do not fit in
// Config.MaxWriteQueueBytes.
func (s *Session) Send(frames ...*Frame) error { return s.send(frames, nil) }

// send is Send; ws, when not nil, is the session's WebSocket as SendEach read it ahead,
// and the inline write is taken only while it is still the session's.
func (s *Session) send(frames []*Frame, ws *wsConn) error {
	n := 0
	for _, f := range frames {
		n += len(f.enc) + 1
	}
	s.mu.Lock()
	if s.state.Load() != stateOpen {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.queueBytes+n > s.srv.cfg.MaxWriteQueueBytes {
		s.mu.Unlock()
		s.destroy(ReasonSlowConsumer, 0)
		return ErrQueueFull
	}
	if c := s.ws.Load(); c != nil && (ws == nil || ws == c) && len(frames) == 1 && !s.flushing && len(s.queue) == 0 {
		if b := s.wireOf(c, frames[0]); b != nil {
			frames[0].markSent()
			s.flushing = true
			s.mu.Unlock()
			s.writeInline(c, frames[0], b, n)
			return nil
		}
	}
	for _, f := range frames {
		f.markSent()
		s.queue = append(s.queue, outPacket{frame: f})
	}
	s.queueBytes += n
	s.kickLocked()
	s.mu.Unlock()
	return nil
}

// writeInline writes frame f (its wire bytes b, n bytes against the queue limit) on the
// caller's goroutine, which holds the WebSocket's writes (s.flushing), when the socket
// takes it without blocking: a broadcast then costs one write(2) per recipient, with no
// goroutine started. A frame the socket does not take goes first in the queue; a frame
// it takes in part leaves its rest to the flusher; either way, and when packets were
// queued meanwhile, a flusher takes over the writes.
func (s *Session) writeInline(c *wsConn, f *Frame, b []byte, n int) {
	rest, err := c.raw.tryWrite(b)
	s.mu.Lock()
	st := s.state.Load()
	if st == stateClosed {
		s.flushing = false
		s.mu.Unlock()
		return
	}
	switch err {
	case nil:
	case errWouldBlock:
		s.queue = append(s.queue, outPacket{})
		copy(s.queue[1:], s.queue)
		s.queue[0] = outPacket{frame: f}
		s.queueBytes += n
	default:
		s.flushing = false
		s.mu.Unlock()
		s.destroy(ReasonTransportError, 0)
		return
	}
	if len(s.queue) > 0 || st == stateClosing || rest {
		s.srv.track.add()
		go s.flushWS(c)
	} else {
		s.flushing = false
	}
	s.mu.Unlock()
}

// wireOf returns the bytes of f as written raw to c, or nil when gorilla writes it: a
// compressed message or a v3 binary one as base64 text.
func (s *Session) wireOf(c *wsConn, f *Frame) []byte {
	if c.raw == nil || (f.binary && s.proto == 3 && s.wsB64) {
		return nil
	}
	typ, b, slot := f.wsMessage(int(s.proto))
	if d := s.srv.cfg.PerMessageDeflate; d != nil && f.Compressible() && len(b) >= d.Threshold {
		return nil
	}
	return f.wire(slot, typ, b)
}

// Close flushes what is queued (bounded by about a second) and then closes the session
// with reason: a polling client gets the queued packets then a close packet `1`, a
// WebSocket client the queued frames then a close frame. Idempotent; OnClose(reason)
// follows.
func (s *Session) Close(reason Reason) {
	s.mu.Lock()
	if s.state.Load() != stateOpen {
		s.mu.Unlock()
		return
	}
	s.state.Store(stateClosing)
	s.reason = reason
	s.armLocked(timerClose, closeFlushTimeout)
	if s.ws.Load() != nil {
		s.kickLocked() // the flusher closes once the queue is empty
		s.mu.Unlock()
		return
	}
	if w := s.poll; w != nil {
		s.poll = nil
		if len(s.queue) > 0 { // queued packets first; `1` with the next poll (see handleGet)
			w.reply(pollReply{pkts: s.takeQueueLocked()})
			s.mu.Unlock()
			return
		}
		w.reply(pollReply{pkts: []outPacket{{typ: typeClose}}})
		s.mu.Unlock()
		s.destroy(reason, 0)
		return
	}
	s.mu.Unlock() // the next GET gets the queue and `1`, or the timer closes
}

// kickLocked hands queued packets to the transport: a pending GET (also while an
// upgrade is in progress), or a WebSocket flusher goroutine that runs until the queue
// is empty.
func (s *Session) kickLocked() {
	if s.ws.Load() != nil {
		if !s.flushing && (len(s.queue) > 0 || s.state.Load() == stateClosing) {
			s.flushing = true
			s.srv.track.add()
			go s.flushWS(s.ws.Load())
		}
		return
	}
	if w := s.poll; w != nil && len(s.queue) > 0 {
		s.poll = nil
		w.reply(pollReply{pkts: s.takeQueueLocked()})
	}
}

// enqueueLocked queues a control packet; false means the queue is over its limit and
// the caller must close the session with ReasonSlowConsumer.
func (s *Session) enqueueLocked(typ byte, data string) bool {
	p := outPacket{typ: typ, data: data}
	if s.queueBytes+p.size() > s.srv.cfg.MaxWriteQueueBytes {
		return false
	}
	s.queue = append(s.queue, p)
	s.queueBytes += p.size()
	s.kickLocked()
	return true
}

// takeQueueLocked removes and returns every queued packet.
func (s *Session) takeQueueLocked() []outPacket {
	q := s.queue
	s.queue, s.spare = s.spare, nil
	s.queueBytes = 0
	return q
}

// reuseLocked keeps the cleared backing array q for the next packets: as the queue when
// it has none (Send appends without allocating), else as the spare.
func (s *Session) reuseLocked(q []outPacket) {
	switch {
	case cap(q) > 64:
	case s.queue == nil:
		s.queue = q[:0]
	case s.spare == nil:
		s.spare = q[:0]
	}
}

// recycle returns a written batch's backing array for reuse.
func (s *Session) recycle(q []outPacket) {
	clear(q)
	if cap(q) > 64 {
		return
	}
	s.mu.Lock()
	if s.state.Load() != stateClosed {
		s.reuseLocked(q)
	}
	s.mu.Unlock()
}

// armLocked (re)starts the session timer.
func (s *Session) armLocked(kind uint8, d time.Duration) {
	s.timerKind = kind
	s.timerDue = s.srv.now() + int64(d)
	s.timer.Reset(d)
}

// onTimer runs when the session timer fires.
func (s *Session) onTimer() {
	s.mu.Lock()
	if s.srv.now() < s.timerDue { // fired before a Reset moved it
		s.mu.Unlock()
		return
	}
	st := s.state.Load()
	switch s.timerKind {
	case timerPing:
		if st != stateOpen {
			s.mu.Unlock()
			return
		}
		if !s.enqueueLocked(typePing, "") {
			s.mu.Unlock()
			s.destroy(ReasonSlowConsumer, 0)
			return
		}
		// The pong deadline counts from when the ping was due, not from when this
		// timer ran, so a late timer cannot stretch pingInterval+pingTimeout.
		due := s.timerDue + int64(s.srv.cfg.PingTimeout)
		s.timerKind = timerPong
		s.timerDue = due
		s.timer.Reset(time.Duration(max(due-s.srv.now(), 0)))
		s.mu.Unlock()
	case timerPong, timerV3:
		s.mu.Unlock()
		s.destroy(ReasonPingTimeout, 0)
	case timerClose:
		reason := s.reason
		s.mu.Unlock()
		s.destroy(reason, websocket.CloseNormalClosure)
	case timerLinger:
		linger := s.lingering
		s.lingering = false
		s.mu.Unlock()
		if linger {
			s.srv.remove(s)
		}
	default:
		s.mu.Unlock()
	}
}

// expired closes the session when its ping deadline has passed even though the timer
// has not run yet, so a request arriving just after the deadline is refused.
func (s *Session) expired() bool {
	s.mu.Lock()
	late := s.state.Load() == stateOpen && (s.timerKind == timerPong || s.timerKind == timerV3) &&
		s.srv.now() >= s.timerDue
	s.mu.Unlock()
	if late {
		s.destroy(ReasonPingTimeout, 0)
	}
	return late
}

// onPong handles a v4 pong: the next ping is due PingInterval from now.
func (s *Session) onPong() {
	s.mu.Lock()
	if s.state.Load() == stateOpen && s.timerKind == timerPong {
		s.armLocked(timerPing, s.srv.cfg.PingInterval)
	}
	s.mu.Unlock()
}

// onPing answers a client ping (the v3 heartbeat) with a pong; in v3 it also restarts
// the ping timeout.
func (s *Session) onPing(data []byte) {
	s.mu.Lock()
	if s.state.Load() != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.proto == 3 {
		s.armLocked(timerV3, s.srv.cfg.PingInterval+s.srv.cfg.PingTimeout)
		data = nil // v3 pongs carry no data
	}
	ok := s.enqueueLocked(typePong, string(data))
	s.mu.Unlock()
	if !ok {
		s.destroy(ReasonSlowConsumer, 0)
	}
}

// handlePacketLocked acts on one client packet; recvMu must be held. It returns false
// once the session is closed.
func (s *Session) handlePacketLocked(p packet) bool {
	switch p.typ {
	case typeMessage:
		if s.state.Load() == stateOpen && s.handler != nil {
			s.handler.OnMessage(p.data, p.binary)
		}
	case typePong:
		if s.proto == 4 {
			s.onPong()
		}
	case typePing:
		s.onPing(p.data)
	case typeClose:
		s.destroy(ReasonClientClose, websocket.CloseNormalClosure)
		return false
	}
	// open, upgrade and noop packets from the client carry nothing to act on
	return s.state.Load() != stateClosed
}

// destroy closes the session now: the transports are closed (a WebSocket with close code
// wsCode when non-zero), a pending GET is answered (`6` for a client close, else `1`),
// queued packets are dropped and OnClose is scheduled. Idempotent. Must be called
// without s.mu held.
func (s *Session) destroy(reason Reason, wsCode int) {
	s.mu.Lock()
	if s.state.Load() == stateClosed {
		s.mu.Unlock()
		return
	}
	s.state.Store(stateClosed)
	ws, probe, poll := s.ws.Load(), s.probe, s.poll
	s.poll, s.probe, s.upgrading, s.probed = nil, nil, false, false
	clear(s.queue)
	s.queue, s.spare, s.queueBytes = nil, nil, 0
	linger := false
	if poll != nil {
		typ := typeClose
		if reason == ReasonClientClose {
			typ = typeNoop
		}
		poll.reply(pollReply{pkts: []outPacket{{typ: typ}}})
	} else if ws == nil && reason == ReasonClientClose {
		linger = true
		s.lingering = true
		s.armLocked(timerLinger, lingerDuration)
	}
	if !linger {
		s.timer.Stop()
	}
	s.mu.Unlock()
	if !linger {
		s.srv.remove(s)
	}
	s.srv.closed(s.srv.live.Add(-1))
	go s.finish(ws, probe, wsCode, reason) // covered by the session's tracker count
}

// finish closes the WebSockets off the caller's goroutine (a close frame may block) and
// runs OnClose once no message is being delivered.
func (s *Session) finish(ws, probe *wsConn, wsCode int, reason Reason) {
	defer s.srv.track.done()
	if probe != nil {
		_ = probe.Close()
	}
	if ws != nil {
		s.srv.idle.forget(ws)
		if wsCode != 0 {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(wsCode, ""),
				time.Now().Add(closeWriteWait))
		}
		_ = ws.Close()
	}
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if s.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		s.srv.log.Debug("engineio: session closed", "sid", LogID(s.id), "reason", string(reason))
	}
	if s.handler != nil {
		s.handler.OnClose(reason)
	}
}

// dropLinger removes a lingering (client-closed) session from the table now.
func (s *Session) dropLinger() {
	s.mu.Lock()
	linger := s.lingering
	if linger {
		s.lingering = false
		s.timer.Stop()
	}
	s.mu.Unlock()
	if linger {
		s.srv.remove(s)
	}
}
