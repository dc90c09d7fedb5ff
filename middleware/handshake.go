package middleware

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"rtserver/internal/apierr"
	"rtserver/socketio/engineio"
)

// DefaultHandshakeAddrs is HandshakeLimit.MaxAddrs when zero: about 16 MiB
// of table at most (a key, a token bucket and the LRU links, some 250
// bytes each).
const DefaultHandshakeAddrs = 1 << 16

// HandshakeLimit configures [NewHandshakeLimiter].
type HandshakeLimit struct {
	// Rate is the sustained rate of new sessions per second per client
	// address (HANDSHAKE_RATE). Zero turns the limit off.
	Rate float64
	// Burst is how many new sessions one address may open at once
	// (HANDSHAKE_BURST); at least 1 when Rate is set.
	Burst int
	// MaxAddrs bounds the table of addresses; past it the least recently
	// seen address is forgotten (and starts again with a full burst).
	// Default DefaultHandshakeAddrs.
	MaxAddrs int
	// Proxies decides the client address (nil: the peer's).
	Proxies *Proxies
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// HandshakeLimiter limits the new Engine.IO sessions one client address
// may open: a token bucket per address, in an LRU table of bounded size.
// Its Allow is the engine's Config.AllowRequest, which runs for handshakes
// only (requests without a sid) after the transport, version and Origin
// checks, so requests of existing sessions, the WebSocket upgrade
// included, never count, and a request refused anyway costs no token. It
// is safe for concurrent use. A nil *HandshakeLimiter allows everything.
type HandshakeLimiter struct {
	rate    rate.Limit
	burst   int
	proxies *Proxies
	now     func() time.Time
	table   *lru.Cache[netip.Prefix, *rate.Limiter]
}

// errHandshakeRate is the refusal past the limit: 429 with the engine's
// own JSON body, {"code":7,"message":"too many requests; try again later"},
// like every other handshake refusal (400, 403, 503), so clients and
// tooling that parse the engine's errors read this one too. The text is
// the catalogue's (apierr.RateLimited).
var errHandshakeRate = &engineio.HTTPError{
	Status:  http.StatusTooManyRequests,
	Code:    engineio.CodeTooManyRequests,
	Message: apierr.RateLimited.Message(),
}

// NewHandshakeLimiter returns the limiter for c, or nil (no limit) when
// c.Rate is zero.
func NewHandshakeLimiter(c HandshakeLimit) (*HandshakeLimiter, error) {
	if c.Rate == 0 {
		return nil, nil
	}
	if !(c.Rate > 0) || c.Burst < 1 {
		return nil, errors.New("handshake limit: rate must be positive and burst at least 1")
	}
	if c.MaxAddrs == 0 {
		c.MaxAddrs = DefaultHandshakeAddrs
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	table, err := lru.New[netip.Prefix, *rate.Limiter](c.MaxAddrs)
	if err != nil {
		return nil, err
	}
	return &HandshakeLimiter{rate: rate.Limit(c.Rate), burst: c.Burst, proxies: c.Proxies, now: c.Now, table: table}, nil
}

// Allow takes one token from the bucket of r's client address: nil lets
// the handshake through, an *engineio.HTTPError (429) refuses it.
func (l *HandshakeLimiter) Allow(r *http.Request) error {
	if l == nil {
		return nil
	}
	key := addrKey(l.proxies.ClientIP(r))
	b, ok := l.table.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		if prev, found, _ := l.table.PeekOrAdd(key, b); found {
			b = prev // added by a concurrent handshake from the same address
		}
	}
	if b.AllowN(l.now(), 1) {
		return nil
	}
	return errHandshakeRate
}

// Len returns the number of addresses in the table.
func (l *HandshakeLimiter) Len() int {
	if l == nil {
		return 0
	}
	return l.table.Len()
}

// addrKey is the bucket of a client address: the address itself for IPv4,
// its /64 for IPv6 (one subscriber's usual allocation, so that rotating
// through it gains nothing). An unusable address shares one bucket.
func addrKey(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}
