package socketio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// Server is a Socket.IO server: an http.Handler (mount it at /socket.io/) holding
// namespaces. Its methods are safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	engine *engineio.Server
	codec  parser.Codec // nil: the JSON parser, called directly (see encodeFrames)

	mu       sync.RWMutex
	nsps     map[string]*Namespace
	dynamic  []dynamicNamespace
	main     *Namespace
	closing  atomic.Bool
	inflight atomic.Int64 // packets being handled, for Shutdown
	sessions atomic.Int64
	stats    counters
	obs      observers // Observe
}

type dynamicNamespace struct {
	match func(name string, hs *Handshake) bool
	setup func(n *Namespace)
}

// counters are the rejection and connection counters of Stats.
type counters struct {
	connects, refused, invalidNamespaces, connectTimeouts, protocolErrors atomic.Uint64
	packetsOut, deliveries, volatileDropped, slowConsumers                atomic.Uint64
	recovered, recoveriesDenied                                           atomic.Uint64
}

// Stats are counters for metrics: what the server accepted and what it refused.
type Stats struct {
	Sessions          int    // open Engine.IO sessions with a Socket.IO client
	Connects          uint64 // namespace connections accepted
	Refused           uint64 // namespace connections refused (middleware, invalid namespace, caps)
	InvalidNamespaces uint64 // CONNECTs to a namespace that does not exist
	ConnectTimeouts   uint64 // sessions closed for sending no CONNECT in time
	ProtocolErrors    uint64 // sessions closed for a malformed or out-of-order packet
	PacketsOut        uint64 // packets queued to clients (events, acks, connects, disconnects)
	Deliveries        uint64 // broadcast packets handed to a local recipient
	VolatileDropped   uint64 // volatile packets dropped for a client that could not take them at once
	SlowConsumers     uint64 // sessions closed because their write queue passed its cap
	// Recovered counts sockets whose session connection state recovery
	// restored; RecoveriesDenied those that asked for one (a pid in the
	// CONNECT) and got a fresh socket: unknown or expired session, another
	// owner (a takeover attempt, see RecoveryConfig.Owner), or missed
	// packets no longer kept.
	Recovered        uint64
	RecoveriesDenied uint64
}

// NewServer returns a Server with the main namespace "/" created. Zero fields of
// cfg get their defaults; an invalid value is an error.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, nsps: make(map[string]*Namespace), codec: cfg.Parser}
	ecfg := cfg.Engine
	if ecfg.Logger == nil {
		ecfg.Logger = cfg.Logger
	}
	eng, err := engineio.NewServer(ecfg, engineHandler{s})
	if err != nil {
		return nil, err
	}
	s.engine = eng
	s.main = s.Of("/")
	return s, nil
}

// now is the server's clock.
func (s *Server) now() time.Time { return time.Now() }

// ServeHTTP serves Engine.IO requests (polling and WebSocket). Once Shutdown has
// begun, handshakes are refused with 503 {"code":6,"message":"Server shutting down"}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() && r.URL.Query().Get("sid") == "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":6,"message":"Server shutting down"}`))
		return
	}
	s.engine.ServeHTTP(w, r)
}

// Engine returns the underlying Engine.IO server.
func (s *Server) Engine() *engineio.Server { return s.engine }

// engineHandler is the engineio.Handler of a Server, kept off Server's methods.
type engineHandler struct{ s *Server }

// OnOpen attaches a Socket.IO client to a new Engine.IO session.
func (h engineHandler) OnOpen(sess *engineio.Session) engineio.SessionHandler {
	h.s.sessions.Add(1)
	c := newClient(h.s, sess)
	c.start()
	return c
}

func (s *Server) sessionClosed() { s.sessions.Add(-1) }

