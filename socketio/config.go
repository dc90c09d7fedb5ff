package socketio

import (
	"errors"
	"log/slog"
	"time"

	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// Defaults of Config and RecoveryConfig, documented on their fields.
const (
	DefaultConnectTimeout           = 45 * time.Second
	DefaultMaxAttachments           = 10
	DefaultMaxDepth                 = 32
	DefaultMaxPendingAcks           = 1024
	DefaultMaxNamespacesPerClient   = 64
	DefaultAttachmentTimeout        = 10 * time.Second
	DefaultMaxDisconnectionDuration = 2 * time.Minute
	DefaultRecoveryMaxPackets       = 1000
	DefaultRecoveryMaxBytes         = 16 << 20
	DefaultRecoveryMaxSessions      = 100_000
)

// Config configures a Server. The zero value of every field means its documented
// default, so Config{} is a working server.
type Config struct {
	// Engine configures the Engine.IO layer (transports, heartbeat, payload limits,
	// Origin and CORS checks). Its own defaults apply to its zero fields.
	Engine engineio.Config
	// ConnectTimeout closes an Engine.IO session whose client has not connected to
	// any namespace by then, so idle handshakes cannot pile up. Default 45s (the
	// Node server's default).
	ConnectTimeout time.Duration
	// MaxAttachments bounds the binary attachments of one received packet.
	// Default 10.
	MaxAttachments int
	// MaxDepth bounds JSON nesting in received payloads, so hostile input cannot
	// exhaust the stack or CPU. Default 32.
	MaxDepth int
	// AttachmentTimeout bounds how long a BINARY_EVENT or BINARY_ACK may wait for
	// its binary frames before the session is closed. Default 10s.
	AttachmentTimeout time.Duration
	// MaxRoomsPerSocket bounds the rooms one socket may be in, its own id room
	// included; Join past it returns ErrTooManyRooms. Default 0: no cap.
	MaxRoomsPerSocket int
	// MaxPendingAcks bounds the acknowledgements one socket may be waiting for at
	// once (EmitWithAck and broadcasts with acks), so a client that never acks
	// cannot grow server memory. Default 1024.
	MaxPendingAcks int
	// MaxNamespacesPerClient bounds the namespaces one connection may join; a
	// CONNECT past it is refused. Default 64.
	MaxNamespacesPerClient int
	// Parser is the packet codec, as Node's `parser` option: every client must use
	// the same one (socketio/msgpackparser with socket.io-msgpack-parser, say).
	// It cannot be combined with Engine.AllowEIO3. Nil: parser.JSON, the default
	// format of every Socket.IO client.
	Parser parser.Codec
	// Recovery enables connection state recovery. Nil: off.
	Recovery *RecoveryConfig
	// KeepEmptyChildNamespaces keeps every dynamic namespace (OfFunc, OfRegexp) once
	// created. Default false: a dynamic namespace with no socket left is removed and
	// its adapter closed (Node's cleanupEmptyChildNamespaces, which Node leaves off),
	// so clients connecting to ever new names cannot grow server memory; the next
	// CONNECT to that name creates it again and runs the setup again. With Recovery,
	// an emptied namespace is kept MaxDisconnectionDuration longer, for its
	// disconnected sockets to come back.
	KeepEmptyChildNamespaces bool
	// NewAdapter makes the adapter of each namespace when the namespace is created,
	// e.g. redisadapter's Cluster.NewAdapter. Nil: NewMemoryAdapter.
	NewAdapter func(h AdapterHost) Adapter
	// Logger receives connection and rejection records (never auth payloads).
	// Nil discards.
	Logger *slog.Logger
}

// RecoveryConfig configures connection state recovery: a client whose transport
// dropped gets back its socket id, rooms, data and the broadcasts it missed when it
// reconnects within MaxDisconnectionDuration.
type RecoveryConfig struct {
	// MaxDisconnectionDuration is how long a disconnected socket's state and the
	// broadcasts are kept. Default 2m.
	MaxDisconnectionDuration time.Duration
	// SkipMiddlewares restores a session before, and instead of, the namespace
	// middleware, as Node does: the pid alone then proves the client. Default
	// false: the middleware runs first, on a socket that still has a fresh id, so
	// an expired or revoked credential cannot come back through recovery, and the
	// session is restored after it only when Owner agrees.
	SkipMiddlewares bool
	// MaxPackets bounds the broadcasts kept for replay per namespace. Default 1000.
	MaxPackets int
	// MaxBytes bounds the bytes of the broadcasts kept per namespace. Default 16 MiB.
	MaxBytes int
	// MaxSessions bounds the disconnected sessions kept per namespace; past it a
	// disconnected socket is not kept. Default 100000.
	MaxSessions int
	// Owner returns who socket s acts for, e.g. a user id plus a hash of the login
	// session: never a credential, as it is kept with the session. It runs when a
	// socket is persisted and, for a handshake that asks for recovery, after the
	// middleware (which establishes who the client is) and before anything is
	// restored. A session is restored only to a socket whose non-empty owner equals
	// the one it was persisted with; any other handshake gets a fresh socket (new
	// id and pid, no rooms, no missed packets, Recovered false) and the session stays
	// for its owner. A socket whose owner is "" is not persisted. Default nil: as in
	// Node, whoever presents the pid gets the session, which is only safe when
	// sockets act for nobody in particular. It cannot be set with SkipMiddlewares.
	Owner func(s *Socket) string
	// KeepRoom reports whether a socket being recovered may have room back. It runs
	// once per persisted room (the socket's own id room is always kept), after
	// Owner approved the takeover, with the socket carrying the restored id, so the
	// current rules apply rather than those in force when the room was joined.
	// Rooms it refuses are not restored, and missed broadcasts addressed only to
	// such rooms are not sent. Default nil: every room is restored.
	KeepRoom func(s *Socket, room string) bool
}

// withDefaults returns c with zero fields replaced by their defaults. The Engine
// config is left to engineio.NewServer.
func (c Config) withDefaults() Config {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxAttachments == 0 {
		c.MaxAttachments = DefaultMaxAttachments
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = DefaultMaxDepth
	}
	if c.AttachmentTimeout == 0 {
		c.AttachmentTimeout = DefaultAttachmentTimeout
	}
	if c.MaxPendingAcks == 0 {
		c.MaxPendingAcks = DefaultMaxPendingAcks
	}
	if c.MaxNamespacesPerClient == 0 {
		c.MaxNamespacesPerClient = DefaultMaxNamespacesPerClient
	}
	if c.Recovery != nil {
		r := *c.Recovery
		if r.MaxDisconnectionDuration == 0 {
			r.MaxDisconnectionDuration = DefaultMaxDisconnectionDuration
		}
		if r.MaxPackets == 0 {
			r.MaxPackets = DefaultRecoveryMaxPackets
		}
		if r.MaxBytes == 0 {
			r.MaxBytes = DefaultRecoveryMaxBytes
		}
		if r.MaxSessions == 0 {
			r.MaxSessions = DefaultRecoveryMaxSessions
		}
		c.Recovery = &r
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field of c, with defaults applied (so a zero
// duration is invalid here), so a server refuses to start on a bad value instead of
// running with a surprising one.
func (c Config) Validate() error {
	switch {
	case c.ConnectTimeout <= 0:
		return errors.New("socketio: ConnectTimeout must be positive")
	case c.MaxAttachments < 0 || c.MaxAttachments > parser.MaxAttachmentsLimit:
		return errors.New("socketio: MaxAttachments out of range")
	case c.MaxDepth < 0 || c.MaxDepth > parser.MaxDepthLimit:
		return errors.New("socketio: MaxDepth out of range")
	case c.AttachmentTimeout <= 0:
		return errors.New("socketio: AttachmentTimeout must be positive")
	case c.MaxRoomsPerSocket < 0:
		return errors.New("socketio: MaxRoomsPerSocket must not be negative")
	case c.MaxPendingAcks <= 0:
		return errors.New("socketio: MaxPendingAcks must be positive")
	case c.MaxNamespacesPerClient <= 0:
		return errors.New("socketio: MaxNamespacesPerClient must be positive")
	case c.Parser != nil && c.Engine.AllowEIO3:
		// Legacy clients speak protocol v4, whose parsers this server does not know.
		return errors.New("socketio: Parser cannot be set with Engine.AllowEIO3")
	}
	if r := c.Recovery; r != nil {
		switch {
		case r.MaxDisconnectionDuration <= 0:
			return errors.New("socketio: Recovery.MaxDisconnectionDuration must be positive")
		case r.MaxPackets <= 0 || r.MaxBytes <= 0 || r.MaxSessions <= 0:
			return errors.New("socketio: Recovery limits must be positive")
		case r.SkipMiddlewares && r.Owner != nil:
			// Owner reads what the middleware established; skipping it would
			// restore sessions before anyone could tell who is asking.
			return errors.New("socketio: Recovery.Owner cannot be set with SkipMiddlewares")
		}
	}
	return nil
}
