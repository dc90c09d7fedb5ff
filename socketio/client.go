package socketio

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// idleCloseDelay is how long a connection left without namespaces by server-side
// disconnects stays open: the client normally closes it itself on DISCONNECT.
const idleCloseDelay = 2 * time.Second

// client is the Socket.IO side of one Engine.IO session: it decodes packets on the
// session's read loop (engineio.SessionHandler) and routes them to its sockets, one
// per connected namespace.
type client struct {
	srv    *Server
	sess   *engineio.Session
	dec    parser.PacketDecoder
	legacy bool // Engine.IO 3: Socket.IO protocol v4 (socket.io-client 2.x)
	log    *slog.Logger

	mu          sync.Mutex
	sockets     []*Socket       // one per connected namespace (a slice: usually one, never over MaxNamespacesPerClient)
	left        map[string]bool // namespaces the server disconnected (late events are ignored)
	connected   bool            // a namespace connection succeeded once
	closed      bool
	timer       *time.Timer // connect timeout, then idle close
	attachTimer *time.Timer
	attachGen   uint64
}

func newClient(srv *Server, sess *engineio.Session) *client {
	legacy := sess.Protocol() == 3
	return &client{
		srv:    srv,
		sess:   sess,
		legacy: legacy,
		log:    srv.log,
		dec: srv.newDecoder(parser.DecoderConfig{
			MaxAttachments: srv.cfg.MaxAttachments,
			MaxDepth:       srv.cfg.MaxDepth,
			Legacy:         legacy,
		}),
	}
}

// start runs in Handler.OnOpen: legacy clients are connected to "/" at once (the
// v4 protocol's implicit connection); v5 clients get the connect timeout.
func (c *client) start() {
	for _, o := range c.srv.observing() {
		o.SessionOpened()
	}
	if c.legacy {
		c.connectNamespace("/", nil, "")
		return
	}
	c.mu.Lock()
	c.timer = time.AfterFunc(c.srv.cfg.ConnectTimeout, c.onConnectTimeout)
	c.mu.Unlock()
}

func (c *client) onConnectTimeout() {
	c.mu.Lock()
	fire := !c.connected && !c.closed
	c.mu.Unlock()
	if fire {
		c.srv.stats.connectTimeouts.Add(1)
		c.log.Debug("socketio: no CONNECT in time", "session", engineio.LogID(c.sess.ID()))
		c.sess.Close(engineio.ReasonForcedClose)
	}
}

// OnMessage implements engineio.SessionHandler; it runs on the read loop.
func (c *client) OnMessage(data []byte, binary bool) {
	if c.isClosed() {
		return
	}
	p, err := c.dec.Add(data, binary)
	if err != nil {
		c.fail("decode", err)
		return
	}
	if p == nil {
		c.armAttachTimer()
		return
	}
	if p.Type.Binary() {
		c.stopAttachTimer()
	}
	c.srv.inflight.Add(1)
	defer c.srv.inflight.Add(-1)
	// Once Shutdown has begun, no new work starts: events and connects are
	// dropped unanswered (the client sends them again after reconnecting
	// elsewhere), so the wait for packets in flight ends even under steady
	// traffic. Acks from clients still complete the server's EmitWithAck.
	// The counter is raised before the check, so Shutdown either sees this
	// packet in flight or this packet sees closing.
	if c.srv.closing.Load() && (p.Type == parser.Connect || p.Type == parser.Event || p.Type == parser.BinaryEvent) {
		return
	}
	c.handle(p)
}

// armAttachTimer bounds the wait for a binary packet's attachments.
func (c *client) armAttachTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attachTimer != nil || c.closed {
		return
	}
	gen := c.attachGen
	c.attachTimer = time.AfterFunc(c.srv.cfg.AttachmentTimeout, func() {
		c.mu.Lock()
		late := c.attachGen == gen && c.attachTimer != nil
		c.mu.Unlock()
		if late {
			c.fail("attachments timeout", errors.New("socketio: binary attachments did not arrive in time"))
		}
	})
}