// Of returns the namespace name, creating it on first use ("" and "admin" mean "/"
// and "/admin").
func (s *Server) Of(name string) *Namespace {
	name = normalizeNamespace(name)
	s.mu.RLock()
	n := s.nsps[name]
	s.mu.RUnlock()
	if n != nil {
		return n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n = s.nsps[name]; n == nil {
		n = newNamespace(s, name)
		s.nsps[name] = n
	}
	return n
}

// OfFunc declares dynamic namespaces: a CONNECT to a namespace that does not exist
// creates it when match accepts the name (and handshake), and setup runs once on
// the new namespace before its first connection. Matchers are tried in
// registration order. Once its last socket has left, such a namespace is removed
// and its adapter closed (unless Config.KeepEmptyChildNamespaces); a later CONNECT
// creates a new one and runs setup on it again, so setup must not rely on seeing
// each name once, and a *Namespace kept from an earlier setup may be gone.
func (s *Server) OfFunc(match func(name string, hs *Handshake) bool, setup func(n *Namespace)) {
	s.mu.Lock()
	s.dynamic = append(s.dynamic, dynamicNamespace{match: match, setup: setup})
	s.mu.Unlock()
}

// OfRegexp declares dynamic namespaces whose names match re (see OfFunc).
func (s *Server) OfRegexp(re *regexp.Regexp, setup func(n *Namespace)) {
	s.OfFunc(func(name string, _ *Handshake) bool { return re.MatchString(name) }, setup)
}

// namespaceFor returns the namespace for a CONNECT to name, creating a dynamic one
// when a matcher accepts it, or nil. The caller handles the CONNECT and then calls
// release on the namespace, which is not removed in between.
func (s *Server) namespaceFor(name string, hs *Handshake) *Namespace {
	s.mu.RLock()
	n := s.nsps[name]
	dyn := s.dynamic
	s.mu.RUnlock()
	if n != nil && n.acquire() {
		n.setup.Do(func() {}) // wait for a dynamic setup in progress
		return n
	}
	for _, d := range dyn {
		if !d.match(name, hs) {
			continue
		}
		s.mu.Lock()
		if n = s.nsps[name]; n == nil || !n.acquire() {
			n = newNamespace(s, name)
			n.child, n.connecting = true, 1
			s.nsps[name] = n
		}
		s.mu.Unlock()
		n.setup.Do(func() {
			if d.setup != nil {
				d.setup(n)
			}
		})
		return n
	}
	return nil
}

// dropChild removes the emptied child namespace n and closes its adapter
// (Config.KeepEmptyChildNamespaces). Once Shutdown has begun, Shutdown closes it.
func (s *Server) dropChild(n *Namespace) {
	s.mu.Lock()
	if s.nsps[n.name] == n {
		delete(s.nsps, n.name)
	}
	s.mu.Unlock()
	if s.closing.Load() {
		return
	}
	if err := n.adapter.Close(); err != nil {
		s.log.Warn("socketio: closing the adapter of an empty namespace", "nsp", n.name, "err", err)
	}
}

// Namespaces returns a snapshot of the namespaces.
func (s *Server) Namespaces() []*Namespace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Namespace, 0, len(s.nsps))
	for _, n := range s.nsps {
		out = append(out, n)
	}
	return out
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Sessions:          int(s.sessions.Load()),
		Connects:          s.stats.connects.Load(),
		Refused:           s.stats.refused.Load(),
		InvalidNamespaces: s.stats.invalidNamespaces.Load(),
		ConnectTimeouts:   s.stats.connectTimeouts.Load(),
		ProtocolErrors:    s.stats.protocolErrors.Load(),
		PacketsOut:        s.stats.packetsOut.Load(),
		Deliveries:        s.stats.deliveries.Load(),
		VolatileDropped:   s.stats.volatileDropped.Load(),
		SlowConsumers:     s.stats.slowConsumers.Load(),
		Recovered:         s.stats.recovered.Load(),
		RecoveriesDenied:  s.stats.recoveriesDenied.Load(),
	}
}

// Use adds a connection middleware to the main namespace.
func (s *Server) Use(mw Middleware) { s.main.Use(mw) }

// OnConnection registers a connection handler on the main namespace.
func (s *Server) OnConnection(fn func(s *Socket)) { s.main.OnConnection(fn) }

// To returns a broadcast to rooms of the main namespace (io.to in socket.io).
func (s *Server) To(rooms ...string) *Operator { return s.main.To(rooms...) }

// In is To.
func (s *Server) In(rooms ...string) *Operator { return s.main.In(rooms...) }

// Except returns a broadcast to the main namespace but rooms.
func (s *Server) Except(rooms ...string) *Operator { return s.main.Except(rooms...) }

// Local returns a broadcast to the main namespace that stays on this node.
func (s *Server) Local() *Operator { return s.main.Local() }

// Volatile returns a volatile broadcast to the main namespace.
func (s *Server) Volatile() *Operator { return s.main.Volatile() }

// Timeout returns a broadcast to the main namespace whose EmitWithAck waits at most d.
func (s *Server) Timeout(d time.Duration) *Operator { return s.main.Timeout(d) }

// EmitWithAck sends an event to every socket of the main namespace and collects
// the acknowledgements (see Operator.EmitWithAck).
func (s *Server) EmitWithAck(ctx context.Context, event string, args ...any) ([]AckResponse, error) {
	return s.main.EmitWithAck(ctx, event, args...)
}

// SocketsJoin makes every socket of the main namespace join rooms.
func (s *Server) SocketsJoin(rooms ...string) error { return s.main.SocketsJoin(rooms...) }

// SocketsLeave makes every socket of the main namespace leave rooms.
func (s *Server) SocketsLeave(rooms ...string) error { return s.main.SocketsLeave(rooms...) }

// Emit sends an event to every socket of the main namespace (io.emit).
func (s *Server) Emit(event string, args ...any) error { return s.main.Emit(event, args...) }

// FetchSockets returns the sockets of the main namespace.
func (s *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return s.main.FetchSockets(ctx)
}

// DisconnectSockets disconnects every socket of the main namespace.
func (s *Server) DisconnectSockets(close bool) error { return s.main.DisconnectSockets(close) }

// Shutdown stops the server: new handshakes are refused (503), packets being
// handled are given until ctx ends to finish (their acks are sent), then every
// Engine.IO session is closed after flushing its queue. Clients see a transport
// close and reconnect on their own (sockets get ReasonServerShuttingDown). It
// waits, bounded by ctx, for the sessions' goroutines, then closes the adapters.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return ErrShutdown
	}
	tick := time.NewTicker(5 * time.Millisecond)
	for s.inflight.Load() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	tick.Stop()
	err := s.engine.Shutdown(ctx)
	for _, n := range s.Namespaces() {
		if cerr := n.adapter.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return err
}
