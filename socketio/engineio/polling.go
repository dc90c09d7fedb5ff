package engineio

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Shared header values (net/http only reads them).
var (
	hdrTextPlain   = []string{"text/plain; charset=UTF-8"}
	hdrOctetStream = []string{"application/octet-stream"}
	hdrTextHTML    = []string{"text/html"}
	hdrNoStore     = []string{"no-store"}
)

// pollReply is what a pending GET is told.
type pollReply struct {
	pkts   []outPacket // the response payload, when status is 0
	status int         // non-zero: refuse with 400 (the session moved to WebSocket)
}

// pollWaiter is a pending polling GET. Whoever unlinks it from Session.poll (under
// Session.mu) sends it its one reply.
type pollWaiter struct {
	ch chan pollReply
}

// reply delivers r without blocking (the channel has room for the one reply).
func (w *pollWaiter) reply(r pollReply) {
	select {
	case w.ch <- r:
	default:
	}
}

var noopPacket = []outPacket{{typ: typeNoop}}

// handleGet serves a polling GET: it answers at once with queued packets, or waits for
// some (a long poll) until a ping, a close or an upgrade ends the wait. Polling stays
// the transport until the upgrade completes: packets sent meanwhile go out on it, as
// from Node's server, so nothing waits for the WebSocket. Once the probe is answered
// the client pauses polling, so a poll still pending then is answered with a noop,
// and a poll made afterwards gets one after noopDelay.
func (s *Session) handleGet(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.lingering { // closed by a POSTed `1` handled before this concurrent GET
		s.lingering = false
		s.timer.Stop()
		s.mu.Unlock()
		s.srv.remove(s)
		s.writePayload(w, noopPacket)
		return
	}
	switch st := s.state.Load(); {
	case st == stateClosed:
		s.mu.Unlock()
		s.srv.refuse(w, r, errUnknownSID)
		return
	case s.ws.Load() != nil:
		s.mu.Unlock()
		s.srv.refuse(w, r, errBadRequest)
		return
	case s.poll != nil: // two polls at once: the first gets `1`, this one 400
		old := s.poll
		s.poll = nil
		old.reply(pollReply{pkts: []outPacket{{typ: typeClose}}})
		s.mu.Unlock()
		s.destroy(ReasonTransportError, 0)
		s.srv.refuse(w, r, errBadRequest)
		return
	case st == stateClosing && len(s.queue) > 0:
		// The queued packets go alone; the close packet comes with the next poll.
		// socket.io-client hands decoded packets to its sockets on the next tick but
		// acts on a close packet at once, so a DISCONNECT sharing a payload with the
		// close would reach the application as "transport close".
		pkts := s.takeQueueLocked()
		s.mu.Unlock()
		s.writePayload(w, pkts)
		return
	case st == stateClosing:
		reason := s.reason
		s.mu.Unlock()
		s.writePayload(w, []outPacket{{typ: typeClose}})
		s.destroy(reason, 0)
		return
	case len(s.queue) > 0:
		pkts := s.takeQueueLocked()
		s.mu.Unlock()
		s.writePayload(w, pkts)
		s.recycle(pkts)
		return
	}
	wt := &pollWaiter{ch: make(chan pollReply, 1)}
	s.poll = wt
	probed := s.probed
	s.mu.Unlock()

	var noop <-chan time.Time
	if probed {
		t := time.NewTimer(noopDelay)
		defer t.Stop()
		noop = t.C
	}
	select {
	case rep := <-wt.ch:
		s.answer(w, r, rep)
	case <-noop:
		if s.unlinkPoll(wt) {
			s.writePayload(w, noopPacket)
			return
		}
		s.answer(w, r, <-wt.ch)
	case <-r.Context().Done():
		if s.unlinkPoll(wt) { // the client gave up its poll: it is gone
			s.destroy(ReasonTransportClose, 0)
			return
		}
		s.answer(w, r, <-wt.ch)
	}
}

// unlinkPoll removes wt as the pending poll; false means another goroutine did so
// first and is sending wt its reply.
func (s *Session) unlinkPoll(wt *pollWaiter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poll != wt {
		return false
	}
	s.poll = nil
	return true
}

// answer writes a final poll reply.
func (s *Session) answer(w http.ResponseWriter, r *http.Request, rep pollReply) {
	if rep.status != 0 {
		s.srv.refuse(w, r, errBadRequest)
		return
	}
	s.writePayload(w, rep.pkts)
	if len(rep.pkts) > 1 {
		s.recycle(rep.pkts)
	}
}

// writePayload writes pkts as the 200 response of a poll.
func (s *Session) writePayload(w http.ResponseWriter, pkts []outPacket) {
	bp := s.srv.getBuf()
	b := (*bp)[:0]
	ct := hdrTextPlain
	if s.proto == 4 {
		b = appendPayloadV4(b, pkts)
	} else {
		var bin bool
		b, bin = appendPayloadV3(b, pkts, s.b64)
		if bin {
			ct = hdrOctetStream
		}
	}
	h := w.Header()
	h["Content-Type"] = ct
	h["Cache-Control"] = hdrNoStore
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	s.srv.putBuf(bp)
}

// errBodyTooLarge reports a POST body over MaxPayload.
var errBodyTooLarge = errors.New("engineio: body too large")

// handlePost serves a polling POST: it decodes the payload and delivers its packets in
// order. An over-size body is refused 413 with an empty body and closes the session; a
// malformed one closes it with ReasonParseError.
func (s *Session) handlePost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	onWS := s.ws.Load() != nil
	s.mu.Unlock()
	if onWS {
		s.srv.refuse(w, r, errBadRequest)
		return
	}
	body, err := readBody(r, s.srv.cfg.MaxPayload)
	switch {
	case errors.Is(err, errBodyTooLarge):
		s.destroy(ReasonPayloadTooLarge, 0)
		s.srv.refuseTooLarge(w, r)
		return
	case err != nil:
		s.destroy(ReasonTransportClose, 0)
		s.srv.refuse(w, r, errBadRequest)
		return
	}
	var arr [8]packet
	var pkts []packet
	switch {
	case s.proto == 4:
		pkts, err = decodePayloadV4(body, arr[:0])
	case len(body) > 0 && body[0] <= 1: // v3 binary form (text starts with a digit)
		pkts, err = decodePayloadV3Binary(body, arr[:0])
	default:
		pkts, err = decodePayloadV3Text(body, arr[:0])
	}
	if err != nil {
		s.destroy(ReasonParseError, 0)
		s.srv.refuse(w, r, errBadRequest)
		return
	}
	s.recvMu.Lock()
	for _, p := range pkts {
		if !s.handlePacketLocked(p) {
			break
		}
	}
	s.recvMu.Unlock()
	h := w.Header()
	h["Content-Type"] = hdrTextHTML
	h["Cache-Control"] = hdrNoStore
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// readBody reads a POST body of at most max bytes, with or without Content-Length.
// The returned slice is owned by the caller (messages delivered alias it).
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, errBodyTooLarge
	}
	if r.ContentLength >= 0 && r.ContentLength <= 64<<10 { // larger bodies grow as they arrive
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, errBodyTooLarge
	}
	return buf.Bytes(), nil
}

// getBuf returns a scratch buffer from the server's pool.
func (srv *Server) getBuf() *[]byte {
	if bp, ok := srv.bufPool.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 512)
	return &b
}

// putBuf returns a scratch buffer; very large ones are dropped so the pool stays small.
func (srv *Server) putBuf(bp *[]byte) {
	if cap(*bp) > 64<<10 {
		return
	}
	*bp = (*bp)[:0]
	srv.bufPool.Put(bp)
}