func (c *client) stopAttachTimer() {
	c.mu.Lock()
	if c.attachTimer != nil {
		c.attachTimer.Stop()
		c.attachTimer = nil
		c.attachGen++
	}
	c.mu.Unlock()
}

// handle routes one decoded packet.
func (c *client) handle(p *parser.Packet) {
	switch p.Type {
	case parser.Connect:
		if c.socket(p.Nsp) != nil {
			c.fail("duplicate connect", errors.New("socketio: second CONNECT to "+p.Nsp))
			return
		}
		c.connectNamespace(p.Nsp, p.Data, p.Query)
	case parser.Disconnect:
		if s := c.socket(p.Nsp); s != nil {
			s.onClose(ReasonClientNamespaceDisconnect)
		}
	case parser.Event, parser.BinaryEvent:
		s := c.socket(p.Nsp)
		if s == nil && c.wasLeft(p.Nsp) {
			return // sent before the client saw our DISCONNECT
		}
		if s == nil {
			c.fail("event before connect", errors.New("socketio: EVENT for unconnected namespace "+p.Nsp))
			return
		}
		s.onEvent(p)
	case parser.Ack, parser.BinaryAck:
		if s := c.socket(p.Nsp); s != nil {
			s.onAck(p)
		}
	default: // CONNECT_ERROR is server-to-client only
		c.fail("unexpected packet", errors.New("socketio: unexpected "+p.Type.String()))
	}
}

// connectNamespace handles a CONNECT to nsp with auth payload auth (nil: none) and
// the legacy namespace query.
func (c *client) connectNamespace(nsp string, auth []byte, query string) {
	hs := newHandshake(c.sess.Request(), auth, query, c.protocol())
	c.mu.Lock()
	full := len(c.sockets) >= c.srv.cfg.MaxNamespacesPerClient
	c.mu.Unlock()
	if full {
		c.refuse(nsp, &ConnectError{Message: "too many namespaces"})
		return
	}
	n := c.srv.namespaceFor(nsp, hs)
	if n == nil {
		c.srv.stats.invalidNamespaces.Add(1)
		c.refuse(nsp, &ConnectError{Message: invalidNamespaceMessage})
		return
	}
	n.connect(c, hs)
	n.release()
}

func (c *client) protocol() int {
	if c.legacy {
		return 4
	}
	return 5
}

// refuse sends CONNECT_ERROR for nsp. Errors other than *ConnectError are logged
// and sent as "internal error".
func (c *client) refuse(nsp string, err error) {
	var ce *ConnectError
	if !errors.As(err, &ce) {
		c.log.Error("socketio: connection middleware failed", "nsp", nsp, "err", err)
		ce = &ConnectError{Message: internalErrorMessage}
	}
	c.srv.stats.refused.Add(1)
	p := &parser.Packet{Type: parser.ConnectError, Nsp: nsp, ID: parser.NoID, Data: ce.appendPayload(nil, c.legacy)}
	_ = c.send(c.srv.encodeFrames(p, true), false)
}

// fail closes the session because the client broke the protocol.
func (c *client) fail(what string, err error) {
	c.srv.stats.protocolErrors.Add(1)
	c.log.Debug("socketio: closing session", "session", engineio.LogID(c.sess.ID()), "cause", what, "err", err,
		"code", parser.ErrorCode(err))
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.sess.Close(engineio.ReasonParseError)
}

// send queues frames on the session.
func (c *client) send(frames []*engineio.Frame, volatile bool) error {
	return sendOn(c.srv, c.sess, frames, volatile)
}

// sendOn queues frames on sess (Socket.sendFrames calls it without reading the client);
// a volatile packet is dropped when the session has unsent data.
func sendOn(srv *Server, sess *engineio.Session, frames []*engineio.Frame, volatile bool) error {
	srv.stats.packetsOut.Add(1)
	if volatile {
		if !sess.SendVolatile(frames...) { // dropped, as volatile packets may be
			srv.stats.volatileDropped.Add(1)
		}
		return nil
	}
	return errDisconnected(sess.Send(frames...))
}

