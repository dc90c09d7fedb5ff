package engineio

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// upgrade serves a WebSocket request with a sid: the probe of a polling→WebSocket
// upgrade. Only one upgrade per session is allowed, and none once on WebSocket: such
// a second WebSocket is opened and closed at once (1008), as Node's server does, so
// that clients (and the official test suite, whose client has no error handler)
// see a close rather than a failed handshake; the first keeps working.
func (srv *Server) upgrade(w http.ResponseWriter, r *http.Request, s *Session, q query) {
	if srv.cfg.DisableUpgrades {
		srv.refuse(w, r, errBadRequest)
		return
	}
	s.mu.Lock()
	if s.state.Load() == stateOpen && (s.ws.Load() != nil || s.upgrading) {
		s.mu.Unlock()
		if c, err := srv.upgradeWS(w, r, srv.wsHeaders(r, false)); err == nil {
			_ = c.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "session already upgraded"),
				time.Now().Add(time.Second))
			_ = c.Close()
		}
		return
	}
	if s.state.Load() != stateOpen {
		s.mu.Unlock()
		srv.refuse(w, r, errBadRequest)
		return
	}
	s.upgrading = true
	s.mu.Unlock()

	c, err := srv.upgradeWS(w, r, srv.wsHeaders(r, false))
	s.mu.Lock()
	if err != nil || !s.upgrading || s.state.Load() == stateClosed {
		if err == nil {
			_ = c.Close()
		} else if s.probe == nil {
			s.upgrading = false
		}
		s.mu.Unlock()
		return
	}
	s.probe = c
	s.wsB64 = q.b64
	s.mu.Unlock()
	srv.track.add()
	go s.readWS(c, true, false)
}

// readWS is the one read loop of WebSocket c: before each message, once nothing is
// buffered, it hands c over to the Server's idlePoller, which runs it again, ready true,
// when the socket is readable; a connection whose messages come less than chattyGap
// apart waits on a small goroutine instead (parkWS), which is quicker to wake, until it
// has been quiet for idleHandoff. While probing it only accepts `2probe`
// (answered `3probe`) and `5` (completes the upgrade) within UpgradeTimeout; anything
// else drops the probe and the session stays on polling.
func (s *Session) readWS(c *wsConn, probing, ready bool) {
	defer s.srv.track.done()
	srv := s.srv
	c.SetReadLimit(srv.cfg.MaxPayload)
	if probing {
		_ = c.SetReadDeadline(time.Now().Add(srv.cfg.UpgradeTimeout))
	}
	for ; ; ready = false {
		if !probing && !ready && c.idle() { // wait for the next message without a goroutine, or on a small one
			if !c.chatty(srv.now()) && srv.idle.park(s, c) {
				return
			}
			srv.track.add()
			go s.parkWS(c)
			return
		}
		mt, data, err := srv.readMessage(c)
		c.seen(srv.now())
		if err != nil {
			if probing {
				s.abortUpgrade(c)
				return
			}
			reason := ReasonTransportClose
			var ce *websocket.CloseError
			switch {
			case errors.Is(err, websocket.ErrReadLimit):
				reason = ReasonPayloadTooLarge // gorilla has sent close 1009
			case errors.As(err, &ce), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			default:
				reason = ReasonTransportError
			}
			s.destroy(reason, 0)
			return
		}
		if mt == websocket.TextMessage && !utf8.Valid(data) {
			if probing {
				s.abortUpgrade(c)
			} else {
				s.destroy(ReasonParseError, websocket.CloseInvalidFramePayloadData)
			}
			return
		}
		if probing {
			if probing = s.onProbeMessage(c, mt, data); probing {
				continue
			}
			if !s.completeUpgrade(c) {
				return
			}
			s.notifyUpgrade()
			_ = c.SetReadDeadline(time.Time{})
			continue
		}
		var p packet
		switch {
		case mt == websocket.TextMessage:
			p, err = decodeText(data, int(s.proto))
		case s.proto == 4:
			p = packet{typ: typeMessage, binary: true, data: data}
		default:
			p, err = decodeBinaryV3(data)
		}
		if err != nil {
			s.destroy(ReasonParseError, websocket.CloseProtocolError)
			return
		}
		s.recvMu.Lock()
		alive := s.handlePacketLocked(p)
		s.recvMu.Unlock()
		if !alive {
			return
		}
	}
}

