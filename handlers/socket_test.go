package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"rtserver/handlers"
	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
)

// tokenVerifier accepts "tok-<user>" for the users below.
type tokenVerifier struct{}

var socketUsers = map[string]identity.Claims{ // test fixture, read-only
	"alice": {UserID: "alice", Name: "Alice", Teams: []string{"red"}, TokenID: "j-alice", SessionID: "s-alice"},
	"bob":   {UserID: "bob", Name: "Bob", Teams: []string{"red"}, TokenID: "j-bob", SessionID: "s-bob"},
	"carol": {UserID: "carol", Name: "Carol", Teams: []string{"blue"}, TokenID: "j-carol", SessionID: "s-carol"},
	"brief": {UserID: "brief", Name: "Brief"}, // credential expires at once
	"admin": {UserID: "admin", Name: "Admin", Roles: []string{"admin"}, TokenID: "j-admin", SessionID: "s-admin"},
	"dave":  {UserID: "dave", Name: "Dave", Roles: []string{"admin"}, TokenID: "j-dave", SessionID: "s-dave"},
}

func (tokenVerifier) VerifyToken(_ context.Context, token string) (identity.Claims, error) {
	switch token {
	case "tok-alice-short": // alice, for 300ms
		c := socketUsers["alice"]
		c.IssuedAt, c.Expires = time.Now(), time.Now().Add(300*time.Millisecond)
		return c, nil
	case "tok-admin-2": // admin, another login (session) of the same user
		c := socketUsers["admin"]
		c.TokenID, c.SessionID = "j-admin-2", "s-admin-2"
		c.Expires = time.Now().Add(time.Hour)
		return c, nil
	case "tok-alice-noteam": // alice, removed from her team since
		c := socketUsers["alice"]
		c.Teams, c.TokenID = nil, "j-alice-2"
		c.IssuedAt, c.Expires = time.Now(), time.Now().Add(time.Hour)
		return c, nil
	}
	if c, ok := socketUsers[strings.TrimPrefix(token, "tok-")]; ok && strings.HasPrefix(token, "tok-") {
		c.Expires = time.Now().Add(time.Hour)
		if c.UserID == "brief" {
			c.Expires = time.Now().Add(100 * time.Millisecond)
		}
		return c, nil
	}
	return identity.Claims{}, apierr.New(apierr.InvalidToken)
}

func (tokenVerifier) VerifySession(context.Context, string) (identity.Claims, error) {
	return identity.Claims{}, apierr.New(apierr.InvalidToken)
}

// teamPolicy: public names for everyone, team:<t> for members only.
type teamPolicy struct{}

func (teamPolicy) CanJoin(c identity.Claims, room string) error {
	if t, ok := strings.CutPrefix(room, "team:"); ok {
		for _, have := range c.Teams {
			if have == t {
				return nil
			}
		}
		return fmt.Errorf("not in team %s", t)
	}
	if strings.Contains(room, ":") {
		return fmt.Errorf("not joinable")
	}
	return nil
}

// newSocketServer serves the namespaces over httptest with deps d.
func newSocketServer(t *testing.T, d handlers.SocketDeps) string {
	t.Helper()
	_, _, base := startSockets(t, d)
	return base
}

// startSockets serves the namespaces over httptest with deps d (fakes
// filled in) and returns the server, the deps used and the polling URL.
func startSockets(t *testing.T, d handlers.SocketDeps) (*socketio.Server, handlers.SocketDeps, string) {
	t.Helper()
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Verifier == nil {
		d.Verifier = tokenVerifier{}
	}
	if d.Rooms == nil {
		d.Rooms = teamPolicy{}
	}
	if d.Sockets == nil {
		d.Sockets = handlers.NewTracker()
	}
	if d.Chat == nil {
		fs := newFakeStore()
		d.Chat, d.Inbox, d.Users = fs, fs, fs
	}
	d.Auth = middleware.AuthOptions{Credentials: identity.NewCredentials(nil, middleware.NewOrigins(nil).HasAllowedOrigin, handlers.SessionCookie)}
	handlers.Namespaces(srv, d)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return srv, d, ts.URL + "/socket.io/?EIO=4&transport=polling"
}

