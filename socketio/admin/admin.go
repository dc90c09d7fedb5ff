// Package admin is the server half of the Socket.IO Admin UI protocol
// (@socket.io/admin-ui 0.5.x): a namespace the UI connects to, the server
// statistics it charts, in development mode every socket, room and event as they
// happen, and the UI's commands (emit, join, leave, _disconnect).
//
// Instrument attaches it to a socketio.Server, as Node's instrument(io, opts)
// does. With a cluster adapter (socketio/redisadapter) the admin namespace's
// broadcasts reach the UI sockets of every node, so the UI sees every node's
// statistics and events; all_sockets and the commands go through the adapter
// (FetchSockets, SocketsJoin, DisconnectSockets) and reach every node too.
//
// The UI authenticates in the CONNECT auth payload, with {username, password}
// or with {sessionId} from the `session` event of an earlier connection;
// Config.Authenticate decides. Everything runs on the server's goroutines
// (observer callbacks) plus one stats ticker; Admin is safe for concurrent use.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"rtserver/socketio"
)

// Mode selects how much the server tells the UI.
type Mode string

const (
	// Development sends every socket, room and event (all_sockets,
	// socket_connected, event_received...), as Node's default mode.
	Development Mode = "development"
	// Production sends the statistics only (server_stats with aggregated
	// events), so instrumentation costs little on a busy server.
	Production Mode = "production"
)

// DefaultNamespace is the namespace of Node's instrument().
const DefaultNamespace = "/admin"

// DefaultStatsInterval is how often server_stats is sent, as in Node.
const DefaultStatsInterval = 2 * time.Second

// Credentials is what the UI sent in its CONNECT auth payload: a username and
// password from its connection form, or the session id of an earlier connection.
type Credentials struct {
	Username  string
	Password  string
	SessionID string
}

// Authenticator decides whether socket s, a UI connecting with c, may
// administer the server. On success it returns the session id the UI should
// present when it reconnects ("" when none: the UI then keeps the one it has);
// it is sent in the `session` event. A *socketio.ConnectError is sent to the UI
// as is; any other error refuses with "invalid credentials".
type Authenticator func(s *socketio.Socket, c Credentials) (sessionID string, err error)

