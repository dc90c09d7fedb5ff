package socketio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// EventHandler handles one event received by a socket. args are the event's
// arguments (the name excluded); ack is nil when the client asked for no
// acknowledgement, otherwise calling it once sends the ACK.
type EventHandler func(s *Socket, args Args, ack Ack)

// AnyHandler handles every event received by a socket, before its EventHandler.
type AnyHandler func(s *Socket, event string, args Args, ack Ack)

// PacketMiddleware runs for every event received by a socket, in registration
// order, before any handler. A non-nil error drops the event (the middleware may
// answer through ack first, e.g. with a rate-limit error).
type PacketMiddleware func(s *Socket, event string, args Args, ack Ack) error

// Ack sends the acknowledgement of a received event. Arguments are encoded as for
// Socket.Emit. It may be called once, from any goroutine; a second call returns
// ErrAckSent.
type Ack func(args ...any) error

// Socket is one client's connection to one namespace. Its methods are safe for
// concurrent use (see the package documentation for where handlers run).
//
// The fields a broadcast reads for each recipient come first, in one cache line.
type Socket struct {
	nsp         *Namespace
	sess        *engineio.Session // client.sess
	client      *client
	connected   atomic.Bool
	hasOutgoing atomic.Bool // outgoing is not empty: broadcasts skip the lock otherwise
	closing     atomic.Bool

	id        string
	pid       string
	hs        *Handshake
	recovered bool
	offset    string                      // recovery offset at (re)connection
	log       atomic.Pointer[slog.Logger] // built on first use: see Logger

	ctx    context.Context
	cancel context.CancelFunc

	acks    *ackTable
	joinMu  sync.Mutex // serializes Join's cap check with the join
	pending []string   // rooms joined by middleware, before the socket connected

	mu            sync.RWMutex
	handlers      map[string][]*listener[EventHandler]
	anyHandlers   []*listener[AnyHandler]
	outgoing      []*listener[OutgoingHandler]
	middlewares   []PacketMiddleware
	onDisconnect  []func(reason DisconnectReason)
	onDisconnectg []func(reason DisconnectReason) // "disconnecting": rooms still joined
	data          any
	values        []keyValue // Set/Get: a handful per socket, where a map costs ~300 B
}

// newID returns a random base64url id of n bytes.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newSocket returns a fresh socket of n on c; connection state recovery may give it
// a persisted session's identity later (adopt), before it connects.
func newSocket(n *Namespace, c *client, hs *Handshake) *Socket {
	s := &Socket{
		nsp:    n,
		sess:   c.sess,
		client: c,
		hs:     hs,
		acks:   newAckTable(n.srv.cfg.MaxPendingAcks),
	}
	switch {
	case c.legacy:
		// socket.io-client 2.x derives the id itself from the engine id.
		s.id = c.sess.ID()
		if n.name != "/" {
			s.id = n.name + "#" + s.id
		}
	default:
		s.id = newID(15)
	}
	if n.recovery() != nil && !c.legacy {
		s.pid = newID(15)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// adopt gives s, not yet connected, the identity of restored session rs: its id,
// pid and Data (unless the middleware set Data itself, which is newer).
func (s *Socket) adopt(rs *RestoredSession) {
	s.id, s.pid, s.recovered = rs.SID, rs.PID, true
	s.mu.Lock()
	if s.data == nil {
		s.data = rs.Data
	}
	s.mu.Unlock()
	s.log.Store(nil) // a logger built by the middleware names the fresh id
}

// ID returns the socket id: random, or restored by connection state recovery. It
// is also the name of a room the socket is always in.
func (s *Socket) ID() string { return s.id }

// Namespace returns the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns the connection attempt's details (auth payload, query, headers).
func (s *Socket) Handshake() *Handshake { return s.hs }

// Context returns a context that is cancelled when the socket disconnects, for work
// that should stop with it.
func (s *Socket) Context() context.Context { return s.ctx }

// Connected reports whether the socket is connected.
func (s *Socket) Connected() bool { return s.connected.Load() }

// Recovered reports whether connection state recovery restored this socket's id,
// rooms and data. It is false while the middleware runs: a session is restored
// after it, and only to its owner (RecoveryConfig.Owner); a refused takeover leaves
// it false.
func (s *Socket) Recovered() bool { return s.recovered }

// Transport returns the current transport, "polling" or "websocket".
func (s *Socket) Transport() string { return s.client.sess.Transport() }

// Logger returns the server logger with the socket's namespace and LogID attached. It
// is built on first use, as most sockets never log.
func (s *Socket) Logger() *slog.Logger {
	if l := s.log.Load(); l != nil {
		return l
	}
	l := s.nsp.srv.log.With("nsp", s.nsp.name, "sid", s.LogID())
	if s.log.CompareAndSwap(nil, l) {
		return l
	}
	return s.log.Load()
}

// LogID returns the socket id as it may be written to a log (engineio.LogID): a legacy
// client's socket is named by its engine sid, which alone is the session.
func (s *Socket) LogID() string { return engineio.LogID(s.id) }

// debugEnabled reports whether debug records are wanted, so a socket that is not going
// to log does not build its Logger.
func (s *Socket) debugEnabled() bool {
	return s.nsp.srv.log.Enabled(context.Background(), slog.LevelDebug)
}

// SetData stores the application's value for this socket (e.g. verified claims).
// It is the value connection state recovery keeps.
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Data returns the value stored by SetData (nil when none).
func (s *Socket) Data() any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data
}

// Set stores val under key, like context values: use an unexported key type so
// packages do not collide. Values live as long as the socket (recovery does not
// keep them).
func (s *Socket) Set(key, val any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.values {
		if s.values[i].key == key {
			s.values[i].val = val
			return
		}
	}
	s.values = append(s.values, keyValue{key, val})
}

// Get returns the value stored under key by Set, or nil.
func (s *Socket) Get(key any) any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, kv := range s.values {
		if kv.key == key {
			return kv.val
		}
	}
	return nil
}