func (c *client) socket(nsp string) *Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.indexLocked(nsp); i >= 0 {
		return c.sockets[i]
	}
	return nil
}

// indexLocked returns the index in c.sockets of the socket of nsp, or -1.
func (c *client) indexLocked(nsp string) int {
	for i, s := range c.sockets {
		if s.nsp.name == nsp {
			return i
		}
	}
	return -1
}

// wasLeft reports whether the server disconnected the client's socket of nsp.
func (c *client) wasLeft(nsp string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left[nsp]
}

// markLeft records a server-side disconnect of nsp; bounded by the namespaces the
// client connected to.
func (c *client) markLeft(nsp string) {
	c.mu.Lock()
	if c.left == nil {
		c.left = make(map[string]bool)
	}
	c.left[nsp] = true
	c.mu.Unlock()
}

func (c *client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// add records a connected socket and ends the connect timeout.
func (c *client) add(s *Socket) {
	c.mu.Lock()
	if i := c.indexLocked(s.nsp.name); i >= 0 {
		c.sockets[i] = s
	} else {
		c.sockets = append(c.sockets, s)
	}
	delete(c.left, s.nsp.name)
	c.connected = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
}

func (c *client) remove(s *Socket) {
	c.mu.Lock()
	if i := c.indexLocked(s.nsp.name); i >= 0 && c.sockets[i] == s {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}

// afterServerDisconnect closes the session soon when a server-side disconnect left
// it without namespaces (the client closes it itself; this bounds a client that
// does not).
func (c *client) afterServerDisconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sockets) > 0 || c.closed || c.timer != nil {
		return
	}
	c.timer = time.AfterFunc(idleCloseDelay, func() {
		c.mu.Lock()
		idle := len(c.sockets) == 0 && !c.closed
		c.timer = nil
		c.mu.Unlock()
		if idle {
			c.sess.Close(engineio.ReasonForcedClose)
		}
	})
}

// disconnectAll disconnects every socket of the connection (each client socket
// gets DISCONNECT) and closes the session after the queued packets are written.
func (c *client) disconnectAll() {
	c.mu.Lock()
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	// DISCONNECT packets go out in connection order, as Node sends them (its
	// client keeps sockets in a Map), not in random map order.
	slices.SortFunc(socks, func(a, b *Socket) int {
		if d := a.hs.Time.Compare(b.hs.Time); d != 0 {
			return d
		}
		return strings.Compare(a.nsp.name, b.nsp.name)
	})
	for _, s := range socks {
		if s.connected.Load() {
			_ = s.sendPacket(&parser.Packet{Type: parser.Disconnect, Nsp: s.nsp.name, ID: parser.NoID})
			s.onClose(ReasonServerNamespaceDisconnect)
		}
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.sess.Close(engineio.ReasonForcedClose)
}

// OnClose implements engineio.SessionHandler: every socket disconnects with the
// session's reason.
func (c *client) OnClose(reason engineio.Reason) {
	c.mu.Lock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.attachTimer != nil {
		c.attachTimer.Stop()
		c.attachTimer = nil
	}
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	if reason == engineio.ReasonSlowConsumer {
		c.srv.stats.slowConsumers.Add(1)
		c.log.Warn("socketio: slow consumer disconnected: write queue over its cap", "session", engineio.LogID(c.sess.ID()), "sockets", len(socks))
	}
	r := reasonOf(reason)
	for _, s := range socks {
		s.onClose(r)
	}
	c.srv.sessionClosed()
	for _, o := range c.srv.observing() {
		o.SessionClosed(r)
	}
}

// OnUpgrade implements engineio.UpgradeHandler: observers learn the new transport
// of each socket of the connection.
func (c *client) OnUpgrade() {
	obs := c.srv.observing()
	if len(obs) == 0 {
		return
	}
	c.mu.Lock()
	socks := slices.Clone(c.sockets)
	c.mu.Unlock()
	for _, o := range obs {
		for _, s := range socks {
			o.TransportUpgraded(s)
		}
	}
}