// readMessage reads one message into a new slice of its exact size, using a pooled
// buffer while the size is unknown.
func (srv *Server) readMessage(c *wsConn) (int, []byte, error) {
	mt, rd, err := c.NextReader()
	if err != nil {
		return 0, nil, err
	}
	bp := srv.getBuf()
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > srv.cfg.MaxPayload {
			// gorilla bounds the bytes on the wire; with permessage-deflate a small
			// message may inflate far beyond them, so the payload is bounded here.
			err = websocket.ErrReadLimit
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = b
			srv.putBuf(bp)
			return 0, nil, err
		}
	}
	data := make([]byte, len(b))
	copy(data, b)
	*bp = b
	srv.putBuf(bp)
	return mt, data, nil
}

// onProbeMessage handles a message on a probing WebSocket; it returns false when the
// message is `5` (the caller completes the upgrade). Any unexpected message aborts.
func (s *Session) onProbeMessage(c *wsConn, mt int, data []byte) bool {
	if mt == websocket.TextMessage && string(data) == "5" {
		return false
	}
	if mt != websocket.TextMessage || string(data) != "2probe" {
		s.abortUpgrade(c)
		return true // the read loop ends on the closed connection
	}
	_ = c.SetWriteDeadline(time.Now().Add(s.srv.writeWait))
	if err := c.WritePreparedMessage(s.srv.pmProbe); err != nil {
		s.abortUpgrade(c)
		return true
	}
	// The client now pauses polling: its long poll must end before it sends `5`. A
	// pending poll holds nothing (kickLocked answers it as soon as packets are queued),
	// so it gets a noop.
	s.mu.Lock()
	if s.probe == c {
		s.probed = true
		if w := s.poll; w != nil {
			s.poll = nil
			w.reply(pollReply{pkts: noopPacket})
		}
	}
	s.mu.Unlock()
	return true
}

// completeUpgrade makes c the session's transport and queued packets move to the
// WebSocket. A GET still pending holds nothing (see kickLocked) and is refused, as one
// made after `5` is: the client paused polling before sending `5`, so such a GET raced
// with it. It returns false when the session is gone.
func (s *Session) completeUpgrade(c *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != c || s.state.Load() == stateClosed {
		_ = c.Close()
		return false
	}
	s.probe, s.upgrading, s.probed = nil, false, false
	s.ws.Store(c)
	if w := s.poll; w != nil {
		s.poll = nil
		w.reply(pollReply{status: http.StatusBadRequest})
	}
	s.kickLocked()
	return true
}

// abortUpgrade drops the probe c; the session stays on polling.
func (s *Session) abortUpgrade(c *wsConn) {
	s.mu.Lock()
	if s.probe == c {
		s.probe, s.upgrading, s.probed = nil, false, false
	}
	s.mu.Unlock()
	_ = c.Close()
}

