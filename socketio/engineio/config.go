package engineio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Transport names accepted in Config.Transports and in the `transport` query parameter.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Config configures a Server. The zero value of each field means its documented default;
// NewServer applies the defaults and then calls Validate, so a bad value stops start-up.
type Config struct {
	// PingInterval is how often the server pings (v4) or the client must ping (v3).
	// Default 25s.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take after a ping. A session is closed with
	// ReasonPingTimeout at most PingInterval+PingTimeout after it last proved alive.
	// Default 20s.
	PingTimeout time.Duration
	// MaxPayload bounds a polling POST body and a WebSocket message, in bytes, and is
	// announced in the v4 handshake. Default 1_000_000.
	MaxPayload int64
	// UpgradeTimeout bounds a polling→WebSocket upgrade: the client must send `5` within
	// it after opening the WebSocket, or the probe is dropped. Default 10s.
	UpgradeTimeout time.Duration
	// Transports lists the allowed transports. Default {"polling","websocket"}.
	Transports []string
	// DisableUpgrades refuses polling→WebSocket upgrades (the handshake then offers none).
	DisableUpgrades bool
	// AllowEIO3 accepts Engine.IO v3 clients (socket.io-client 2.x). Default false:
	// EIO=3 is refused with 400 {"code":5}.
	AllowEIO3 bool
	// KeepMemoryAfterBurst turns off the memory release after a burst (see
	// releaseAfterBurst and releaseAfterOpens): when the live sessions fall to half of
	// a peak of at least 1,000, or once at least 1,000 more sessions than at the last
	// release have opened and none has opened for 3 s, the server returns freed memory
	// to the OS (runtime/debug.FreeOSMemory, a full GC) once. Without it the Go runtime
	// keeps the burst's heap and stacks mapped until a later GC and its background
	// scavenger, minutes later (measured: 10,000 closed connections left RSS at 2x its
	// value before the burst; 10,000 idle connections held 9.8 KiB each instead of 6.8,
	// the handshakes' garbage). Default false: released. Set it when the process's GC
	// must not be driven by the engine.
	KeepMemoryAfterBurst bool
	// MaxWriteQueueBytes bounds the bytes queued but not yet written for one session;
	// past it the session is closed with ReasonSlowConsumer. Default 1 MiB.
	MaxWriteQueueBytes int
	// CheckOrigin decides whether a request's Origin header is acceptable. It runs for
	// polling and WebSocket requests before any session or upgrade; false → 403
	// {"code":4,"message":"Forbidden"}. Nil allows every Origin. Browsers do not apply
	// CORS to WebSocket upgrades, so this is the check that stops cross-site hijacking.
	CheckOrigin func(r *http.Request) bool
	// AllowRequest runs before a new session is created (handshakes only). A non-nil
	// error refuses it: an *HTTPError with its own status and body, any other error 403.
	AllowRequest func(r *http.Request) error
	// InitialHeaders adds headers to the response of a handshake only: the polling
	// response carrying the open packet, or the WebSocket upgrade response of a
	// WebSocket-only handshake (Node's "initial_headers" event), e.g. a sticky-session
	// or application cookie. It runs before Headers, on the request's goroutine, and
	// must not keep h. Nil adds none.
	InitialHeaders func(h http.Header, r *http.Request)
	// Headers adds headers to every polling response (handshakes included) and to
	// every WebSocket upgrade response, the probe of a polling→WebSocket upgrade too
	// (Node's "headers" event). Like InitialHeaders it must not keep h. Headers the
	// WebSocket handshake sets itself (Upgrade, Connection, Sec-WebSocket-*) cannot be
	// changed. Nil adds none.
	Headers func(h http.Header, r *http.Request)
	// CORS adds CORS headers to polling responses and answers OPTIONS preflights.
	// Nil sends no CORS headers.
	CORS *CORS
	// SIDPrefix starts every session id, followed by a dot: a load balancer
	// in front of several nodes routes polling requests and the WebSocket
	// upgrade (which carry ?sid=) to the node that made the session by it.
	// At most 16 of A-Z a-z 0-9 _ -. Default empty: no prefix.
	SIDPrefix string
	// PerMessageDeflate compresses WebSocket messages with clients that offer it
	// (socket.io-client does). Nil: off, as in Node.
	PerMessageDeflate *PerMessageDeflate
	// Logger receives debug records about sessions. Nil discards.
	Logger *slog.Logger
}

// CORS configures the CORS headers of polling responses.
type CORS struct {
	// AllowOrigin reports whether origin may read responses; its Origin is then echoed
	// in Access-Control-Allow-Origin. Nil allows every origin.
	AllowOrigin func(origin string) bool
	// AllowCredentials sends Access-Control-Allow-Credentials: true (cookies over XHR).
	AllowCredentials bool
	// AllowHeaders lists request headers a preflight may allow. Empty echoes the
	// headers the browser asks for.
	AllowHeaders []string
}

// Defaults of Config, documented on its fields.
const (
	DefaultPingInterval       = 25 * time.Second
	DefaultPingTimeout        = 20 * time.Second
	DefaultMaxPayload         = 1_000_000
	DefaultUpgradeTimeout     = 10 * time.Second
	DefaultMaxWriteQueueBytes = 1 << 20
)

// DefaultConfig returns a Config with every default filled in, as a starting point.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.UpgradeTimeout == 0 {
		c.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if len(c.Transports) == 0 {
		c.Transports = []string{TransportPolling, TransportWebSocket}
	} else {
		c.Transports = append([]string(nil), c.Transports...)
	}
	if c.MaxWriteQueueBytes == 0 {
		c.MaxWriteQueueBytes = DefaultMaxWriteQueueBytes
	}
	if c.PerMessageDeflate != nil {
		d := c.PerMessageDeflate.withDefaults()
		c.PerMessageDeflate = &d
	}
	return c
}

// maxMaxPayload caps MaxPayload: a whole POST body is held in memory.
const maxMaxPayload = 1 << 30

// Validate reports the first invalid field of c, with defaults already applied
// (a zero duration or size is invalid here).
func (c Config) Validate() error {
	switch {
	case c.PingInterval <= 0:
		return errors.New("engineio: PingInterval must be positive")
	case c.PingTimeout <= 0:
		return errors.New("engineio: PingTimeout must be positive")
	case c.MaxPayload <= 0 || c.MaxPayload > maxMaxPayload:
		return fmt.Errorf("engineio: MaxPayload must be in 1..%d", maxMaxPayload)
	case c.UpgradeTimeout <= 0:
		return errors.New("engineio: UpgradeTimeout must be positive")
	case c.MaxWriteQueueBytes <= 0:
		return errors.New("engineio: MaxWriteQueueBytes must be positive")
	case len(c.Transports) == 0:
		return errors.New("engineio: Transports must not be empty")
	case !validSIDPrefix(c.SIDPrefix):
		return errors.New("engineio: SIDPrefix must be at most 16 of A-Z a-z 0-9 _ -")
	}
	if c.PerMessageDeflate != nil {
		if err := c.PerMessageDeflate.validate(); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, t := range c.Transports {
		if t != TransportPolling && t != TransportWebSocket {
			return fmt.Errorf("engineio: unknown transport %q", t)
		}
		if seen[t] {
			return fmt.Errorf("engineio: transport %q listed twice", t)
		}
		seen[t] = true
	}
	return nil
}

func validSIDPrefix(p string) bool {
	if len(p) > 16 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// allows reports whether transport t is enabled.
func (c *Config) allows(t string) bool {
	for _, x := range c.Transports {
		if x == t {
			return true
		}
	}
	return false
}
