package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"rtserver/internal/identity"
	"rtserver/internal/identity/auth"
)

// MinSecretLen is the shortest JWT_SECRET accepted, in bytes.
const MinSecretLen = auth.MinSecretLen

// DefaultMetricsAddr is the default METRICS_ADDR: the Prometheus exporter
// port, on the loopback interface only.
const DefaultMetricsAddr = "127.0.0.1:9464"

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Config is the whole server configuration. Each field names its
// environment variable and default; [Default] returns the defaults and
// [FromEnv] applies the environment on top and validates.
type Config struct {
	// Addr is the listen address (ADDR). Default ":8080".
	Addr string
	// MetricsAddr is the listen address of the Prometheus metrics, served
	// at GET /metrics on a listener of their own (METRICS_ADDR), never on
	// Addr: runtime and traffic figures are for the operator, not for
	// anyone who can reach the public port. Default "127.0.0.1:9464",
	// reachable from this host only; METRICS_ADDR=off (empty here)
	// disables it. Must differ from Addr.
	MetricsAddr string
	// TLSCertFile is the PEM certificate chain of the public listener,
	// the server's certificate first (TLS_CERT_FILE). With TLSKeyFile the
	// server serves HTTPS and WSS on Addr itself: TLS 1.2 or later, HTTP/2
	// and HTTP/1.1, Strict-Transport-Security on every response, both
	// files read again on SIGHUP or when they change. The metrics listener
	// stays plain HTTP. Default empty: plain HTTP, for a TLS-terminating
	// proxy in front (see TrustedProxies). Set both or neither.
	TLSCertFile string
	// TLSKeyFile is the PEM private key of TLSCertFile (TLS_KEY_FILE).
	// Default empty.
	TLSKeyFile string
	// DataDir holds the SQLite database and the generated JWT secret
	// (DATA_DIR). Default "./data".
	DataDir string

	// JWTSecret is the HS256 secret, at least 32 bytes (JWT_SECRET).
	// Default empty: a random secret is generated on first start and kept
	// in DataDir; see [Config.ResolveSecret].
	JWTSecret Secret
	// JWTPublicKeyFile is a PEM public key (RSA ≥ 2048 bits for RS256,
	// ECDSA P-256 for ES256, Ed25519 for EdDSA) whose tokens are accepted
	// too, for tokens minted by another service (JWT_PUBLIC_KEY_FILE).
	// Default empty: only the server's own tokens.
	JWTPublicKeyFile string
	// JWTPublicKeyID is the kid accepted with that key
	// (JWT_PUBLIC_KEY_ID). Default empty: the key's RFC 7638 thumbprint.
	// Tokens without a kid are accepted either way.
	JWTPublicKeyID string
	// JWTIssuer is written as iss and required in every token when set
	// (JWT_ISSUER). Default empty: not checked.
	JWTIssuer string
	// JWTAudience is written as aud and required in every token when set
	// (JWT_AUDIENCE). Default empty: not checked.
	JWTAudience string
	// TokenTTL is how long issued tokens and sessions last (TOKEN_TTL).
	// Default 15m.
	TokenTTL time.Duration
	// SessionTTL is how long a login's session (the cookie) lasts
	// (SESSION_TTL); POST /token issues fresh tokens until it ends.
	// Default 24h; at least TOKEN_TTL.
	SessionTTL time.Duration
	// ExpiryGrace is how long a socket outlives its token's exp without a
	// refresh (EXPIRY_GRACE). Default 5s; at most 10s.
	ExpiryGrace time.Duration

	// AllowedOrigins lists the exact origins (scheme://host[:port]) allowed
	// for CORS, socket handshakes and cookie authentication
	// (ALLOWED_ORIGINS, comma-separated). Default empty: none.
	AllowedOrigins []string
	// AuthSources lists where the socket handshake looks for a credential,
	// a subset of auth, header, query, cookie in that precedence
	// (AUTH_SOURCES, comma-separated). Default all four.
	AuthSources []identity.Source
	// AuthAfterConnect lets a socket connect without a credential and
	// authenticate in-band within AuthTimeout (AUTH_AFTER_CONNECT=1).
	// Default false.
	AuthAfterConnect bool
	// AuthTimeout bounds authenticate-after-connect (AUTH_TIMEOUT).
	// Default 10s.
	AuthTimeout time.Duration
	// Demo seeds the demo users into an empty store (DEMO=1). Default false.
	Demo bool

	// LogFormat is "text" or "json" (LOG_FORMAT). Default "json".
	LogFormat string
	// LogLevel is debug, info, warn or error (LOG_LEVEL). Default info.
	LogLevel slog.Level
	// TrustedProxies lists the proxies (IPs or CIDRs) whose
	// X-Forwarded-For is believed (TRUSTED_PROXIES, comma-separated).
	// Default empty: none, the peer address is the client.
	TrustedProxies []string

	// HandshakeRate is the sustained rate of new Engine.IO sessions
	// (handshakes: requests without a sid) one client address may open,
	// per second (HANDSHAKE_RATE); past HandshakeBurst at once the
	// handshake is refused with 429 {"code":7,...}. Requests of an
	// existing session, its WebSocket upgrade included, never count. The
	// address is the peer's, or the one a trusted proxy names
	// (TRUSTED_PROXIES); IPv6 clients count per /64. Behind a proxy that
	// is not on TRUSTED_PROXIES every client shares the proxy's address:
	// list it, or turn the limit off. Default 50; 0 turns the limit off.
	//
	// The defaults bound what one address can hold to HandshakeBurst +
	// HandshakeRate × CONNECT_TIMEOUT idle sessions (1,000 with a 10s
	// CONNECT_TIMEOUT, where a flood of 20,000 used to hold them all), and
	// let a reconnect storm behind one NAT through: after a server
	// restart, socket.io-client retries after a randomized 0.5-1.5 s,
	// then 1-3 s, then 2.5-5 s, so a few hundred users behind one address
	// (say 500 tabs, one session each) arrive within one to five seconds;
	// 500 + 50/s admits 550 in the first second and 750 within five. A
	// refused client is not lost: it retries on its own backoff.
	HandshakeRate float64
	// HandshakeBurst is how many new sessions one client address may open
	// at once (HANDSHAKE_BURST). Default 500; at least 1.
	HandshakeBurst int
	// EventRate is the sustained events per second a socket may send
	// (EVENT_RATE). Default 20.
	EventRate float64
	// EventBurst is how many events a socket may send at once (EVENT_BURST).
	// Default 40.
	EventBurst int
	// MaxRoomsPerSocket caps the rooms one socket is in
	// (MAX_ROOMS_PER_SOCKET). Default 100.
	MaxRoomsPerSocket int
	// MaxSocketsPerUser caps a user's concurrent sockets
	// (MAX_SOCKETS_PER_USER). Default 20; 0 means no cap.
	MaxSocketsPerUser int
	// MaxPayload is the largest message or polling body in bytes
	// (MAX_PAYLOAD: a byte count, or with a suffix KB, KiB, MB, MiB; KB and
	// MB are 1024-based). Default 100 KiB; at most 64 MiB.
	MaxPayload int
	// ReadHeaderTimeout cuts a client that is slow to send its request
	// headers (HTTP_READ_HEADER_TIMEOUT). Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout cuts a client that is slow to send a request body
	// (HTTP_READ_TIMEOUT). Default 1m.
	ReadTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown (SHUTDOWN_TIMEOUT).
	// Default 10s.
	ShutdownTimeout time.Duration
	// ChatMaxText is the longest chat text in bytes (CHAT_MAX_TEXT).
	// Default 4096; at most MaxPayload.
	ChatMaxText int
	// HistoryLimit is how many messages are kept per room
	// (HISTORY_LIMIT). Default 1000.
	HistoryLimit int
	// HistoryMaxAge drops messages older than this (HISTORY_MAX_AGE, e.g.
	// 720h). Default 0: messages are kept whatever their age.
	HistoryMaxAge time.Duration
	// NotificationLimit is how many notifications each user's inbox keeps,
	// the newest (NOTIFICATION_LIMIT). Default 1000.
	NotificationLimit int
	// NotificationRetention drops notifications older than this
	// (NOTIFICATION_RETENTION). Default 2160h (90 days); 0 keeps them
	// whatever their age (the per-user limit still applies). Both are
	// applied by the janitor every 10 minutes, never on a request's path.
	NotificationRetention time.Duration
	// PublicRooms are the public rooms the `rooms` event lists
	// (PUBLIC_ROOMS, comma-separated). Any public-style name can be joined;
	// these are the ones offered. Default general,random.
	PublicRooms []string
	// PublishAPIKeys are the credentials of the publish API
	// (PUBLISH_API_KEYS, comma-separated, each at least 16 bytes).
	// Default empty: the publish API refuses everyone.
	PublishAPIKeys []Secret
	// LegacyClients also accepts socket.io-client v2 (Engine.IO 3)
	// (LEGACY_CLIENTS=1). Default false.
	LegacyClients bool
	// DatabaseURL selects PostgreSQL for users, sessions, messages and
	// notifications (DATABASE_URL, postgres://...; pool settings as
	// query parameters). Default empty: the SQLite file in DataDir.
	DatabaseURL Secret
	// RedisURL connects the nodes of a cluster through Redis (REDIS_URL,
	// redis://...): broadcasts, kicks and logouts reach every node and
	// presence counts users over all of them. Default empty: one node
	// with the in-memory adapter.
	RedisURL Secret
	// RedisAdapter picks the cluster adapter (REDIS_ADAPTER, with
	// REDIS_URL): "pubsub", wire-compatible with @socket.io/redis-adapter,
	// or "streams", with @socket.io/redis-streams-adapter 0.3.x, whose
	// messages survive a Redis outage (within RedisStreamMaxLen) and whose
	// recovery works across nodes, also after a node died. Default "pubsub".
	RedisAdapter string
	// RedisStreamMaxLen trims the stream of the streams adapter
	// (REDIS_STREAM_MAXLEN, MAXLEN ~): how many cross-node messages an
	// outage or a recovering client can catch up on. Default 10000.
	RedisStreamMaxLen int
	// NodeID names this node (NODE_ID, up to 16 of A-Z a-z 0-9 _ -); it
	// starts every Engine.IO session id ("<NODE_ID>.<random>") so that a
	// load balancer can route a session's polling requests and upgrade back
	// to this node by the sid query parameter. Default empty.
	NodeID string
	// PresenceTTL is how long a node's presence entries outlive it
	// (PRESENCE_TTL, with REDIS_URL): a crashed node's users are
	// announced offline within PresenceTTL plus a third of it (the
	// refresh period). Default 30s.
	PresenceTTL time.Duration
	// RecoveryWindow is how long a client that lost its connection can
	// come back with its socket id, rooms and missed messages (connection
	// state recovery; RECOVERY_WINDOW). Its credential is checked again on
	// the way back. Default 2m; 0 turns recovery off.
	RecoveryWindow time.Duration
	// ConnectTimeout is how long a new connection may take to send its
	// Socket.IO CONNECT (CONNECT_TIMEOUT). Default 10s.
	ConnectTimeout time.Duration
	// PingInterval is the Engine.IO ping interval (PING_INTERVAL).
	// Default 25s.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take (PING_TIMEOUT). Default 20s.
	PingTimeout time.Duration
	// AdminUI serves the official Socket.IO Admin UI at /admin-ui/ and its
	// protocol on AdminUINamespace, for users with role admin (ADMIN_UI=1).
	// Default false.
	AdminUI bool
	// AdminUINamespace is the namespace the Admin UI connects to
	// (ADMIN_UI_NAMESPACE); /admin is the product's own. Default /admin-ui.
	AdminUINamespace string
	// AdminUIMode is development (every socket, room and event) or
	// production (statistics only) (ADMIN_UI_MODE). Default development.
	AdminUIMode string
	// AdminUIReadOnly drops the Admin UI's commands: emit, join, leave,
	// disconnect (ADMIN_UI_READONLY=1). Default false.
	AdminUIReadOnly bool
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Addr:                  ":8080",
		MetricsAddr:           DefaultMetricsAddr,
		DataDir:               "./data",
		TokenTTL:              15 * time.Minute,
		SessionTTL:            24 * time.Hour,
		ExpiryGrace:           5 * time.Second,
		AuthSources:           identity.AllSources(),
		AuthTimeout:           10 * time.Second,
		LogFormat:             LogJSON,
		LogLevel:              slog.LevelInfo,
		HandshakeRate:         50,
		HandshakeBurst:        500,
		EventRate:             20,
		EventBurst:            40,
		MaxRoomsPerSocket:     100,
		MaxSocketsPerUser:     20,
		MaxPayload:            100 << 10,
		ShutdownTimeout:       10 * time.Second,
		ReadHeaderTimeout:     10 * time.Second,
		ReadTimeout:           time.Minute,
		ChatMaxText:           4096,
		HistoryLimit:          1000,
		NotificationLimit:     1000,
		NotificationRetention: 90 * 24 * time.Hour,
		PublicRooms:           []string{"general", "random"},
		RecoveryWindow:        2 * time.Minute,
		RedisAdapter:          "pubsub",
		RedisStreamMaxLen:     10000,
		PresenceTTL:           30 * time.Second,
		ConnectTimeout:        10 * time.Second,
		PingInterval:          25 * time.Second,
		PingTimeout:           20 * time.Second,
		AdminUINamespace:      "/admin-ui",
		AdminUIMode:           "development",
	}
}

