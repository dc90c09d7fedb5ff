package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"rtserver/handlers"
	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// fakeAuth implements Authenticator, Verifier and Revoker over fixed users.
type fakeAuth struct {
	mu      sync.Mutex
	revoked map[string]bool // token ids and session ids
	ready   error
}

var demo = map[string]identity.Claims{ // test fixture, read-only
	"alice": {UserID: "u-alice", Name: "alice", Roles: []string{}},
}

func (f *fakeAuth) Login(_ context.Context, user, pass string) (identity.LoginResult, error) {
	c, ok := demo[user]
	if !ok || pass != user+"-pass" {
		return identity.LoginResult{}, apierr.New(apierr.InvalidCredentials)
	}
	c.TokenID, c.SessionID = "jti-1", "sess-1"
	return identity.LoginResult{Token: "tok-" + user, ExpiresAt: time.Now().Add(time.Hour), SessionID: "sess-1", Claims: c}, nil
}

func (f *fakeAuth) VerifyToken(_ context.Context, token string) (identity.Claims, error) {
	if token != "tok-alice" {
		return identity.Claims{}, apierr.New(apierr.InvalidToken)
	}
	return f.check(identity.Claims{UserID: "u-alice", TokenID: "jti-1", SessionID: "sess-1"})
}

func (f *fakeAuth) VerifySession(_ context.Context, id string) (identity.Claims, error) {
	if id != "sess-1" {
		return identity.Claims{}, apierr.New(apierr.InvalidToken)
	}
	return f.check(identity.Claims{UserID: "u-alice", SessionID: "sess-1"})
}

func (f *fakeAuth) check(c identity.Claims) (identity.Claims, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revoked[c.TokenID] || f.revoked[c.SessionID] {
		return identity.Claims{}, apierr.New(apierr.Revoked)
	}
	return c, nil
}

func (f *fakeAuth) Revoke(_ context.Context, c identity.Claims) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revoked == nil {
		f.revoked = map[string]bool{}
	}
	f.revoked[c.TokenID], f.revoked[c.SessionID] = true, true
	return nil
}

type env struct {
	h       http.Handler
	auth    *fakeAuth
	sockets *handlers.Tracker
	logs    *bytes.Buffer
	now     *time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with edit applied to the Deps before Router.
func newEnvWith(t *testing.T, edit func(*handlers.Deps)) *env {
	t.Helper()
	e := &env{auth: &fakeAuth{}, sockets: handlers.NewTracker(), logs: &bytes.Buffer{}}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now = &now
	var files fs.FS = fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>x</title>")},
		"app.js":     {Data: []byte("'use strict';")},
		"style.css":  {Data: []byte("body{}")},
	}
	d := handlers.Deps{
		Log:      slog.New(slog.NewJSONHandler(&lockedWriter{w: e.logs}, nil)),
		Origins:  middleware.NewOrigins([]string{"https://app.example.com"}),
		Authn:    e.auth,
		Verifier: e.auth,
		Revoker:  e.auth,
		Limiter:  handlers.NewLoginLimiter(5, time.Minute, func() time.Time { return *e.now }),
		Sockets:  e.sockets,
		Ready:    func(context.Context) error { return e.auth.ready },
		Files:    files,
		IO: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}),
	}
	if edit != nil {
		edit(&d)
	}
	r, err := handlers.Router(d)
	if err != nil {
		t.Fatal(err)
	}
	e.h = r
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *env) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.10:5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

const jsonCT = "Content-Type"

func (e *env) login(body string, hdr ...string) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/login", body, append([]string{jsonCT, "application/json"}, hdr...)...)
}

