package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/handlers"
	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
)

// uiAuth is the identity of the Admin UI tests: admin (role admin) and
// alice (none), with passwords <name>-pass; each login opens session
// "ui-<name>", which Revoke ends.
type uiAuth struct {
	mu      sync.Mutex
	revoked map[string]bool // session ids
}

var uiUsers = map[string]identity.Claims{ // test fixture, read-only
	"admin": {UserID: "admin", Name: "Admin", Roles: []string{"admin"}},
	"alice": {UserID: "alice", Name: "Alice"},
}

func (f *uiAuth) Login(_ context.Context, user, pass string) (identity.LoginResult, error) {
	c, ok := uiUsers[user]
	if !ok || pass != user+"-pass" {
		return identity.LoginResult{}, apierr.New(apierr.InvalidCredentials)
	}
	c.TokenID, c.SessionID = "j-ui-"+user, "ui-"+user
	exp := time.Now().Add(time.Hour)
	c.Expires = exp
	return identity.LoginResult{Token: "tok-" + user, ExpiresAt: exp, SessionID: c.SessionID, SessionExpiresAt: exp, Claims: c}, nil
}

func (f *uiAuth) VerifySession(_ context.Context, sid string) (identity.Claims, error) {
	user, ok := strings.CutPrefix(sid, "ui-")
	c, known := uiUsers[user]
	if !ok || !known {
		return identity.Claims{}, apierr.New(apierr.InvalidToken)
	}
	if f.isRevoked(sid) {
		return identity.Claims{}, apierr.New(apierr.Revoked)
	}
	c.SessionID, c.Expires = sid, time.Now().Add(time.Hour)
	return c, nil
}

func (f *uiAuth) VerifyToken(context.Context, string) (identity.Claims, error) {
	return identity.Claims{}, apierr.New(apierr.InvalidToken)
}

func (f *uiAuth) Revoke(_ context.Context, c identity.Claims) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.revoked == nil {
		f.revoked = map[string]bool{}
	}
	f.revoked[c.SessionID] = true
	return nil
}

func (f *uiAuth) isRevoked(sid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revoked[sid]
}

// uiEnv is the product's namespaces, the Admin UI namespace /admin-ui and
// the HTTP routes on one httptest server, sharing one tracker and one login
// limiter (5 failures a minute).
type uiEnv struct {
	base    string // http://127.0.0.1:port
	poll    string // the polling URL
	auth    *uiAuth
	sockets *handlers.Tracker
}

