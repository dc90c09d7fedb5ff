package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"rtserver/socketio/internal/mapshrink"
	"rtserver/socketio/parser"
)

// Middleware runs, in registration order, for every connection attempt to a
// namespace, before the socket is connected. It sees the Handshake (auth payload,
// query, headers, cookies, remote address) through s.Handshake() and may store
// values on s. A *ConnectError refuses the connection with that message and data;
// any other error refuses it with "internal error" (the error is logged, never sent).
// For a handshake that asks for connection state recovery, s is still a fresh
// socket (its own id, Recovered false): the session is restored after the
// middleware, and only to its owner (RecoveryConfig.Owner).
type Middleware func(s *Socket) error

// Namespace is a Socket.IO namespace: its middleware, connection handlers, sockets
// and adapter. Its methods are safe for concurrent use.
type Namespace struct {
	srv     *Server
	name    string
	adapter Adapter
	ackIDs  atomic.Int64
	setup   sync.Once // dynamic namespaces: setup runs once before the first connect

	mu           sync.RWMutex
	sockets      map[string]*Socket
	socketsPeak  mapshrink.Peak // sockets is rebuilt after a burst
	child        bool           // made by a dynamic matcher (OfFunc): removed once empty
	connecting   int            // CONNECTs being handled (namespaceFor to release)
	removed      bool           // dropped from the server: a new CONNECT makes a new one
	middlewares  []Middleware
	onConnection []func(s *Socket)
	onServerEmit []ServerSideHandler
	events       atomic.Pointer[map[string]EventHandler] // Namespace.On; replaced, never modified
}

func newNamespace(srv *Server, name string) *Namespace {
	n := &Namespace{srv: srv, name: name, sockets: make(map[string]*Socket)}
	if srv.cfg.NewAdapter != nil {
		n.adapter = srv.cfg.NewAdapter(namespaceHost{n})
	}
	if n.adapter == nil {
		n.adapter = NewMemoryAdapter(namespaceHost{n})
	}
	return n
}

// Name returns the namespace name, e.g. "/" or "/admin".
func (n *Namespace) Name() string { return n.name }

// Server returns the namespace's server.
func (n *Namespace) Server() *Server { return n.srv }

// Adapter returns the namespace's adapter.
func (n *Namespace) Adapter() Adapter { return n.adapter }

func (n *Namespace) recovery() *RecoveryConfig { return n.srv.cfg.Recovery }

// nextAckID returns a namespace-wide ack id, shared by socket emits and broadcasts
// so that they never collide in a socket's ack table (as socket.io does).
func (n *Namespace) nextAckID() int64 {
	return n.ackIDs.Add(1) & parser.MaxID
}

// Use adds a connection middleware (see Middleware).
func (n *Namespace) Use(mw Middleware) {
	n.mu.Lock()
	n.middlewares = append(n.middlewares[:len(n.middlewares):len(n.middlewares)], mw)
	n.mu.Unlock()
}

// OnConnection registers fn to run for every socket that connects, after the
// CONNECT reply was queued; register event handlers on the socket there.
func (n *Namespace) OnConnection(fn func(s *Socket)) {
	n.mu.Lock()
	n.onConnection = append(n.onConnection[:len(n.onConnection):len(n.onConnection)], fn)
	n.mu.Unlock()
}

// ServerSideHandler handles an event another node of the cluster sent with
// ServerSideEmit or ServerSideEmitWithAck. ack is nil when the sender wants no
// answer; otherwise the first call answers for this node (later calls, here or in
// other handlers, return ErrAckSent).
type ServerSideHandler func(event string, args Args, ack Ack)

// OnServerSideEmit registers fn for events other nodes send with ServerSideEmit
// (io.on(event) for server-side events in socket.io). Handlers run in registration
// order, on the adapter's goroutine.
func (n *Namespace) OnServerSideEmit(fn ServerSideHandler) {
	n.mu.Lock()
	n.onServerEmit = append(n.onServerEmit[:len(n.onServerEmit):len(n.onServerEmit)], fn)
	n.mu.Unlock()
}