func TestLoginOK(t *testing.T) {
	e := newEnv(t)
	rec := e.login(`{"username":"alice","password":"alice-pass"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{`"token":"tok-alice"`, `"tokenType":"Bearer"`, `"expiresAt":1`, `"user":{"id":"u-alice","name":"alice","teams":[],"roles":[]}`} {
		if !strings.Contains(body, want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	if strings.HasSuffix(body, "\n") {
		t.Error("trailing newline")
	}
	cookie := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"session=sess-1", "Path=/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie %q is Secure over plain HTTP", cookie)
	}
}

func TestLoginSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodPost, "https://example.com/login", strings.NewReader(`{"username":"alice","password":"alice-pass"}`))
	req.Header.Set(jsonCT, "application/json")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if c := rec.Header().Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("cookie %q not Secure over TLS", c)
	}
}

func TestLogin401ByteIdentical(t *testing.T) {
	e := newEnv(t)
	wrong := e.login(`{"username":"alice","password":"nope"}`)
	unknown := e.login(`{"username":"mallory","password":"nope"}`)
	if wrong.Code != http.StatusUnauthorized || unknown.Code != http.StatusUnauthorized {
		t.Fatalf("status %d / %d", wrong.Code, unknown.Code)
	}
	if !bytes.Equal(wrong.Body.Bytes(), unknown.Body.Bytes()) {
		t.Errorf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
	}
	if !bytes.Equal(wrong.Body.Bytes(), apierr.HTTPBody(apierr.InvalidCredentials)) {
		t.Errorf("body %s", wrong.Body)
	}
	for _, h := range []string{"Content-Type", "Set-Cookie", "Content-Length"} {
		if wrong.Header().Get(h) != unknown.Header().Get(h) {
			t.Errorf("header %s differs", h)
		}
	}
}

func TestLoginBadRequest(t *testing.T) {
	tests := []struct {
		name, ctype, body string
	}{
		{"form post", "application/x-www-form-urlencoded", "username=alice&password=alice-pass"},
		{"text/plain", "text/plain", `{"username":"alice","password":"alice-pass"}`},
		{"no content type", "", `{"username":"alice","password":"alice-pass"}`},
		{"empty body", "application/json", ""},
		{"not json", "application/json", "hello"},
		{"array", "application/json", `["alice","alice-pass"]`},
		{"missing password", "application/json", `{"username":"alice"}`},
		{"empty username", "application/json", `{"username":"","password":"x"}`},
		{"number", "application/json", `{"username":1,"password":"x"}`},
		{"unknown field", "application/json", `{"username":"alice","password":"alice-pass","admin":true}`},
		{"trailing data", "application/json", `{"username":"alice","password":"alice-pass"}{}`},
		{"truncated", "application/json", `{"username":"alice","password":"alice-pa`},
		{"too large", "application/json", `{"username":"alice","password":"` + strings.Repeat("x", 10000) + `"}`},
		{"null", "application/json", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			rec := e.do(http.MethodPost, "/login", tt.body, jsonCT, tt.ctype)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if !bytes.Equal(rec.Body.Bytes(), apierr.HTTPBody(apierr.BadRequest)) {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}

func TestLoginJSONWithCharset(t *testing.T) {
	e := newEnv(t)
	rec := e.do(http.MethodPost, "/login", `{"username":"alice","password":"alice-pass"}`, jsonCT, "application/json; charset=utf-8")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestLoginOrigin(t *testing.T) {
	tests := []struct {
		origin string
		want   int
	}{
		{"https://evil.example", http.StatusForbidden},
		{"https://app.example.com.evil.io", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"https://app.example.com", http.StatusOK},
		{"http://example.com", http.StatusOK}, // same origin (httptest host)
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			e := newEnv(t)
			rec := e.login(`{"username":"alice","password":"alice-pass"}`, "Origin", tt.origin)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == http.StatusOK && rec.Header().Get("Access-Control-Allow-Origin") != tt.origin && tt.origin != "http://example.com" {
				t.Errorf("no CORS header for an allowed origin")
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		// A spoofed X-Forwarded-For from an untrusted peer changes nothing.
		rec := e.login(`{"username":"alice","password":"wrong"}`, "X-Forwarded-For", "203.0.113."+string(rune('1'+i)))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i+1, rec.Code)
		}
		*e.now = e.now.Add(time.Second)
	}
	rec := e.login(`{"username":"alice","password":"alice-pass"}`)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: status %d", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "55" {
		t.Errorf("Retry-After %q, want 55", got)
	}
	if !bytes.Equal(rec.Body.Bytes(), apierr.HTTPBody(apierr.RateLimited)) {
		t.Errorf("body %s", rec.Body)
	}
	// Unknown users get the same treatment.
	for range 5 {
		e.login(`{"username":"mallory","password":"wrong"}`)
	}
	if rec := e.login(`{"username":"mallory","password":"wrong"}`); rec.Code != http.StatusTooManyRequests {
		t.Errorf("unknown user 6th attempt: %d", rec.Code)
	}
	// Another IP is not limited.
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(`{"username":"alice","password":"alice-pass"}`))
	req.Header.Set(jsonCT, "application/json")
	req.RemoteAddr = "198.51.100.1:1"
	other := httptest.NewRecorder()
	e.h.ServeHTTP(other, req)
	if other.Code != http.StatusOK {
		t.Errorf("other IP: %d", other.Code)
	}
	// After the window the user may try again.
	*e.now = e.now.Add(time.Minute)
	if rec := e.login(`{"username":"alice","password":"alice-pass"}`); rec.Code != http.StatusOK {
		t.Errorf("after the window: %d", rec.Code)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var ended []string
	end := func(name string) func() {
		return func() { mu.Lock(); ended = append(ended, name); mu.Unlock() }
	}
	e.sockets.Add(e.sockets.Begin(), "/#a", "u-alice", "alice", "jti-1", "sess-1", end("token"))
	e.sockets.Add(e.sockets.Begin(), "/#b", "u-alice", "alice", "", "sess-1", end("cookie"))
	e.sockets.Add(e.sockets.Begin(), "/#c", "u-alice", "alice", "jti-2", "sess-2", end("other session"))

	rec := e.do(http.MethodPost, "/logout", "", "Authorization", "Bearer tok-alice")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("body %q", rec.Body)
	}
	mu.Lock()
	got := strings.Join(ended, ",")
	mu.Unlock()
	if got != "token,cookie" && got != "cookie,token" {
		t.Errorf("disconnected %q", got)
	}
	if rec := e.do(http.MethodPost, "/logout", "", "Authorization", "Bearer tok-alice"); rec.Code != http.StatusUnauthorized {
		t.Errorf("second logout: %d", rec.Code)
	}
}

func TestLogoutRefused(t *testing.T) {
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"bad token", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized},
		{"basic auth", []string{"Authorization", "Basic YTpi"}, http.StatusUnauthorized},
		{"unknown cookie", []string{"Cookie", "session=zzz"}, http.StatusUnauthorized},
		{"foreign origin", []string{"Cookie", "session=sess-1", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"cookie", []string{"Cookie", "session=sess-1"}, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if rec := e.do(http.MethodPost, "/logout", "", tt.hdr...); rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	if rec := e.do(http.MethodGet, "/healthz", ""); rec.Code != http.StatusOK {
		t.Errorf("healthz %d", rec.Code)
	}
	if rec := e.do(http.MethodGet, "/readyz", ""); rec.Code != http.StatusOK {
		t.Errorf("readyz %d", rec.Code)
	}
	e.auth.ready = errors.New("sqlite: disk I/O error")
	rec := e.do(http.MethodGet, "/readyz", "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz when down: %d", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "sqlite") {
		t.Errorf("library text leaked: %s", rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/app.js", "/style.css", "/healthz", "/nope", "/lib/socket.io.min.js"} {
		rec := e.do(http.MethodGet, p, "")
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q", p, k, h.Get(k))
			}
		}
	}
	if rec := e.do(http.MethodGet, "/", ""); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("index: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// TestClientBundleMissing covers what a build without the client says.
}

func TestSocketIOMounted(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodOptions} {
		// A foreign Origin reaches the engine, which answers it (its CheckOrigin).
		if rec := e.do(m, "/socket.io/?EIO=4&transport=polling", "", "Origin", "https://evil.example"); rec.Code != http.StatusTeapot {
			t.Errorf("%s /socket.io/: %d", m, rec.Code)
		}
	}
}

func TestLogRedactsToken(t *testing.T) {
	e := newEnv(t)
	e.do(http.MethodGet, "/socket.io/?EIO=4&transport=polling&token=secret-jwt-value", "")
	e.do(http.MethodGet, "/healthz?tok%65n=other-secret&x=1", "")
	e.login(`{"username":"alice","password":"alice-pass"}`)
	logs := e.logs.String()
	for _, secret := range []string{"secret-jwt-value", "other-secret", "alice-pass", "tok-alice", "sess-1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "token=REDACTED") {
		t.Errorf("log lacks token=REDACTED:\n%s", logs)
	}
}
