package engineio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/socketio/internal/mapshrink"
)

// Handler is told about every new session.
type Handler interface {
	// OnOpen runs once per new session, after the handshake (open packet) is queued and
	// before any message from the client is delivered. It returns the session's handler.
	OnOpen(s *Session) SessionHandler
}

// SessionHandler receives the events of one session.
type SessionHandler interface {
	// OnMessage gets each client message in order, never concurrently for one session
	// (one read loop per connection). data is owned by the callee (it may share a backing
	// array with other messages of the same polling payload, which the engine never
	// touches again). binary is true for a binary message.
	OnMessage(data []byte, binary bool)
	// OnClose runs exactly once, after the session is closed (no more OnMessage).
	OnClose(reason Reason)
}

// Timing constants that are not worth a Config field.
const (
	// noopDelay is how long a polling GET made after the probe was answered (the client
	// should be pausing polling) waits for packets before it is answered with a noop, so
	// a client that keeps polling does not spin; a concurrent `5` on the WebSocket
	// usually arrives first and refuses it.
	noopDelay = 100 * time.Millisecond
	// closeFlushTimeout bounds Session.Close: how long queued packets may take to reach
	// the client before the session is closed anyway.
	closeFlushTimeout = time.Second
	// closeWriteWait bounds the write of a WebSocket close frame.
	closeWriteWait = time.Second
	// lingerDuration keeps a polling session that the client closed with a POSTed `1`
	// long enough for a GET sent at the same time (but handled later) to get its noop.
	lingerDuration = 500 * time.Millisecond
	// wsReadBufferSize is small, as idle connections keep their read buffer, and over 256
	// so gorilla takes the reader upgradeWS hands it.
	wsReadBufferSize = 264
	// sessionsShrinkMinPeak is the peak from which the session table is rebuilt once
	// it empties to a quarter of it (see mapshrink).
	sessionsShrinkMinPeak = 1024
)

// Server is an Engine.IO server: an http.Handler that creates sessions and moves their
// packets over long-polling and WebSocket. Mount it at any path, e.g. /engine.io/.
type Server struct {
	cfg       Config
	handler   Handler
	log       *slog.Logger
	upgrader  websocket.Upgrader
	bufPool   sync.Pool // *[]byte scratch for payloads and WebSocket reads
	pmPing    *websocket.PreparedMessage
	pmPong    *websocket.PreparedMessage
	pmNoop    *websocket.PreparedMessage
	pmProbe   *websocket.PreparedMessage
	wirePing  []byte // the same control packets as whole WebSocket frames (rawConn)
	wirePong  []byte
	wireNoop  []byte
	epoch     time.Time
	writeWait time.Duration
	track     *tracker
	// sidPrefix is Config.SIDPrefix and its dot, or "".
	sidPrefix string
	live      atomic.Int64
	burst     burstTracker
	idle      idlePoller // waits for idle WebSockets to be readable

	mu       sync.RWMutex
	sessions map[string]*Session
	peak     mapshrink.Peak // sessions is rebuilt after a burst
	closing  bool
}

// NewServer returns a Server that reports sessions to h. Zero fields of cfg get their
// defaults; the result is validated.
func NewServer(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("engineio: nil Handler")
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &Server{
		cfg:       cfg,
		handler:   h,
		log:       log,
		epoch:     time.Now(),
		writeWait: cfg.PingInterval + cfg.PingTimeout,
		track:     newTracker(),
		sessions:  make(map[string]*Session),
	}
	srv.idle.srv = srv
	if cfg.SIDPrefix != "" {
		srv.sidPrefix = cfg.SIDPrefix + "."
	}
	srv.upgrader = websocket.Upgrader{
		HandshakeTimeout:  10 * time.Second,
		EnableCompression: cfg.PerMessageDeflate != nil,
		ReadBufferSize:    0, // ours, wsReadBufferSize, through upgradeWS
		WriteBufferPool:   &sync.Pool{},
		// Origin is checked by ServeHTTP (Config.CheckOrigin) before upgrading.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, _ error) {
			writeHTTPError(w, &HTTPError{Status: status, Code: CodeBadRequest, Message: "Bad request"})
		},
	}
	var err error
	prep := func(s string) *websocket.PreparedMessage {
		pm, e := websocket.NewPreparedMessage(websocket.TextMessage, []byte(s))
		if e != nil {
			err = e
		}
		return pm
	}
	srv.pmPing, srv.pmPong, srv.pmNoop, srv.pmProbe = prep("2"), prep("3"), prep("6"), prep("3probe")
	srv.wirePing = wsFrame(websocket.TextMessage, []byte("2"))
	srv.wirePong = wsFrame(websocket.TextMessage, []byte("3"))
	srv.wireNoop = wsFrame(websocket.TextMessage, []byte("6"))
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// now is the monotonic time since the server started, in nanoseconds.
func (srv *Server) now() int64 { return int64(time.Since(srv.epoch)) }