func startAdminUI(t *testing.T, d handlers.SocketDeps) *uiEnv {
	t.Helper()
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &uiEnv{auth: &uiAuth{}, sockets: handlers.NewTracker()}
	limiter := handlers.NewLoginLimiter(5, time.Minute, nil)
	d.Verifier, d.Rooms, d.Sockets = tokenVerifier{}, teamPolicy{}, e.sockets
	fs := newFakeStore()
	d.Chat, d.Inbox, d.Users = fs, fs, fs
	d.Auth = middleware.AuthOptions{Credentials: identity.NewCredentials(nil, middleware.NewOrigins(nil).HasAllowedOrigin, handlers.SessionCookie)}
	handlers.Namespaces(srv, d)
	a, err := handlers.AdminUI(srv, handlers.AdminUIDeps{
		Log: slog.New(slog.NewTextHandler(tWriter{t}, nil)), Namespace: "/admin-ui", ServerID: "test",
		Authn: e.auth, Sessions: e.auth, Revoker: e.auth, Limiter: limiter, Sockets: e.sockets,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := handlers.Router(handlers.Deps{
		Origins: middleware.NewOrigins(nil), Authn: e.auth, Verifier: e.auth, Revoker: e.auth,
		Limiter: limiter, Sockets: e.sockets, Ready: func(context.Context) error { return nil },
		Files: fstest.MapFS{"index.html": {Data: []byte("x")}}, IO: srv,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(r)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.Close()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	e.base = ts.URL
	e.poll = ts.URL + "/socket.io/?EIO=4&transport=polling"
	return e
}

// tWriter logs to the test.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// postLogin posts username and password to POST /login and returns the status.
func (e *uiEnv) postLogin(t *testing.T, user, pass string) int {
	t.Helper()
	res, err := http.Post(e.base+"/login", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

const (
	uiRefused = `4/admin-ui,{"message":"invalid credentials","data":{"code":"`
	uiOK      = `0/admin-ui,{"sid":`
)

func TestAdminUIRefusedCredentials(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{})
	for _, tc := range []struct{ auth, code string }{
		{`{}`, ""}, // no credentials: refused by socketio/admin, without a code
		{`{"username":"admin","password":"wrong"}`, "invalid_credentials"},
		{`{"username":"nobody","password":"nobody-pass"}`, "invalid_credentials"},
		{`{"sessionId":"not-a-session"}`, "invalid_token"},
		{`{"sessionId":"ui-alice"}`, "forbidden"}, // a live session of a non-admin
		{`{"username":"alice","password":"alice-pass"}`, "forbidden"},
		{`{"sessionId":"ui-alice"}`, "revoked"}, // the login above revoked it
	} {
		got := dial(t, e.poll).connect("/admin-ui", tc.auth)
		want := uiRefused + tc.code + `"}}`
		if tc.code == "" {
			want = `4/admin-ui,{"message":"invalid credentials"}`
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", tc.auth, got, want)
		}
	}
	if n := e.sockets.Len(); n != 0 {
		t.Errorf("%d sockets tracked after refusals", n)
	}
}

func TestAdminUIRefusesANonAdminAndRevokesItsSession(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{})
	if got := dial(t, e.poll).connect("/admin-ui", `{"username":"alice","password":"alice-pass"}`); !strings.HasPrefix(got, uiRefused+`forbidden"`) {
		t.Fatalf("alice: %q", got)
	}
	if !e.auth.isRevoked("ui-alice") {
		t.Error("the session alice's login opened was not revoked")
	}
	if e.auth.isRevoked("ui-admin") {
		t.Error("admin's session revoked")
	}
}

// TestAdminUILoginLimitSharedWithLogin: the UI's password attempts and
// POST /login's count together per (username, IP): after 5 failures, 3
// over HTTP and 2 from the UI, the 6th is refused even with the right
// password, from the UI and over HTTP.
func TestAdminUILoginLimitSharedWithLogin(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{})
	for i := range 3 {
		if code := e.postLogin(t, "admin", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("POST /login %d: %d", i+1, code)
		}
	}
	for i := range 2 {
		if got := dial(t, e.poll).connect("/admin-ui", `{"username":"admin","password":"wrong"}`); !strings.HasPrefix(got, uiRefused+`invalid_credentials"`) {
			t.Fatalf("UI attempt %d: %q", i+1, got)
		}
	}
	if got := dial(t, e.poll).connect("/admin-ui", `{"username":"admin","password":"admin-pass"}`); got != uiRefused+`rate_limited"}}` {
		t.Errorf("6th attempt from the UI: %q", got)
	}
	if code := e.postLogin(t, "admin", "admin-pass"); code != http.StatusTooManyRequests {
		t.Errorf("6th attempt over HTTP: %d", code)
	}
	// Another username is not limited.
	if code := e.postLogin(t, "alice", "alice-pass"); code != http.StatusOK {
		t.Errorf("alice: %d", code)
	}
}

// TestAdminUILoginLimitCountsUIFailures: 5 failures from the UI alone
// block POST /login.
func TestAdminUILoginLimitCountsUIFailures(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{})
	for range 5 {
		dial(t, e.poll).connect("/admin-ui", `{"username":"admin","password":"wrong"}`)
	}
	if code := e.postLogin(t, "admin", "admin-pass"); code != http.StatusTooManyRequests {
		t.Errorf("POST /login after 5 UI failures: %d", code)
	}
}

// TestAdminUISessionEndsWithLogout: the UI's session id reconnects it; a
// POST /logout with it as the session cookie disconnects the UI and the
// id is refused afterwards.
func TestAdminUISessionEndsWithLogout(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{})
	c := dial(t, e.poll)
	if got := c.connect("/admin-ui", `{"username":"admin","password":"admin-pass"}`); !strings.HasPrefix(got, uiOK) {
		t.Fatalf("login: %q", got)
	}
	if sid := event[string](c, "/admin-ui", "session"); sid != "ui-admin" {
		t.Fatalf("session %q", sid)
	}
	again := dial(t, e.poll)
	if got := again.connect("/admin-ui", `{"sessionId":"ui-admin"}`); !strings.HasPrefix(got, uiOK) {
		t.Fatalf("with the session id: %q", got)
	}
	req, _ := http.NewRequest(http.MethodPost, e.base+"/logout", nil)
	req.AddCookie(&http.Cookie{Name: handlers.SessionCookie, Value: "ui-admin"})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	for _, cl := range []*pollClient{c, again} {
		if ended, why := cl.ended("/admin-ui", 3*time.Second); !ended {
			t.Errorf("UI socket not disconnected by the logout (%s)", why)
		}
	}
	if got := dial(t, e.poll).connect("/admin-ui", `{"sessionId":"ui-admin"}`); got != uiRefused+`revoked"}}` {
		t.Errorf("the old session id after logout: %q", got)
	}
}

// TestAdminUISocketsDoNotCountAgainstTheCap: an admin watching the UI can
// still open MAX_SOCKETS_PER_USER sockets of the product (among them /admin,
// to kick or revoke), and the UI's sockets are not listed by /admin online.
func TestAdminUISocketsDoNotCountAgainstTheCap(t *testing.T) {
	t.Parallel()
	e := startAdminUI(t, handlers.SocketDeps{MaxSocketsPerUser: 1})
	for range 2 {
		if got := dial(t, e.poll).connect("/admin-ui", `{"username":"admin","password":"admin-pass"}`); !strings.HasPrefix(got, uiOK) {
			t.Fatalf("UI: %q", got)
		}
	}
	c := dial(t, e.poll)
	if got := c.connect("/admin", `{"token":"tok-admin"}`); !strings.HasPrefix(got, `0/admin,{"sid":`) {
		t.Fatalf("/admin with two UI sockets open: %q", got)
	}
	online := c.call("/admin", "online")
	users, _ := online["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["sockets"] != float64(1) {
		t.Errorf("online = %v, want admin with its one /admin socket", online)
	}
	if got := dial(t, e.poll).connect("/", `{"token":"tok-admin"}`); got != `4{"message":"forbidden","data":{"code":"rate_limited"}}` {
		t.Errorf("past the cap: %q", got)
	}
	// The UI's sockets are still tracked: a revoke of admin ends them.
	if n := e.sockets.DisconnectUser("admin"); n != 3 {
		t.Errorf("DisconnectUser ended %d sockets, want 3", n)
	}
}

func TestAdminUIFilesMissing(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := handlers.AdminUIFiles(slog.New(slog.NewTextHandler(&logs, nil)), fstest.MapFS{})
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "make setup-node") {
		t.Errorf("no warning naming the fix: %q", logs.String())
	}
	for _, p := range []string{"/admin-ui/", "/admin-ui/assets/app.js"} {
		r := gin.New()
		r.GET("/admin-ui/*file", h)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make setup-node") {
			t.Errorf("%s: %d %q", p, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, got)
		}
	}
}