// callServerSide runs fn, recovering a panic.
func (n *Namespace) callServerSide(fn ServerSideHandler, event string, args Args, ack Ack) {
	defer func() {
		if v := recover(); v != nil {
			n.srv.log.Error("socketio: server-side handler panicked", "nsp", n.name, "event", event, "panic", v)
		}
	}()
	fn(event, args, ack)
}

// ServerSideEmit sends an event to the namespaces of the same name on the other
// nodes of a cluster (nothing to do with the memory adapter).
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	if parser.IsReservedEvent(event) {
		return ErrReservedEvent
	}
	a, err := argsOf(args)
	if err != nil {
		return err
	}
	return n.adapter.ServerSideEmit(event, a)
}

// Socket returns the local socket with id, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Sockets returns a snapshot of the namespace's local sockets.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// Len returns the number of local sockets.
func (n *Namespace) Len() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return len(n.sockets)
}

// lookup maps ids onto local sockets under one read lock.
func (n *Namespace) lookup(ids []string) []*Socket {
	out := make([]*Socket, 0, len(ids))
	n.mu.RLock()
	for _, id := range ids {
		if s := n.sockets[id]; s != nil {
			out = append(out, s)
		}
	}
	n.mu.RUnlock()
	return out
}

// add registers s; false when its id is taken (a recovered id still in use).
func (n *Namespace) add(s *Socket) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, taken := n.sockets[s.id]; taken {
		return false
	}
	n.sockets[s.id] = s
	n.socketsPeak.Grew(len(n.sockets))
	return true
}

func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	if n.sockets[s.id] == s {
		delete(n.sockets, s.id)
		n.sockets = mapshrink.Shrink(n.sockets, &n.socketsPeak, shrinkMinPeak)
	}
	drop := n.emptyLocked()
	n.mu.Unlock()
	if drop {
		n.srv.dropChild(n)
	}
}

// acquire counts a CONNECT being handled, so the namespace is not removed under it;
// false means it was removed already.
func (n *Namespace) acquire() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.removed {
		return false
	}
	n.connecting++
	return true
}

// release ends what acquire counted; a child namespace left empty (the CONNECT was
// refused) is removed.
func (n *Namespace) release() {
	n.mu.Lock()
	n.connecting--
	drop := n.emptyLocked()
	n.mu.Unlock()
	if drop {
		n.srv.dropChild(n)
	}
}

// emptyLocked reports whether n is a child namespace to remove now, and marks it
// removed; n.mu must be held. With recovery the removal waits
// MaxDisconnectionDuration, for the sockets that may come back.
func (n *Namespace) emptyLocked() bool {
	if !n.child || n.removed || n.srv.cfg.KeepEmptyChildNamespaces || n.connecting > 0 || len(n.sockets) > 0 {
		return false
	}
	if rc := n.recovery(); rc != nil {
		time.AfterFunc(rc.MaxDisconnectionDuration, n.removeIfEmpty)
		return false
	}
	n.removed = true
	return true
}

// removeIfEmpty removes n when it is still an empty child namespace.
func (n *Namespace) removeIfEmpty() {
	n.mu.Lock()
	drop := n.child && !n.removed && n.connecting == 0 && len(n.sockets) == 0
	n.removed = n.removed || drop
	n.mu.Unlock()
	if drop {
		n.srv.dropChild(n)
	}
}

// To returns a broadcast to the sockets in any of rooms.
func (n *Namespace) To(rooms ...string) *Operator { return newOperator(n).To(rooms...) }

// In is To.
func (n *Namespace) In(rooms ...string) *Operator { return n.To(rooms...) }

// Except returns a broadcast to every socket but those in rooms.
func (n *Namespace) Except(rooms ...string) *Operator { return newOperator(n).Except(rooms...) }

// Local returns a broadcast that stays on this node.
func (n *Namespace) Local() *Operator { return newOperator(n).Local() }

// Volatile returns a broadcast that skips recipients that cannot take it at once.
func (n *Namespace) Volatile() *Operator { return newOperator(n).Volatile() }

// Timeout returns a broadcast whose EmitWithAck waits at most d.
func (n *Namespace) Timeout(d time.Duration) *Operator { return newOperator(n).Timeout(d) }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	return newOperator(n).Emit(event, args...)
}