// Count returns the number of live sessions.
func (srv *Server) Count() int { return int(srv.live.Load()) }

// ServeHTTP handles every Engine.IO request: handshakes, polls, posts and WebSocket
// upgrades. Refusals are JSON {"code":N,"message":"..."} with status 400, 403 or 503; a
// polling POST over MaxPayload gets 413 with an empty body, as from Node's server.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery)
	if r.Method == http.MethodOptions {
		srv.preflight(w, r)
		return
	}
	isWS := q.transport == TransportWebSocket
	if !isWS {
		srv.setCORS(w, r)
	}
	if q.transport == "" || !srv.cfg.allows(q.transport) {
		srv.refuse(w, r, errUnknownTransport)
		return
	}
	proto := 0
	switch {
	case q.eio == "4":
		proto = 4
	case q.eio == "3" && srv.cfg.AllowEIO3:
		proto = 3
	default:
		srv.refuse(w, r, errBadVersion)
		return
	}
	if srv.cfg.CheckOrigin != nil && !srv.cfg.CheckOrigin(r) {
		srv.refuse(w, r, errForbidden)
		return
	}
	if q.jsonp || (isWS && !isWebSocketUpgrade(r)) {
		srv.refuse(w, r, errBadRequest)
		return
	}
	if q.sid == "" {
		srv.handshake(w, r, q, proto, isWS)
		return
	}
	s := srv.lookup(q.sid)
	if s == nil || s.expired() {
		srv.refuse(w, r, errUnknownSID)
		return
	}
	if int(s.proto) != proto {
		srv.refuse(w, r, errBadRequest)
		return
	}
	if !isWS {
		srv.addHeaders(w.Header(), r, false)
	}
	switch {
	case isWS:
		srv.upgrade(w, r, s, q)
	case r.Method == http.MethodGet:
		s.handleGet(w, r)
	case r.Method == http.MethodPost:
		s.handlePost(w, r)
	default:
		srv.refuse(w, r, errBadRequest)
	}
}

// refuse answers r with e and logs it. Of the query it logs only the
// protocol, the transport and the sid as LogID: the rest may carry
// credentials.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request, e *HTTPError) {
	if srv.log.Enabled(context.Background(), slog.LevelDebug) {
		q := parseQuery(r.URL.RawQuery)
		srv.log.Debug("engineio: request refused",
			"method", r.Method, "path", r.URL.Path, "eio", q.eio, "transport", q.transport, "sid", LogID(q.sid),
			"remote", r.RemoteAddr, "status", e.Status, "code", e.Code)
	}
	writeHTTPError(w, e)
}

// addHeaders runs Config.InitialHeaders (for a handshake) and Config.Headers on h.
func (srv *Server) addHeaders(h http.Header, r *http.Request, handshake bool) {
	if handshake && srv.cfg.InitialHeaders != nil {
		srv.cfg.InitialHeaders(h, r)
	}
	if srv.cfg.Headers != nil {
		srv.cfg.Headers(h, r)
	}
}

// wsHeaders returns the extra headers of a WebSocket upgrade response, or nil.
func (srv *Server) wsHeaders(r *http.Request, handshake bool) http.Header {
	if srv.cfg.Headers == nil && (!handshake || srv.cfg.InitialHeaders == nil) {
		return nil
	}
	h := http.Header{}
	srv.addHeaders(h, r, handshake)
	return h
}