// Config configures Instrument. Zero fields take their documented defaults.
type Config struct {
	// Namespace is the namespace the UI connects to. Default "/admin".
	Namespace string
	// Mode is Development (default) or Production.
	Mode Mode
	// ReadOnly drops the UI's commands (emit, join, leave, _disconnect); the UI
	// greys them out. Default false.
	ReadOnly bool
	// ServerID names this node in the UI. Default: the hostname; give every node
	// of a cluster on one machine its own.
	ServerID string
	// Authenticate checks every UI connection. Required unless NoAuth.
	Authenticate Authenticator
	// NoAuth lets anyone who reaches the namespace administer the server (Node's
	// auth: false). Default false.
	NoAuth bool
	// StatsInterval is the period of server_stats. Default 2s.
	StatsInterval time.Duration
	// RedactQuery names query parameters whose values are replaced by
	// "[redacted]" in the handshakes shown to the UI (e.g. "token"). The auth
	// payload and the Cookie and Authorization headers are never shown.
	RedactQuery []string
	// Logger receives refused connections and malformed commands. Nil discards.
	Logger *slog.Logger
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

// Admin is an instrumented server. Close stops it.
type Admin struct {
	srv     *socketio.Server
	nsp     *socketio.Namespace
	cfg     Config
	log     *slog.Logger
	start   time.Time
	host    string
	events  *eventBuffer
	stopObs func()
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// Instrument serves the admin UI protocol on srv: it creates the namespace,
// observes every namespace and starts the stats ticker.
func Instrument(srv *socketio.Server, cfg Config) (*Admin, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = Development
	case Development, Production:
	default:
		return nil, errors.New("admin: Mode must be development or production")
	}
	if cfg.Authenticate == nil && !cfg.NoAuth {
		return nil, errors.New("admin: Authenticate is required (or NoAuth)")
	}
	if cfg.StatsInterval == 0 {
		cfg.StatsInterval = DefaultStatsInterval
	}
	if cfg.StatsInterval < 0 {
		return nil, errors.New("admin: StatsInterval must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, _ := os.Hostname()
	if cfg.ServerID == "" {
		cfg.ServerID = host
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Admin{
		srv: srv, cfg: cfg, log: log.With("nsp", cfg.Namespace), start: cfg.Now(), host: host,
		events: newEventBuffer(), done: make(chan struct{}),
	}
	a.nsp = srv.Of(cfg.Namespace)
	a.nsp.Use(a.authenticate)
	a.nsp.OnConnection(a.onConnection)
	a.stopObs = srv.Observe(&observer{a: a})
	a.wg.Add(1)
	go a.statsLoop()
	return a, nil
}

// Namespace returns the admin namespace.
func (a *Admin) Namespace() *socketio.Namespace { return a.nsp }

// Close stops the stats ticker and the observation; connected UIs stay
// connected but hear nothing more.
func (a *Admin) Close() {
	a.once.Do(func() {
		a.stopObs()
		close(a.done)
	})
	a.wg.Wait()
}

// errRefused is the refusal of bad credentials, Node's message.
var errRefused = &socketio.ConnectError{Message: "invalid credentials"}

type sessionKey struct{}

func (a *Admin) authenticate(s *socketio.Socket) error {
	if a.cfg.NoAuth {
		return nil
	}
	var c struct {
		Username  any `json:"username"`
		Password  any `json:"password"`
		SessionID any `json:"sessionId"`
	}
	if err := json.Unmarshal(s.Handshake().Auth, &c); err != nil {
		return errRefused
	}
	str := func(v any) string { x, _ := v.(string); return x }
	creds := Credentials{Username: str(c.Username), Password: str(c.Password), SessionID: str(c.SessionID)}
	if creds.SessionID == "" && (creds.Username == "" || creds.Password == "") {
		return errRefused
	}
	sid, err := a.cfg.Authenticate(s, creds)
	if err != nil {
		var ce *socketio.ConnectError
		if errors.As(err, &ce) {
			return ce
		}
		a.log.Debug("admin: UI connection refused", "err", err)
		return errRefused
	}
	if sid != "" {
		s.Set(sessionKey{}, sid)
	}
	return nil
}

func (a *Admin) features() []string {
	f := []string{"EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS"}
	if a.cfg.ReadOnly {
		f = []string{"AGGREGATED_EVENTS"}
	}
	if a.cfg.Mode == Development {
		f = append(f, "ALL_EVENTS")
	}
	return f
}

func (a *Admin) onConnection(s *socketio.Socket) {
	if sid, ok := s.Get(sessionKey{}).(string); ok {
		_ = s.Emit("session", sid)
	}
	_ = s.Emit("config", map[string]any{"supportedFeatures": a.features()})
	if a.cfg.Mode == Development {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.sendAllSockets(s)
		}()
	}
	if !a.cfg.ReadOnly {
		s.On("emit", a.cmdEmit)
		s.On("join", a.cmdRooms(true))
		s.On("leave", a.cmdRooms(false))
		s.On("_disconnect", a.cmdDisconnect)
	}
}

// sendAllSockets sends every socket of every namespace (every node's, through
// the adapter) to the UI socket s.
func (a *Admin) sendAllSockets(s *socketio.Socket) {
	ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
	defer cancel()
	all := []serializedSocket{}
	for _, n := range a.namespaces() {
		socks, err := n.FetchSockets(ctx)
		if err != nil {
			a.log.Warn("admin: fetching sockets", "of", n.Name(), "err", err)
			continue
		}
		for _, r := range socks {
			all = append(all, a.serializeRemote(n, r))
		}
	}
	_ = s.Emit("all_sockets", all)
}

// namespaces returns the server's namespaces sorted by name.
func (a *Admin) namespaces() []*socketio.Namespace {
	ns := a.srv.Namespaces()
	sort.Slice(ns, func(i, j int) bool { return ns[i].Name() < ns[j].Name() })
	return ns
}

// namespace returns the existing namespace name; the UI never creates one.
func (a *Admin) namespace(name string) *socketio.Namespace {
	for _, n := range a.srv.Namespaces() {
		if n.Name() == name {
			return n
		}
	}
	return nil
}

func (a *Admin) statsLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.cfg.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
			_ = a.nsp.Emit("server_stats", a.stats())
		}
	}
}

// ServerStats is the payload of server_stats.
type ServerStats struct {
	ServerID            string           `json:"serverId"`
	Hostname            string           `json:"hostname"`
	PID                 int              `json:"pid"`
	Uptime              float64          `json:"uptime"` // seconds
	ClientsCount        int              `json:"clientsCount"`
	PollingClientsCount int              `json:"pollingClientsCount"`
	AggregatedEvents    []AggregateEvent `json:"aggregatedEvents"`
	Namespaces          []NamespaceStats `json:"namespaces"`
}

// NamespaceStats is one namespace of ServerStats.
type NamespaceStats struct {
	Name         string `json:"name"`
	SocketsCount int    `json:"socketsCount"`
}

func (a *Admin) stats() ServerStats {
	st := ServerStats{
		ServerID: a.cfg.ServerID, Hostname: a.host, PID: os.Getpid(),
		Uptime:           a.cfg.Now().Sub(a.start).Seconds(),
		ClientsCount:     a.srv.Stats().Sessions,
		AggregatedEvents: a.events.takeAll(),
		Namespaces:       []NamespaceStats{},
	}
	polling := map[string]bool{}
	for _, n := range a.namespaces() {
		socks := n.Sockets()
		st.Namespaces = append(st.Namespaces, NamespaceStats{Name: n.Name(), SocketsCount: len(socks)})
		for _, s := range socks {
			if s.Transport() == "polling" {
				polling[s.ClientID()] = true
			}
		}
	}
	st.PollingClientsCount = len(polling)
	return st
}