// keyValue is one value stored by Socket.Set.
type keyValue struct{ key, val any }

// Use adds a packet middleware (see PacketMiddleware).
func (s *Socket) Use(mw PacketMiddleware) {
	s.mu.Lock()
	s.middlewares = append(s.middlewares[:len(s.middlewares):len(s.middlewares)], mw)
	s.mu.Unlock()
}

// OnDisconnect registers fn to run once when the socket disconnects, with the
// reason (ReasonServerNamespaceDisconnect, ReasonTransportClose, ...). It runs after
// the socket left its rooms, on the goroutine that disconnected it. Registered after
// the disconnect, fn never runs.
func (s *Socket) OnDisconnect(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, fn)
	s.mu.Unlock()
}

// OnDisconnecting registers fn to run when the socket is about to disconnect, while
// it is still in its rooms (socket.io's "disconnecting" event).
func (s *Socket) OnDisconnecting(fn func(reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnectg = append(s.onDisconnectg, fn)
	s.mu.Unlock()
}

// Emit sends an event to this socket. Arguments: []byte becomes a binary
// attachment, json.RawMessage is sent as is (validated, compacted), Args are spliced
// byte for byte (attachments kept), anything else is json.Marshal'ed. It never
// blocks on the network; ErrDisconnected means the socket is gone.
func (s *Socket) Emit(event string, args ...any) error {
	return (&Emitter{s: s}).Emit(event, args...)
}

// EmitWithAck sends an event and waits for the client's acknowledgement, or until
// ctx ends (ErrAckTimeout wrapping the context's error) or the socket disconnects
// (ErrDisconnected). The ack arrives on this connection's read loop, so calling
// EmitWithAck from a handler of the same connection blocks that loop until ctx
// ends: use EmitWithAckFunc there, or a goroutine.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	return (&Emitter{s: s}).EmitWithAck(ctx, event, args...)
}

// EmitWithAckFunc sends an event and calls cb exactly once: with the client's
// acknowledgement (on the connection's read loop), or with an error when ctx ends
// or the socket disconnects. It does not block. The socket keeps at most
// Config.MaxPendingAcks callbacks (ErrTooManyAcks).
func (s *Socket) EmitWithAckFunc(ctx context.Context, event string, cb func(Args, error), args ...any) error {
	return (&Emitter{s: s}).EmitWithAckFunc(ctx, event, cb, args...)
}

// PendingAcks returns how many acknowledgements the socket waits for.
func (s *Socket) PendingAcks() int { return s.acks.len() }

// Join adds the socket to rooms. Past Config.MaxRoomsPerSocket it joins none of
// them and returns ErrTooManyRooms. Called from a connection middleware, the rooms
// are joined when the connection is accepted.
func (s *Socket) Join(rooms ...string) error {
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	if !s.connected.Load() {
		if s.closing.Load() {
			return ErrDisconnected
		}
		if max := s.nsp.srv.cfg.MaxRoomsPerSocket; max > 0 && 1+len(s.pending)+len(rooms) > max {
			return ErrTooManyRooms
		}
		s.pending = append(s.pending, rooms...)
		return nil
	}
	if max := s.nsp.srv.cfg.MaxRoomsPerSocket; max > 0 {
		current := s.nsp.adapter.SocketRooms(s.id)
		have := make(map[string]struct{}, len(current))
		for _, r := range current {
			have[r] = struct{}{}
		}
		n := len(have)
		for _, r := range rooms {
			if _, ok := have[r]; !ok {
				have[r] = struct{}{}
				n++
			}
		}
		if n > max {
			return ErrTooManyRooms
		}
	}
	s.nsp.adapter.AddAll(s.id, rooms)
	return nil
}

// Leave removes the socket from room. Leaving a room it is not in is no error.
func (s *Socket) Leave(room string) error {
	if !s.connected.Load() {
		return ErrDisconnected
	}
	s.nsp.adapter.Del(s.id, room)
	return nil
}

// Rooms returns the rooms the socket is in, its own id room included.
func (s *Socket) Rooms() []string { return s.nsp.adapter.SocketRooms(s.id) }

// In reports whether the socket is in room (not a broadcast: see To).
func (s *Socket) In(room string) bool {
	for _, r := range s.Rooms() {
		if r == room {
			return true
		}
	}
	return false
}