// refuseTooLarge answers a polling POST over MaxPayload as Node's server does: 413 with
// an empty body and no Content-Type. engine.io-client passes a response body to the
// application as the error's context, so a JSON body would be the one thing a client
// sees differently.
func (srv *Server) refuseTooLarge(w http.ResponseWriter, r *http.Request) {
	if srv.log.Enabled(context.Background(), slog.LevelDebug) {
		srv.log.Debug("engineio: request refused",
			"method", r.Method, "path", r.URL.Path, "sid", LogID(r.URL.Query().Get("sid")),
			"remote", r.RemoteAddr, "status", http.StatusRequestEntityTooLarge)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
}

// handshake creates a session for a request without sid.
func (srv *Server) handshake(w http.ResponseWriter, r *http.Request, q query, proto int, isWS bool) {
	if r.Method != http.MethodGet {
		srv.refuse(w, r, errBadMethod)
		return
	}
	if srv.isClosing() {
		srv.refuse(w, r, errShuttingDown)
		return
	}
	if srv.cfg.AllowRequest != nil {
		if err := srv.cfg.AllowRequest(r); err != nil {
			var he *HTTPError
			if !errors.As(err, &he) {
				he = errForbidden
			}
			srv.refuse(w, r, he)
			return
		}
	}
	if !isWS {
		srv.addHeaders(w.Header(), r, true)
		s := srv.openSession(r, proto, q.b64, nil)
		if s == nil {
			srv.refuse(w, r, errShuttingDown)
			return
		}
		s.handleGet(w, r) // the handshake response carries the open packet
		return
	}
	c, err := srv.upgradeWS(w, r, srv.wsHeaders(r, true))
	if err != nil {
		return // the upgrader has answered
	}
	s := srv.openSession(r, proto, q.b64, c)
	if s == nil {
		_ = c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(closeWriteWait))
		_ = c.Close()
		return
	}
	srv.track.add()
	go s.readWS(c, false, false)
}

// openSession registers a new session, queues its open packet, starts its heartbeat and
// runs Handler.OnOpen. c is the WebSocket of a direct WebSocket handshake, or nil. It
// returns nil when the server is shutting down.
func (srv *Server) openSession(r *http.Request, proto int, b64 bool, c *wsConn) *Session {
	s := &Session{
		srv:   srv,
		id:    srv.sidPrefix + newSID(),
		proto: int8(proto),
		b64:   b64,
		req:   keepRequest(r),
	}
	upgrades := c == nil && !srv.cfg.DisableUpgrades && srv.cfg.allows(TransportWebSocket)
	open := string(appendOpen(make([]byte, 0, 128), s.id, upgrades, &srv.cfg, proto))

	srv.mu.Lock()
	if srv.closing {
		srv.mu.Unlock()
		return nil
	}
	srv.sessions[s.id] = s
	srv.peak.Grew(len(srv.sessions))
	srv.opened(srv.live.Add(1))
	srv.track.add() // released when OnClose has returned
	srv.mu.Unlock()

	s.recvMu.Lock() // no message is delivered before OnOpen returns
	s.mu.Lock()
	s.ws.Store(c)
	s.wsB64 = b64
	s.queue = append(s.queue, outPacket{typ: typeOpen, data: open})
	s.queueBytes = len(open) + 2
	if proto == 4 {
		s.timerKind, s.timerDue = timerPing, srv.now()+int64(srv.cfg.PingInterval)
		s.timer = time.AfterFunc(srv.cfg.PingInterval, s.onTimer)
	} else {
		d := srv.cfg.PingInterval + srv.cfg.PingTimeout
		s.timerKind, s.timerDue = timerV3, srv.now()+int64(d)
		s.timer = time.AfterFunc(d, s.onTimer)
	}
	s.kickLocked()
	s.mu.Unlock()
	if srv.log.Enabled(context.Background(), slog.LevelDebug) {
		transport := TransportPolling
		if c != nil {
			transport = TransportWebSocket
		}
		srv.log.Debug("engineio: session opened", "sid", LogID(s.id), "transport", transport,
			"protocol", proto, "remote", r.RemoteAddr)
	}
	s.handler = srv.handler.OnOpen(s)
	s.recvMu.Unlock()
	return s
}

// lookup returns the session with id sid, or nil.
func (srv *Server) lookup(sid string) *Session {
	srv.mu.RLock()
	s := srv.sessions[sid]
	srv.mu.RUnlock()
	return s
}

// remove drops s from the session table.
func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
		srv.sessions = mapshrink.Shrink(srv.sessions, &srv.peak, sessionsShrinkMinPeak)
	}
	srv.mu.Unlock()
}

func (srv *Server) isClosing() bool {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	return srv.closing
}

// Shutdown stops new handshakes (503 JSON), closes every session with
// ReasonServerShutdown after flushing its queued packets, and waits for the sessions'
// goroutines and OnClose calls. When ctx ends first it closes the remaining sessions at
// once and returns ctx.Err(). Call it before http.Server.Shutdown: hijacked WebSockets
// are not tracked by net/http.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	srv.closing = true
	list := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		list = append(list, s)
	}
	srv.mu.Unlock()
	for _, s := range list {
		s.Close(ReasonServerShutdown)
		s.dropLinger()
	}
	select {
	case <-srv.track.wait():
		return nil
	case <-ctx.Done():
	}
	for _, s := range list {
		s.destroy(ReasonServerShutdown, 0)
	}
	return ctx.Err()
}