// VarError is a bad value of one variable. Errors from FromEnv and
// Validate are a VarError or an errors.Join of several.
type VarError struct {
	Var string // the environment variable, e.g. "TOKEN_TTL"
	Msg string // what is wrong, e.g. "must be a positive duration"
}

func (e *VarError) Error() string { return e.Var + ": " + e.Msg }

func varErr(name, format string, args ...any) error {
	return &VarError{Var: name, Msg: fmt.Sprintf(format, args...)}
}

// FromEnv returns Default overridden by every variable getenv returns
// non-empty, validated. All bad values are reported at once.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	var errs []error
	for _, v := range variables() {
		raw := getenv(v.name)
		if raw == "" {
			continue
		}
		if err := v.set(&c, raw); err != nil {
			// Echo the value unless it is secret or the message quotes it already.
			if !v.secret && !strings.Contains(err.Error(), `"`) {
				err = fmt.Errorf("%w (got %q)", err, truncate(raw, 80))
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// TLS reports whether the public listener serves TLS (TLS_CERT_FILE and
// TLS_KEY_FILE are set).
func (c Config) TLS() bool { return c.TLSCertFile != "" && c.TLSKeyFile != "" }

// ResolveSecret returns the HS256 secret: JWTSecret when set, otherwise
// the one kept in DataDir (created on first start; generated reports
// that, and the caller should log it). See [LoadOrCreateSecret].
func (c Config) ResolveSecret() (secret []byte, generated bool, err error) {
	if c.JWTSecret != "" {
		return []byte(c.JWTSecret), false, nil
	}
	return LoadOrCreateSecret(c.DataDir)
}

// PublishKeys returns the publish API keys as strings.
func (c Config) PublishKeys() []string {
	out := make([]string, len(c.PublishAPIKeys))
	for i, k := range c.PublishAPIKeys {
		out[i] = k.Reveal()
	}
	return out
}

// plain is Config without methods, so that String can use fmt on it while
// the Secret fields still redact themselves.
type plain Config

// String prints every field, secrets redacted.
func (c Config) String() string { return fmt.Sprintf("%+v", plain(c)) }

// GoString redacts %#v as well.
func (c Config) GoString() string { return "config.Config" + c.String() }

// LogValue implements slog.LogValuer: every setting by variable name,
// secrets redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("ADDR", c.Addr),
		slog.String("METRICS_ADDR", c.MetricsAddr),
		slog.String("TLS_CERT_FILE", c.TLSCertFile),
		slog.String("TLS_KEY_FILE", c.TLSKeyFile),
		slog.String("DATA_DIR", c.DataDir),
		slog.Any("JWT_SECRET", c.JWTSecret),
		slog.String("JWT_PUBLIC_KEY_FILE", c.JWTPublicKeyFile),
		slog.String("JWT_PUBLIC_KEY_ID", c.JWTPublicKeyID),
		slog.String("JWT_ISSUER", c.JWTIssuer),
		slog.String("JWT_AUDIENCE", c.JWTAudience),
		duration("TOKEN_TTL", c.TokenTTL),
		duration("SESSION_TTL", c.SessionTTL),
		duration("EXPIRY_GRACE", c.ExpiryGrace),
		slog.Any("ALLOWED_ORIGINS", c.AllowedOrigins),
		slog.Any("AUTH_SOURCES", c.AuthSources),
		slog.Bool("AUTH_AFTER_CONNECT", c.AuthAfterConnect),
		duration("AUTH_TIMEOUT", c.AuthTimeout),
		slog.Bool("DEMO", c.Demo),
		slog.String("LOG_FORMAT", c.LogFormat),
		slog.String("LOG_LEVEL", c.LogLevel.String()),
		slog.Any("TRUSTED_PROXIES", c.TrustedProxies),
		slog.Float64("HANDSHAKE_RATE", c.HandshakeRate),
		slog.Int("HANDSHAKE_BURST", c.HandshakeBurst),
		slog.Float64("EVENT_RATE", c.EventRate),
		slog.Int("EVENT_BURST", c.EventBurst),
		slog.Int("MAX_ROOMS_PER_SOCKET", c.MaxRoomsPerSocket),
		slog.Int("MAX_SOCKETS_PER_USER", c.MaxSocketsPerUser),
		slog.Int("MAX_PAYLOAD", c.MaxPayload),
		duration("SHUTDOWN_TIMEOUT", c.ShutdownTimeout),
		duration("HTTP_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout),
		duration("HTTP_READ_TIMEOUT", c.ReadTimeout),
		slog.Int("CHAT_MAX_TEXT", c.ChatMaxText),
		slog.Int("HISTORY_LIMIT", c.HistoryLimit),
		duration("RECOVERY_WINDOW", c.RecoveryWindow),
		slog.String("DATABASE_URL", c.DatabaseURL.String()),
		slog.String("REDIS_URL", c.RedisURL.String()),
		slog.String("REDIS_ADAPTER", c.RedisAdapter),
		slog.Int("REDIS_STREAM_MAXLEN", c.RedisStreamMaxLen),
		duration("PRESENCE_TTL", c.PresenceTTL),
		slog.String("NODE_ID", c.NodeID),
		duration("HISTORY_MAX_AGE", c.HistoryMaxAge),
		slog.Int("NOTIFICATION_LIMIT", c.NotificationLimit),
		duration("NOTIFICATION_RETENTION", c.NotificationRetention),
		slog.Any("PUBLIC_ROOMS", c.PublicRooms),
		slog.Int("PUBLISH_API_KEYS", len(c.PublishAPIKeys)),
		slog.Bool("LEGACY_CLIENTS", c.LegacyClients),
		duration("CONNECT_TIMEOUT", c.ConnectTimeout),
		duration("PING_INTERVAL", c.PingInterval),
		duration("PING_TIMEOUT", c.PingTimeout),
		slog.Bool("ADMIN_UI", c.AdminUI),
		slog.String("ADMIN_UI_NAMESPACE", c.AdminUINamespace),
		slog.String("ADMIN_UI_MODE", c.AdminUIMode),
		slog.Bool("ADMIN_UI_READONLY", c.AdminUIReadOnly),
	)
}

// duration logs d as text ("15m0s"): slog's JSON handler writes a
// time.Duration as nanoseconds, which nobody reads at a glance.
func duration(name string, d time.Duration) slog.Attr { return slog.String(name, d.String()) }