// TestAdminUIFilesIconFont: the vendored icon font (make setup-node's
// public/adminui/mdi/) keeps its link on the page and is served with its
// font type under the UI's policy, which allows fonts from here; the CDN
// links left in a page are dropped.
func TestAdminUIFilesIconFont(t *testing.T) {
	t.Parallel()
	page := `<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">` +
		`<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@mdi/font@latest/css/materialdesignicons.min.css">` +
		`<link rel="stylesheet" href="mdi/css/materialdesignicons.min.css">`
	files := fstest.MapFS{
		"index.html":                                  {Data: []byte(page)},
		"mdi/css/materialdesignicons.min.css":         {Data: []byte(`@font-face{}`)},
		"mdi/fonts/materialdesignicons-webfont.woff2": {Data: []byte("wOF2")},
		"mdi/fonts/materialdesignicons-webfont.woff":  {Data: []byte("wOFF")},
	}
	r := gin.New()
	r.GET("/admin-ui/*file", handlers.AdminUIFiles(nil, files))
	get := func(p string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		return rec
	}
	if body := get("/admin-ui/").Body.String(); body != `<link rel="stylesheet" href="mdi/css/materialdesignicons.min.css">` {
		t.Errorf("page: %q", body)
	}
	for p, ctype := range map[string]string{
		"/admin-ui/mdi/css/materialdesignicons.min.css":                  "text/css; charset=utf-8",
		"/admin-ui/mdi/fonts/materialdesignicons-webfont.woff2?v=7.4.47": "font/woff2",
		"/admin-ui/mdi/fonts/materialdesignicons-webfont.woff?v=7.4.47":  "font/woff",
	} {
		rec := get(p)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ctype {
			t.Errorf("%s: %d %q", p, rec.Code, rec.Header().Get("Content-Type"))
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "font-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}