// pollClient is a minimal Engine.IO v4 polling client speaking Socket.IO
// packets as strings; it is used from one goroutine.
type pollClient struct {
	t     *testing.T
	url   string
	queue []string
	ackID int
	// held are the packets call read past while waiting for its ack.
	held []string
}

func dial(t *testing.T, base string) *pollClient {
	t.Helper()
	c := &pollClient{t: t}
	body := c.do(http.MethodGet, base, "")
	var hs struct {
		SID string `json:"sid"`
	}
	if !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &hs) != nil {
		t.Fatalf("handshake: %q", body)
	}
	c.url = base + "&sid=" + hs.SID
	return c
}

func (c *pollClient) do(method, url, body string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %s", method, res.StatusCode, b)
	}
	return string(b)
}

// send posts one Socket.IO packet (Engine.IO message "4" + packet).
func (c *pollClient) send(packet string) { c.t.Helper(); c.do(http.MethodPost, c.url, "4"+packet) }

// recv returns the next Socket.IO packet, answering pings.
func (c *pollClient) recv() string {
	c.t.Helper()
	for {
		for len(c.queue) > 0 {
			p := c.queue[0]
			c.queue = c.queue[1:]
			switch {
			case p == "2":
				c.do(http.MethodPost, c.url, "3")
			case strings.HasPrefix(p, "4"):
				return p[1:]
			case p == "1":
				return "closed"
			}
		}
		c.queue = strings.Split(c.do(http.MethodGet, c.url, ""), "\x1e")
	}
}

// connect sends CONNECT to nsp with auth and returns the reply packet.
func (c *pollClient) connect(nsp, auth string) string {
	c.t.Helper()
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	c.send(prefix + auth)
	return c.recv()
}

// call emits event with args and an ack id in nsp and returns the ack's
// first argument, decoded.
func (c *pollClient) call(nsp, event string, args ...any) map[string]any {
	c.t.Helper()
	c.ackID++
	payload, _ := json.Marshal(append([]any{event}, args...))
	prefix := "2"
	if nsp != "/" {
		prefix += nsp + ","
	}
	c.send(fmt.Sprintf("%s%d%s", prefix, c.ackID, payload))
	want := "3"
	if nsp != "/" {
		want += nsp + ","
	}
	want += fmt.Sprint(c.ackID)
	for {
		p := c.recv()
		if p == "closed" {
			c.t.Fatalf("%s %s: connection closed", nsp, event)
		}
		if rest, ok := strings.CutPrefix(p, want); ok {
			var out []map[string]any
			if err := json.Unmarshal([]byte(rest), &out); err != nil || len(out) != 1 {
				c.t.Fatalf("ack %q: %v", p, err)
			}
			return out[0]
		}
		c.held = append(c.held, p)
	}
}

// rawEvent returns the first argument of the next event named name in
// nsp, skipping other packets.
func (c *pollClient) rawEvent(nsp, name string) []byte {
	c.t.Helper()
	prefix := "2"
	if nsp != "/" {
		prefix += nsp + ","
	}
	prefix += `["` + name + `",`
	for {
		var p string
		if len(c.held) > 0 {
			p, c.held = c.held[0], c.held[1:]
		} else if p = c.recv(); p == "closed" {
			c.t.Fatalf("%s: closed while waiting for %s", nsp, name)
		}
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			return []byte(strings.TrimSuffix(rest, "]"))
		}
	}
}

// event decodes the next event named name in nsp into a T.
func event[T any](c *pollClient, nsp, name string) T {
	c.t.Helper()
	var v T
	raw := c.rawEvent(nsp, name)
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatalf("event %s %s: %v", name, raw, err)
	}
	return v
}