// To returns a broadcast to rooms that excludes this socket (socket.to(room) in
// socket.io).
func (s *Socket) To(rooms ...string) *Operator {
	return s.nsp.To(rooms...).Except(s.id)
}

// Broadcast returns a broadcast to every socket of the namespace but this one.
func (s *Socket) Broadcast() *Operator { return s.nsp.Except(s.id) }

// Disconnect disconnects the socket from its namespace: the client gets DISCONNECT
// (its reason: "io server disconnect", so it does not reconnect) and OnDisconnect
// handlers get ReasonServerNamespaceDisconnect. With close it disconnects every
// namespace of the connection and closes the connection after sending. When the
// connection is left with no namespace it is closed shortly after.
func (s *Socket) Disconnect(close bool) {
	if close {
		s.client.disconnectAll()
		return
	}
	if !s.connected.Load() {
		return
	}
	_ = s.sendPacket(&parser.Packet{Type: parser.Disconnect, Nsp: s.nsp.name, ID: parser.NoID})
	s.client.markLeft(s.nsp.name)
	s.onClose(ReasonServerNamespaceDisconnect)
	s.client.afterServerDisconnect()
}

// sendPacket encodes p and queues it.
func (s *Socket) sendPacket(p *parser.Packet) error {
	return s.sendFrames(s.nsp.srv.encodeFrames(p, true), false)
}

// sendFrames queues frames on the connection. volatile drops them when the
// transport cannot take them at once.
func (s *Socket) sendFrames(frames []*engineio.Frame, volatile bool) error {
	if !s.connected.Load() {
		return ErrDisconnected
	}
	return sendOn(s.nsp.srv, s.sess, frames, volatile)
}

// onEvent dispatches a received EVENT or BINARY_EVENT; it runs on the read loop.
func (s *Socket) onEvent(p *parser.Packet) {
	name, args, err := splitEvent(p, s.nsp.srv.cfg.MaxDepth)
	if err != nil {
		s.client.fail("invalid event", err)
		return
	}
	var ack Ack
	if p.HasID() {
		ack = s.makeAck(p.ID)
	}
	s.dispatch(name, args, ack)
}

// recoverHandler keeps a panicking handler from taking the server down: the panic
// is logged and the connection goes on.
func (s *Socket) recoverHandler(what string) {
	if v := recover(); v != nil {
		s.Logger().Error("socketio: handler panicked", "event", what, "panic", v)
	}
}

// onAck delivers a received ACK or BINARY_ACK; unknown ids are ignored.
func (s *Socket) onAck(p *parser.Packet) {
	args, err := ParseArgs(p.Data, p.Attachments, s.nsp.srv.cfg.MaxDepth)
	if err != nil {
		s.client.fail("invalid ack", err)
		return
	}
	s.acks.resolve(p.ID, args)
}

// makeAck returns the Ack of a received event with ack id id.
func (s *Socket) makeAck(id int64) Ack {
	var sent atomic.Bool
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return ErrAckSent
		}
		p, err := ackPacket(s.nsp.name, id, args)
		if err != nil {
			sent.Store(false)
			return err
		}
		return s.sendPacket(p)
	}
}

// onClose ends the socket once: disconnecting handlers, recovery persistence, room
// removal, pending acks failed, context cancelled, disconnect handlers.
func (s *Socket) onClose(reason DisconnectReason) {
	if !s.connected.CompareAndSwap(true, false) {
		return
	}
	s.closing.Store(true)
	s.mu.RLock()
	disconnecting := s.onDisconnectg
	s.mu.RUnlock()
	for _, fn := range disconnecting {
		s.safeCall(fn, reason)
	}
	if sa, ok := s.nsp.adapter.(SessionAdapter); ok && s.pid != "" && reason.recoverable() {
		if owner, ok := s.nsp.ownerOf(s); ok {
			sa.PersistSession(PersistedSession{
				SID: s.id, PID: s.pid, Rooms: s.Rooms(), Data: s.Data(),
				Offset: s.offset, DisconnectedAt: s.nsp.srv.now(), Owner: owner,
			})
		}
	}
	for _, o := range s.nsp.srv.observing() {
		o.SocketDisconnected(s, reason)
	}
	s.nsp.adapter.DelAll(s.id)
	s.nsp.remove(s)
	s.client.remove(s)
	s.acks.close(ErrDisconnected)
	s.cancel()
	s.mu.Lock()
	handlers := s.onDisconnect
	s.onDisconnect, s.onDisconnectg = nil, nil
	s.mu.Unlock()
	for _, fn := range handlers {
		s.safeCall(fn, reason)
	}
	if s.debugEnabled() {
		s.Logger().Debug("socketio: socket disconnected", "reason", reason)
	}
}

func (s *Socket) safeCall(fn func(DisconnectReason), reason DisconnectReason) {
	defer s.recoverHandler("disconnect")
	fn(reason)
}

// errDisconnected maps engine send errors onto ErrDisconnected.
func errDisconnected(err error) error {
	if errors.Is(err, engineio.ErrClosed) || errors.Is(err, engineio.ErrQueueFull) {
		return ErrDisconnected
	}
	return err
}