// EmitWithAck sends an event to every socket and collects their acknowledgements
// (see Operator.EmitWithAck).
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]AckResponse, error) {
	return newOperator(n).EmitWithAck(ctx, event, args...)
}

// FetchSockets returns every socket of the namespace, on every node.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return newOperator(n).FetchSockets(ctx)
}

// SocketsJoin makes every socket join rooms.
func (n *Namespace) SocketsJoin(rooms ...string) error { return newOperator(n).SocketsJoin(rooms...) }

// SocketsLeave makes every socket leave rooms.
func (n *Namespace) SocketsLeave(rooms ...string) error {
	return newOperator(n).SocketsLeave(rooms...)
}

// DisconnectSockets disconnects every socket (close: their whole connections).
func (n *Namespace) DisconnectSockets(close bool) error {
	return newOperator(n).DisconnectSockets(close)
}

// connect runs the connection of client c to this namespace, on c's read loop:
// middleware, the recovery decision, registration, the CONNECT reply, missed
// packets, then the OnConnection handlers.
func (n *Namespace) connect(c *client, hs *Handshake) {
	rc := n.recovery()
	var pid, offset string
	if rc != nil && !c.legacy {
		pid, offset = recoveryAuth(hs.Auth)
	}
	s := newSocket(n, c, hs)
	var restored *RestoredSession
	if pid != "" && rc.SkipMiddlewares {
		// Node's order: the pid alone restores, and the middleware is skipped.
		// Validate refuses an Owner here, so the session's owner is "".
		restored = n.restore(s, pid, offset, "")
	}
	if restored == nil {
		if err := n.runMiddlewares(s); err != nil {
			s.closing.Store(true)
			s.cancel()
			c.refuse(n.name, err)
			return
		}
		// Only now is it known who is asking, so only now may a session be taken
		// over; a handshake with no owner, or another one, stays a fresh socket.
		if pid != "" && !rc.SkipMiddlewares {
			if owner, ok := n.ownerOf(s); ok {
				restored = n.restore(s, pid, offset, owner)
			}
		}
	}
	if c.isClosed() || !n.add(s) {
		s.closing.Store(true)
		s.cancel()
		return
	}
	// Rooms joined by middleware, and restored ones, are added before the socket
	// counts as connected; joinMu keeps a concurrent Join from slipping between.
	s.joinMu.Lock()
	rooms := append([]string{s.id}, s.pending...)
	s.pending = nil
	if restored != nil {
		for _, r := range restored.Rooms {
			if r != s.id {
				rooms = append(rooms, r)
			}
		}
	}
	n.adapter.AddAll(s.id, rooms)
	if sa, ok := n.adapter.(SessionAdapter); ok && s.pid != "" {
		s.offset = sa.Offset()
	}
	s.connected.Store(true)
	s.joinMu.Unlock()
	c.add(s)
	if err := s.sendPacket(n.connectReply(s, c.legacy)); err != nil {
		s.onClose(ReasonTransportClose)
		return
	}
	if restored != nil {
		for _, m := range restored.Missed {
			_ = s.sendPacket(m.Packet)
		}
	}
	n.srv.stats.connects.Add(1)
	switch {
	case restored != nil:
		n.srv.stats.recovered.Add(1)
	case pid != "":
		n.srv.stats.recoveriesDenied.Add(1)
	}
	if s.debugEnabled() {
		s.Logger().Debug("socketio: socket connected", "recovered", s.recovered)
	}
	for _, o := range n.srv.observing() {
		o.SocketConnected(s)
	}
	n.mu.RLock()
	fns := n.onConnection
	n.mu.RUnlock()
	for _, fn := range fns {
		func() {
			defer s.recoverHandler("connection")
			fn(s)
		}()
	}
}

// ownerOf returns who s acts for (RecoveryConfig.Owner) and whether that may own a
// session: always without an Owner function, else only when it names someone. A
// panicking Owner names no one.
func (n *Namespace) ownerOf(s *Socket) (owner string, ok bool) {
	rc := n.recovery()
	if rc == nil || rc.Owner == nil {
		return "", true
	}
	defer func() {
		if v := recover(); v != nil {
			n.srv.log.Error("socketio: recovery Owner panicked", "nsp", n.name, "panic", v)
			owner, ok = "", false
		}
	}()
	owner = rc.Owner(s)
	return owner, owner != ""
}