func errCode(res map[string]any) string {
	e, _ := res["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestSocketConnectRefusals(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{})
	tests := []struct{ nsp, auth, want string }{
		{"/", `{}`, `4{"message":"unauthorized","data":{"code":"missing_token"}}`},
		{"/", `{"token":"nope"}`, `4{"message":"unauthorized","data":{"code":"invalid_token"}}`},
		{"/", `{"token":5}`, `4{"message":"unauthorized","data":{"code":"invalid_token"}}`},
		{"/chat", `{}`, `4/chat,{"message":"unauthorized","data":{"code":"missing_token"}}`},
		{"/admin", `{"token":"tok-alice"}`, `4/admin,{"message":"forbidden","data":{"code":"forbidden"}}`},
	}
	for _, tt := range tests {
		c := dial(t, base)
		if got := c.connect(tt.nsp, tt.auth); got != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.nsp, tt.auth, got, tt.want)
		}
	}
}

func TestSocketRootAndChat(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{MaxText: 10})
	c := dial(t, base)
	if got := c.connect("/", `{"token":"tok-alice"}`); !strings.HasPrefix(got, `0{"sid":`) {
		t.Fatalf("connect /: %q", got)
	}
	who := c.call("/", "whoami")
	user, _ := who["user"].(map[string]any)
	if who["ok"] != true || user["id"] != "alice" || user["name"] != "Alice" {
		t.Errorf("whoami = %v", who)
	}
	if got := c.connect("/chat", `{"token":"tok-alice"}`); !strings.HasPrefix(got, `0/chat,{"sid":`) {
		t.Fatalf("connect /chat: %q", got)
	}
	cases := []struct {
		event string
		args  []any
		code  string // "" for ok
	}{
		{"join", []any{"team:blue"}, "forbidden"},
		{"join", []any{42}, "bad_request"},
		{"join", []any{"lobby"}, ""},
		{"join", []any{"team:red"}, ""},
		{"message", []any{map[string]any{"room": "team:blue", "text": "x"}}, "forbidden"},
		{"message", []any{map[string]any{"room": "lobby", "text": "0123456789a"}}, "bad_request"},
		{"message", []any{map[string]any{"room": "lobby"}}, "bad_request"},
		{"message", []any{map[string]any{"room": "lobby", "text": "a\x00b"}}, "bad_request"},
		{"message", []any{map[string]any{"room": "lobby", "text": "hi"}}, ""},
		{"leave", []any{"lobby"}, ""},
		{"message", []any{map[string]any{"room": "lobby", "text": "hi"}}, "forbidden"},
	}
	for _, tc := range cases {
		res := c.call("/chat", tc.event, tc.args...)
		if tc.code == "" && res["ok"] != true {
			t.Errorf("%s %v: %v, want ok", tc.event, tc.args, res)
		}
		if tc.code != "" && (res["ok"] != false || errCode(res) != tc.code) {
			t.Errorf("%s %v: %v, want %s", tc.event, tc.args, res, tc.code)
		}
	}
}

func TestSocketAuthenticateAfterConnect(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{AuthAfterConnect: true, AuthTimeout: 5 * time.Second})
	c := dial(t, base)
	if got := c.connect("/", `{}`); !strings.HasPrefix(got, `0{"sid":`) {
		t.Fatalf("connect /: %q", got)
	}
	for _, ev := range []string{"whoami", "anything"} {
		if res := c.call("/", ev); errCode(res) != "unauthenticated" {
			t.Errorf("%s before authenticate: %v", ev, res)
		}
	}
	if res := c.call("/", "authenticate", "str"); errCode(res) != "bad_request" {
		t.Errorf("authenticate with a string: %v", res)
	}
	if res := c.call("/", "authenticate", map[string]any{"token": "nope"}); errCode(res) != "unauthenticated" {
		t.Errorf("authenticate with a bad token: %v", res)
	}
	if res := c.call("/", "authenticate", map[string]any{"token": "tok-carol"}); res["ok"] != true {
		t.Errorf("authenticate: %v", res)
	}
	if res := c.call("/", "whoami"); res["ok"] != true {
		t.Errorf("whoami after authenticate: %v", res)
	}
}

