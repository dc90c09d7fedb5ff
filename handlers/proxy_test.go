package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"rtserver/handlers"
	"rtserver/middleware"
)

// trustedPeer is the peer address env.do sends from (192.0.2.10).
const trustedPeer = "192.0.2.10"

// TestSessionCookieBehindProxy: the session cookie is Secure when the
// request reached a TLS-terminating proxy, which is believed only from a
// peer on TRUSTED_PROXIES; the same decision makes https://host the page's
// own origin for /login, /token and /logout.
func TestSessionCookieBehindProxy(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		xfp     []string // X-Forwarded-Proto lines; nil: none
		secure  bool
	}{
		{"trusted https", []string{trustedPeer}, []string{"https"}, true},
		{"trusted range", []string{"192.0.2.0/24"}, []string{"HTTPS"}, true},
		{"trusted http", []string{trustedPeer}, []string{"http"}, false},
		{"trusted no header", []string{trustedPeer}, nil, false},
		{"untrusted https", nil, []string{"https"}, false},
		{"other proxy https", []string{"192.0.2.11"}, []string{"https"}, false},
		// A proxy that appends to the client's own header: one hop was
		// plain HTTP, so the request was not HTTPS end to end.
		{"appended http", []string{trustedPeer}, []string{"https, http"}, false},
		{"two lines one http", []string{trustedPeer}, []string{"https", "http"}, false},
		{"garbage", []string{trustedPeer}, []string{"https;x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := middleware.NewProxies(tt.proxies)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvWith(t, func(d *handlers.Deps) { d.TrustedProxies, d.Origins = p, d.Origins.WithProxies(p) })
			var hdr []string
			for _, v := range tt.xfp {
				hdr = append(hdr, "X-Forwarded-Proto", v)
			}
			req := func(method, path, body string, extra ...string) *http.Response {
				t.Helper()
				all := append(append([]string{jsonCT, "application/json"}, extra...), hdr...)
				rec := e.doMulti(method, path, body, all...)
				return rec.Result()
			}
			res := req(http.MethodPost, "/login", `{"username":"alice","password":"alice-pass"}`)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("login: %d", res.StatusCode)
			}
			if got := cookieSecure(res); got != tt.secure {
				t.Errorf("login cookie %q: Secure %v, want %v", res.Header.Get("Set-Cookie"), got, tt.secure)
			}
			// https://example.com is the page's own origin exactly when
			// the request counts as HTTPS (httptest's Host is example.com).
			// /token without a credential is 401 past the Origin check.
			for _, c := range []struct {
				path string
				ok   int
			}{{"/login", http.StatusOK}, {"/token", http.StatusUnauthorized}, {"/logout", http.StatusUnauthorized}} {
				want := map[bool]int{true: c.ok, false: http.StatusForbidden}[tt.secure]
				res := req(http.MethodPost, c.path, `{"username":"alice","password":"alice-pass"}`, "Origin", "https://example.com")
				if res.StatusCode != want {
					t.Errorf("%s from https://example.com: %d, want %d", c.path, res.StatusCode, want)
				}
			}
			res = req(http.MethodPost, "/logout", "", "Authorization", "Bearer tok-alice")
			if res.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %d", res.StatusCode)
			}
			if got := cookieSecure(res); got != tt.secure {
				t.Errorf("logout cookie %q: Secure %v, want %v", res.Header.Get("Set-Cookie"), got, tt.secure)
			}
		})
	}
}

func cookieSecure(res *http.Response) bool {
	for _, c := range res.Cookies() {
		if c.Name == handlers.SessionCookie {
			return c.Secure
		}
	}
	return false
}

// doMulti is env.do that adds (rather than sets) repeated headers.
func (e *env) doMulti(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = trustedPeer + ":5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}