// flushWS writes the queue to c until it is empty, then exits; Send starts it again.
// So an idle WebSocket has no writer goroutine. While it runs it is the only writer of
// data frames (s.flushing); a Send that found the writer idle may have written inline
// before it, and left it the rest of a frame (rawConn.pending) to write first.
func (s *Session) flushWS(c *wsConn) {
	defer s.srv.track.done()
	fail := func() {
		s.mu.Lock()
		s.flushing = false
		s.mu.Unlock()
		s.destroy(ReasonTransportError, 0)
	}
	if c.raw != nil {
		if err := c.raw.flushPending(time.Now().Add(s.srv.writeWait)); err != nil {
			fail()
			return
		}
	}
	var batch []outPacket
	var bufs net.Buffers
	for {
		s.mu.Lock()
		if batch != nil {
			clear(batch)
			s.reuseLocked(batch)
			batch = nil
		}
		st := s.state.Load()
		if s.ws.Load() != c || st == stateClosed {
			s.flushing = false
			s.mu.Unlock()
			return
		}
		if len(s.queue) == 0 {
			s.flushing = false
			reason := s.reason
			s.mu.Unlock()
			if st == stateClosing {
				s.destroy(reason, websocket.CloseNormalClosure)
			}
			return
		}
		batch = s.takeQueueLocked()
		wait := s.srv.writeWait
		if st == stateClosing {
			wait = closeFlushTimeout
		}
		s.mu.Unlock()
		deadline := time.Now().Add(wait)
		_ = c.SetWriteDeadline(deadline)
		if err := s.writeBatch(c, batch, &bufs, deadline); err != nil {
			clear(batch)
			fail()
			return
		}
	}
}

// writeBatch writes the packets of batch in order: runs of packets written raw go out
// in one writev, the others through gorilla (writeWS).
func (s *Session) writeBatch(c *wsConn, batch []outPacket, bufs *net.Buffers, deadline time.Time) error {
	flush := func() error {
		if len(*bufs) == 0 {
			return nil
		}
		v := *bufs // WriteTo consumes its receiver
		err := c.raw.writeBuffers(&v, deadline)
		clear(*bufs)
		*bufs = (*bufs)[:0]
		return err
	}
	for i := range batch {
		if b := s.wireOfPacket(c, &batch[i]); b != nil {
			*bufs = append(*bufs, b)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if err := s.writeWS(c, &batch[i]); err != nil {
			return err
		}
	}
	return flush()
}

// wireOfPacket is wireOf for any queued packet.
func (s *Session) wireOfPacket(c *wsConn, p *outPacket) []byte {
	switch {
	case c.raw == nil:
		return nil
	case p.frame != nil:
		return s.wireOf(c, p.frame)
	case p.data != "":
		return wsFrame(websocket.TextMessage, append([]byte{p.typ}, p.data...))
	case p.typ == typePing:
		return s.srv.wirePing
	case p.typ == typePong:
		return s.srv.wirePong
	case p.typ == typeNoop:
		return s.srv.wireNoop
	}
	return nil
}

// writeWS writes one packet as a WebSocket message. Frames sent to several sessions go
// through their cached prepared message; control packets through the server's.
func (s *Session) writeWS(c *wsConn, p *outPacket) error {
	if f := p.frame; f != nil {
		if f.binary && s.proto == 3 && s.wsB64 {
			b := append([]byte{'b', typeMessage}, base64.StdEncoding.AppendEncode(nil, f.enc[1:])...)
			return c.WriteMessage(websocket.TextMessage, b)
		}
		typ, b, slot := f.wsMessage(int(s.proto))
		s.srv.compressNext(c, f, len(b))
		if f.shared() {
			if pm := f.prepared(slot, typ, b); pm != nil {
				return c.WritePreparedMessage(pm)
			}
		}
		return c.WriteMessage(typ, b)
	}
	s.srv.compressNext(c, nil, 0)
	var pm *websocket.PreparedMessage
	switch {
	case p.data != "":
	case p.typ == typePing:
		pm = s.srv.pmPing
	case p.typ == typePong:
		pm = s.srv.pmPong
	case p.typ == typeNoop:
		pm = s.srv.pmNoop
	}
	if pm != nil {
		return c.WritePreparedMessage(pm)
	}
	b := make([]byte, 0, 1+len(p.data))
	b = append(append(b, p.typ), p.data...)
	return c.WriteMessage(websocket.TextMessage, b)
}