func TestSocketAuthenticateTimeout(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{AuthAfterConnect: true, AuthTimeout: 200 * time.Millisecond})
	c := dial(t, base)
	c.connect("/", `{}`)
	// Server-side Disconnect: the client gets DISCONNECT ("io server disconnect").
	for {
		p := c.recv()
		if p == "1" || p == "closed" {
			return
		}
		if p != "" && p[0] != '2' && p[0] != '3' {
			t.Fatalf("unexpected packet %q", p)
		}
	}
}

func TestSocketEventRate(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{EventRate: 0.001, EventBurst: 2})
	c := dial(t, base)
	c.connect("/", `{"token":"tok-alice"}`)
	for i := range 2 {
		if res := c.call("/", "whoami"); res["ok"] != true {
			t.Fatalf("event %d within the burst: %v", i, res)
		}
	}
	if res := c.call("/", "whoami"); errCode(res) != "rate_limited" {
		t.Errorf("event past the burst: %v", res)
	}
	// Refusals have a burst of their own: one more is still answered,
	// the next ends the socket.
	if res := c.call("/", "whoami"); errCode(res) != "rate_limited" {
		t.Errorf("second refused event: %v", res)
	}
	c.send(`25["whoami"]`)
	if p := c.recv(); p != "1" {
		t.Errorf("flooding socket got %q, want DISCONNECT", p)
	}
}

func TestSocketKickAndOnline(t *testing.T) {
	t.Parallel()
	tracker := handlers.NewTracker()
	base := newSocketServer(t, handlers.SocketDeps{Sockets: tracker})
	carol := dial(t, base)
	carol.connect("/", `{"token":"tok-carol"}`)
	carol.connect("/chat", `{"token":"tok-carol"}`)
	adm := dial(t, base)
	if got := adm.connect("/admin", `{"token":"tok-admin"}`); !strings.HasPrefix(got, `0/admin,{"sid":`) {
		t.Fatalf("connect /admin: %q", got)
	}
	online := adm.call("/admin", "online")
	users, _ := online["users"].([]any)
	if online["ok"] != true || len(users) != 2 {
		t.Fatalf("online = %v", online)
	}
	if res := adm.call("/admin", "kick", "carol"); errCode(res) != "bad_request" {
		t.Errorf("kick with a string: %v", res)
	}
	if res := adm.call("/admin", "kick", map[string]any{"user": "carol"}); res["ok"] != true || res["sockets"] != float64(2) {
		t.Errorf("kick = %v", res)
	}
	// carol gets DISCONNECT in both namespaces.
	got := map[string]bool{}
	for len(got) < 2 {
		p := carol.recv()
		if p == "closed" {
			break
		}
		if p == "1" || p == "1/chat," {
			got[p] = true
		}
	}
	if !got["1"] || !got["1/chat,"] {
		t.Errorf("carol's DISCONNECT packets: %v", got)
	}
}

func TestSocketCapPerUser(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{MaxSocketsPerUser: 2})
	c := dial(t, base)
	c.connect("/", `{"token":"tok-alice"}`)
	if got := c.connect("/chat", `{"token":"tok-alice"}`); !strings.HasPrefix(got, `0/chat,{"sid":`) {
		t.Fatalf("second socket: %q", got)
	}
	other := dial(t, base)
	if got := other.connect("/", `{"token":"tok-alice"}`); got != `4{"message":"forbidden","data":{"code":"rate_limited"}}` {
		t.Errorf("third socket: %q", got)
	}
	if got := other.connect("/", `{"token":"tok-carol"}`); !strings.HasPrefix(got, `0{"sid":`) {
		t.Errorf("another user: %q", got)
	}
}

func TestSocketEndsAtCredentialExpiry(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{ExpiryGrace: time.Millisecond})
	c := dial(t, base)
	c.connect("/", `{"token":"tok-brief"}`)
	start := time.Now()
	for {
		p := c.recv()
		if p == "1" {
			break
		}
		if p == "closed" || time.Since(start) > 3*time.Second {
			t.Fatalf("no DISCONNECT after expiry (last packet %q)", p)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("disconnected after %v", d)
	}
}