// restore takes session pid over for s when the adapter keeps it for owner: s gets
// its id, pid and data, and the result holds the rooms RecoveryConfig.KeepRoom
// allows (the socket's own id room aside) and the missed packets addressed to
// everyone or to one of the rooms kept. Nil, and s unchanged, when nothing is
// restored.
func (n *Namespace) restore(s *Socket, pid, offset, owner string) *RestoredSession {
	sa, ok := n.adapter.(SessionAdapter)
	if !ok {
		return nil
	}
	rs, err := sa.RestoreSession(pid, offset, owner)
	if err != nil {
		n.srv.log.Warn("socketio: restore session", "nsp", n.name, "err", err)
	}
	if rs == nil || n.Socket(rs.SID) != nil {
		return nil
	}
	s.adopt(rs)
	keep := n.recovery().KeepRoom
	kept := map[string]struct{}{rs.SID: {}}
	rooms := make([]string, 0, len(rs.Rooms))
	for _, r := range rs.Rooms {
		if r == rs.SID || (keep != nil && !n.keepRoom(keep, s, r)) {
			continue
		}
		kept[r] = struct{}{}
		rooms = append(rooms, r)
	}
	missed := make([]MissedPacket, 0, len(rs.Missed))
	for _, m := range rs.Missed {
		if addressedTo(m.Opts, kept) {
			missed = append(missed, m)
		}
	}
	rs.Rooms, rs.Missed = rooms, missed
	return rs
}

// keepRoom asks keep about room; a panic refuses the room.
func (n *Namespace) keepRoom(keep func(*Socket, string) bool, s *Socket, room string) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			n.srv.log.Error("socketio: recovery KeepRoom panicked", "nsp", n.name, "panic", v)
			ok = false
		}
	}()
	return keep(s, room)
}

// addressedTo reports whether a broadcast with opts reaches a socket in rooms by
// its Rooms alone (every socket when it names none). Except was already applied
// by the adapter against the rooms the session had.
func addressedTo(opts BroadcastOptions, rooms map[string]struct{}) bool {
	if len(opts.Rooms) == 0 {
		return true
	}
	for _, r := range opts.Rooms {
		if _, ok := rooms[r]; ok {
			return true
		}
	}
	return false
}

// connectReply is the CONNECT packet that accepts s: {"sid"} (plus "pid" and
// "offset" with recovery) for v5, no payload for legacy v4.
func (n *Namespace) connectReply(s *Socket, legacy bool) *parser.Packet {
	p := &parser.Packet{Type: parser.Connect, Nsp: n.name, ID: parser.NoID}
	if legacy {
		return p
	}
	b := make([]byte, 0, 96)
	b = append(b, `{"sid":`...)
	b = parser.AppendString(b, s.id)
	if s.pid != "" {
		b = append(b, `,"pid":`...)
		b = parser.AppendString(b, s.pid)
		b = append(b, `,"offset":`...)
		b = parser.AppendString(b, s.offset)
	}
	p.Data = append(b, '}')
	return p
}

// runMiddlewares runs the connection middleware; a panic counts as an error.
func (n *Namespace) runMiddlewares(s *Socket) (err error) {
	n.mu.RLock()
	mws := n.middlewares
	n.mu.RUnlock()
	defer func() {
		if v := recover(); v != nil {
			n.srv.log.Error("socketio: middleware panicked", "nsp", n.name, "panic", v)
			err = errors.New("socketio: middleware panicked")
		}
	}()
	for _, mw := range mws {
		if err := mw(s); err != nil {
			return err
		}
	}
	return nil
}

// recoveryAuth extracts "pid" and "offset" from a CONNECT auth payload.
func recoveryAuth(auth []byte) (pid, offset string) {
	if len(auth) < 8 {
		return "", ""
	}
	var v struct {
		PID    any `json:"pid"`
		Offset any `json:"offset"`
	}
	if json.Unmarshal(auth, &v) != nil {
		return "", ""
	}
	pid, _ = v.PID.(string)
	offset, _ = v.Offset.(string)
	return pid, offset
}
