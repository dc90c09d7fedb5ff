package middleware_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"rtserver/middleware"
	"rtserver/socketio/engineio"
)

// clock is a settable time source for the limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func handshakeFrom(peer string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

func newLimiter(t *testing.T, c middleware.HandshakeLimit) (*middleware.HandshakeLimiter, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.Now = clk.Now
	l, err := middleware.NewHandshakeLimiter(c)
	if err != nil {
		t.Fatal(err)
	}
	return l, clk
}

// TestHandshakeLimiterBurstAndRate: an address gets Burst handshakes at
// once, then Rate per second; others keep their own budget.
func TestHandshakeLimiterBurstAndRate(t *testing.T) {
	l, clk := newLimiter(t, middleware.HandshakeLimit{Rate: 2, Burst: 5})
	for i := range 5 {
		if err := l.Allow(handshakeFrom("198.51.100.1:1000")); err != nil {
			t.Fatalf("handshake %d: %v", i+1, err)
		}
	}
	err := l.Allow(handshakeFrom("198.51.100.1:1001"))
	var he *engineio.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests || he.Code != engineio.CodeTooManyRequests {
		t.Fatalf("6th handshake: %v, want a 429 HTTPError", err)
	}
	if err := l.Allow(handshakeFrom("198.51.100.2:1000")); err != nil {
		t.Errorf("another address: %v", err)
	}
	clk.Add(500 * time.Millisecond) // one token at 2/s
	if err := l.Allow(handshakeFrom("198.51.100.1:1002")); err != nil {
		t.Errorf("after 0.5 s: %v", err)
	}
	if err := l.Allow(handshakeFrom("198.51.100.1:1003")); err == nil {
		t.Error("second handshake after 0.5 s allowed")
	}
}

// TestHandshakeLimiterProxies: the client address comes from a trusted
// proxy's X-Forwarded-For; an untrusted peer's header is ignored, so
// spoofing it gains nothing.
func TestHandshakeLimiterProxies(t *testing.T) {
	p, err := middleware.NewProxies([]string{"10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := newLimiter(t, middleware.HandshakeLimit{Rate: 1, Burst: 1, Proxies: p})
	if l.Allow(handshakeFrom("10.0.0.1:1", "X-Forwarded-For", "203.0.113.1")) != nil ||
		l.Allow(handshakeFrom("10.0.0.1:2", "X-Forwarded-For", "203.0.113.2")) != nil {
		t.Fatal("two clients behind the trusted proxy share a budget")
	}
	if l.Allow(handshakeFrom("10.0.0.1:3", "X-Forwarded-For", "203.0.113.1")) == nil {
		t.Error("the first client behind the proxy got a second handshake")
	}
	if l.Allow(handshakeFrom("198.51.100.9:1", "X-Forwarded-For", "203.0.113.3")) != nil {
		t.Fatal("untrusted peer refused at its first handshake")
	}
	if l.Allow(handshakeFrom("198.51.100.9:2", "X-Forwarded-For", "203.0.113.4")) == nil {
		t.Error("an untrusted peer got a fresh budget by changing X-Forwarded-For")
	}
}

// TestHandshakeLimiterIPv6PerPrefix: an IPv6 client counts per /64, so
// rotating through its own allocation gains nothing.
func TestHandshakeLimiterIPv6PerPrefix(t *testing.T) {
	l, _ := newLimiter(t, middleware.HandshakeLimit{Rate: 1, Burst: 2})
	for i, peer := range []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff::9]:1", "[2001:db8:1:2::77]:1"} {
		err := l.Allow(handshakeFrom(peer))
		if (err == nil) != (i < 2) {
			t.Errorf("%s: %v", peer, err)
		}
	}
	if err := l.Allow(handshakeFrom("[2001:db8:1:3::1]:1")); err != nil {
		t.Errorf("another /64: %v", err)
	}
}

// TestHandshakeLimiterTableBounded: the table never holds more than
// MaxAddrs addresses, however many clients come; the most recent stay.
func TestHandshakeLimiterTableBounded(t *testing.T) {
	l, _ := newLimiter(t, middleware.HandshakeLimit{Rate: 1, Burst: 1, MaxAddrs: 100})
	if err := l.Allow(handshakeFrom("192.0.2.1:1")); err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		_ = l.Allow(handshakeFrom(fmt.Sprintf("10.%d.%d.%d:1", i>>16&0xff, i>>8&0xff, i&0xff)))
		if n := l.Len(); n > 100 {
			t.Fatalf("table holds %d addresses", n)
		}
	}
	if l.Len() != 100 {
		t.Errorf("table holds %d, want 100", l.Len())
	}
	// The most recent address is still known: its budget is spent.
	if l.Allow(handshakeFrom("10.0.39.15:1")) == nil {
		t.Error("most recent address forgotten")
	}
}

// TestHandshakeLimiterOff: a zero rate means no limiter at all.
func TestHandshakeLimiterOff(t *testing.T) {
	l, err := middleware.NewHandshakeLimiter(middleware.HandshakeLimit{Rate: 0, Burst: 0})
	if err != nil || l != nil {
		t.Fatalf("rate 0: %v, %v", l, err)
	}
	for range 1000 {
		if err := l.Allow(handshakeFrom("192.0.2.1:1")); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []middleware.HandshakeLimit{{Rate: -1, Burst: 1}, {Rate: 1, Burst: 0}} {
		if _, err := middleware.NewHandshakeLimiter(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestHandshakeLimiterInEngine: mounted as the engine's AllowRequest, the
// limit answers a new session past the burst with 429 and the engine's JSON
// body, and never counts requests that carry a sid.
func TestHandshakeLimiterInEngine(t *testing.T) {
	l, _ := newLimiter(t, middleware.HandshakeLimit{Rate: 1, Burst: 2})
	srv, err := engineio.NewServer(engineio.Config{AllowRequest: l.Allow}, nopHandler{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	get := func(query, method, body string) (int, string) {
		r := httptest.NewRequest(method, "/engine.io/?"+query, strings.NewReader(body))
		r.RemoteAddr = "198.51.100.1:1"
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	var sid string
	for i := range 2 {
		code, body := get("EIO=4&transport=polling", http.MethodGet, "")
		if code != http.StatusOK {
			t.Fatalf("handshake %d: %d %s", i+1, code, body)
		}
		sid = body[strings.Index(body, `"sid":"`)+7:]
		sid = sid[:strings.IndexByte(sid, '"')]
	}
	code, body := get("EIO=4&transport=polling", http.MethodGet, "")
	if code != http.StatusTooManyRequests || body != `{"code":7,"message":"too many requests; try again later"}` {
		t.Errorf("3rd handshake: %d %s", code, body)
	}
	for range 5 {
		if code, body := get("EIO=4&transport=polling&sid="+sid, http.MethodPost, "2"); code != http.StatusOK {
			t.Fatalf("POST with sid: %d %s", code, body)
		}
	}
	if code, _ := get("EIO=4&transport=polling", http.MethodPost, "2"); code != http.StatusBadRequest {
		t.Errorf("POST handshake: %d, want 400 (refused before the limit)", code)
	}
}

type nopHandler struct{}

func (nopHandler) OnOpen(*engineio.Session) engineio.SessionHandler { return nopSession{} }

type nopSession struct{}

func (nopSession) OnMessage([]byte, bool)  {}
func (nopSession) OnClose(engineio.Reason) {}
