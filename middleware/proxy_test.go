package middleware_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gin-gonic/gin"

	"rtserver/middleware"
)

func mustProxies(t *testing.T, list ...string) *middleware.Proxies {
	t.Helper()
	p, err := middleware.NewProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewProxiesRefusesGarbage(t *testing.T) {
	for _, bad := range []string{"proxy.internal", "10.0.0.0/33", "1.2.3", ""} {
		if _, err := middleware.NewProxies([]string{bad}); err == nil {
			t.Errorf("NewProxies(%q) accepted", bad)
		}
	}
}

// TestProxiesIsHTTPS: X-Forwarded-Proto counts only from a trusted peer,
// and only when every value it holds is https.
func TestProxiesIsHTTPS(t *testing.T) {
	trusted := mustProxies(t, "10.0.0.0/8", "::1")
	tests := []struct {
		name    string
		proxies *middleware.Proxies
		peer    string
		tls     bool
		xfp     []string
		want    bool
	}{
		{"plain", trusted, "10.1.2.3:1", false, nil, false},
		{"tls", nil, "203.0.113.1:1", true, nil, true},
		{"tls ignores header", nil, "203.0.113.1:1", true, []string{"http"}, true},
		{"trusted https", trusted, "10.1.2.3:1", false, []string{"https"}, true},
		{"trusted HTTPS", trusted, "10.1.2.3:1", false, []string{" HTTPS "}, true},
		{"trusted ipv6", trusted, "[::1]:1", false, []string{"https"}, true},
		{"trusted v4-mapped", trusted, "[::ffff:10.1.2.3]:1", false, []string{"https"}, true},
		{"trusted http", trusted, "10.1.2.3:1", false, []string{"http"}, false},
		{"trusted empty", trusted, "10.1.2.3:1", false, []string{""}, false},
		{"trusted list all https", trusted, "10.1.2.3:1", false, []string{"https, https"}, true},
		{"trusted appended http", trusted, "10.1.2.3:1", false, []string{"https, http"}, false},
		{"trusted client's http first", trusted, "10.1.2.3:1", false, []string{"http", "https"}, false},
		{"untrusted https", trusted, "203.0.113.1:1", false, []string{"https"}, false},
		{"nil proxies https", nil, "10.1.2.3:1", false, []string{"https"}, false},
		{"no peer", trusted, "", false, []string{"https"}, false},
		{"peer without port", trusted, "10.1.2.3", false, []string{"https"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
			r.RemoteAddr = tt.peer
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range tt.xfp {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := tt.proxies.IsHTTPS(r); got != tt.want {
				t.Errorf("IsHTTPS = %v, want %v", got, tt.want)
			}
			if want := map[bool]string{true: "https", false: "http"}[tt.want]; tt.proxies.Scheme(r) != want {
				t.Errorf("Scheme = %q, want %q", tt.proxies.Scheme(r), want)
			}
		})
	}
}

// TestProxiesClientIPAgreesWithGin: the engine's handshake limit and gin's
// handlers (the login limit, the request log) see the same client.
func TestProxiesClientIPAgreesWithGin(t *testing.T) {
	lists := [][]string{nil, {"10.0.0.1"}, {"10.0.0.0/8", "192.0.2.0/24"}, {"::1", "127.0.0.1"}}
	tests := []struct {
		name string
		peer string
		hdr  map[string][]string
		want map[int]string // by index of lists; missing: the peer
	}{
		{"no header", "10.0.0.1:1", nil, nil},
		{"one hop", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"203.0.113.9"}},
			map[int]string{1: "203.0.113.9", 2: "203.0.113.9"}},
		{"spoofed then real", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9"}},
			map[int]string{1: "203.0.113.9", 2: "203.0.113.9"}},
		{"chain of trusted", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"203.0.113.9, 192.0.2.5"}},
			map[int]string{1: "192.0.2.5", 2: "203.0.113.9"}},
		{"all trusted", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"10.0.0.7, 10.0.0.8"}},
			map[int]string{1: "10.0.0.8", 2: "10.0.0.7"}},
		{"two lines", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"203.0.113.9", "192.0.2.5"}},
			map[int]string{1: "192.0.2.5", 2: "203.0.113.9"}},
		{"garbage", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"not-an-ip"}}, nil},
		{"garbage then real", "10.0.0.1:1", map[string][]string{"X-Forwarded-For": {"203.0.113.9, nope"}}, nil},
		{"real ip header", "10.0.0.1:1", map[string][]string{"X-Real-Ip": {"203.0.113.4"}},
			map[int]string{1: "203.0.113.4", 2: "203.0.113.4"}},
		{"untrusted peer", "203.0.113.50:1", map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, nil},
		{"ipv6 peer", "[::1]:1", map[string][]string{"X-Forwarded-For": {"2001:db8::9"}},
			map[int]string{3: "2001:db8::9"}},
		{"ipv4 loopback", "127.0.0.1:1", map[string][]string{"X-Forwarded-For": {"2001:db8::9"}},
			map[int]string{3: "2001:db8::9"}},
	}
	for li, list := range lists {
		p := mustProxies(t, list...)
		eng := gin.New()
		if err := eng.SetTrustedProxies(p.List()); err != nil {
			t.Fatal(err)
		}
		var ginIP string
		eng.GET("/", func(c *gin.Context) { ginIP = c.ClientIP() })
		for _, tt := range tests {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for k, vs := range tt.hdr {
				r.Header[k] = vs
			}
			eng.ServeHTTP(httptest.NewRecorder(), r)
			got := p.ClientIP(r)
			if g := netip.MustParseAddr(ginIP); g != got {
				t.Errorf("list %v, %s: ClientIP %v, gin %v", list, tt.name, got, ginIP)
			}
			want, ok := tt.want[li]
			if !ok {
				want = netip.MustParseAddrPort(tt.peer).Addr().String()
			}
			if got.String() != want {
				t.Errorf("list %v, %s: ClientIP %v, want %v", list, tt.name, got, want)
			}
		}
	}
}

// TestOriginsBehindProxy: the server's own origin is https://host when a
// trusted proxy says the client used HTTPS, for the CSRF check, the
// handshake check and the cookie rule alike.
func TestOriginsBehindProxy(t *testing.T) {
	plain := middleware.NewOrigins(nil)
	behind := plain.WithProxies(mustProxies(t, "10.0.0.1"))
	tests := []struct {
		name   string
		o      *middleware.Origins
		peer   string
		origin string
		want   bool
	}{
		{"trusted https origin", behind, "10.0.0.1:1", "https://example.com", true},
		{"trusted http origin", behind, "10.0.0.1:1", "http://example.com", false},
		{"untrusted https origin", behind, "10.0.0.2:1", "https://example.com", false},
		{"untrusted http origin", behind, "10.0.0.2:1", "http://example.com", true},
		{"no proxies https origin", plain, "10.0.0.1:1", "https://example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/socket.io/", nil)
			r.RemoteAddr = tt.peer
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("Origin", tt.origin)
			if got := tt.o.Check(r); got != tt.want {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
			if got := tt.o.HasAllowedOrigin(r); got != tt.want {
				t.Errorf("HasAllowedOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}
