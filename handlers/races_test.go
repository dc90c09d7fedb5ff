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

	"github.com/gin-gonic/gin"

	"rtserver/handlers"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// heldVerifier is tokenVerifier that holds the verification of a token
// ending in "+held" (the claims of the token without the suffix, decided
// before anything is revoked) until release is closed: the test revokes in
// between, so the socket registers after the revocation, every time.
type heldVerifier struct {
	tokenVerifier
	entered chan struct{}
	release chan struct{}
}

func newHeldVerifier() *heldVerifier {
	return &heldVerifier{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (v *heldVerifier) VerifyToken(ctx context.Context, token string) (identity.Claims, error) {
	base, held := strings.CutSuffix(token, "+held")
	var (
		c   identity.Claims
		err error
	)
	if base == "tok-alice-s2" { // alice, in a second session
		c = socketUsers["alice"]
		c.TokenID, c.SessionID, c.Expires = "j-alice-s2", "s-alice-2", time.Now().Add(time.Hour)
	} else {
		c, err = v.tokenVerifier.VerifyToken(ctx, base)
	}
	if held {
		v.entered <- struct{}{}
		<-v.release
	}
	return c, err
}

// waitEntered waits until a held verification has begun.
func (v *heldVerifier) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-v.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the held verification never began")
	}
}

// revokers stands in for the identity service: the verification under
// test has already been decided, so the store's answer does not matter.
type revokers struct{}

func (revokers) Revoke(context.Context, identity.Claims) error   { return nil }
func (revokers) RevokeUser(context.Context, string) (int, error) { return 1, nil }

// raceEnv is one server with a held verifier and the three ways to end a
// login: POST /logout, /admin kick and /admin revoke.
type raceEnv struct {
	t       *testing.T
	base    string
	v       *heldVerifier
	sockets *handlers.Tracker
	logoutH http.Handler
	admin   *pollClient
}

func newRaceEnv(t *testing.T, d handlers.SocketDeps) *raceEnv {
	t.Helper()
	e := &raceEnv{t: t, v: newHeldVerifier(), sockets: handlers.NewTracker()}
	d.Verifier, d.Sockets, d.Revoker = e.v, e.sockets, revokers{}
	e.base = newSocketServer(t, d)
	r := gin.New()
	r.POST("/logout", handlers.Logout(nil, e.v, revokers{}, e.sockets, middleware.NewOrigins(nil), nil))
	e.logoutH = r
	e.admin = dial(t, e.base)
	if got := e.admin.connect("/admin", `{"token":"tok-admin"}`); !strings.HasPrefix(got, `0/admin,{"sid":`) {
		t.Fatalf("connect /admin: %q", got)
	}
	return e
}

// end runs one of "logout" (of token), "kick" or "revoke" (of user).
func (e *raceEnv) end(how, token, user string) {
	e.t.Helper()
	switch how {
	case "logout":
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		e.logoutH.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			e.t.Fatalf("logout: %d %s", w.Code, w.Body)
		}
	default:
		if res := e.admin.call("/admin", how, map[string]any{"user": user}); res["ok"] != true {
			e.t.Fatalf("%s: %v", how, res)
		}
	}
}

// sendAsync posts one Socket.IO packet from another goroutine (the POST
// returns only once the server has handled it) and reports the outcome.
func (c *pollClient) sendAsync(packet string) <-chan error {
	done := make(chan error, 1)
	url := c.url
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("4"+packet))
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				err = fmt.Errorf("POST: %d", res.StatusCode)
			}
		}
		done <- err
	}()
	return done
}

func waitSent(t *testing.T, sent <-chan error) {
	t.Helper()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("POST never returned")
	}
}

// ended reports whether the socket of nsp is refused (CONNECT_ERROR) or
// disconnected (DISCONNECT, or the whole connection closed) within d,
// reading packets with polls bounded by the time left; the last packet
// seen is returned for the failure message.
func (c *pollClient) ended(nsp string, d time.Duration) (bool, string) {
	c.t.Helper()
	sfx := ""
	if nsp != "/" {
		sfx = nsp + ","
	}
	deadline := time.Now().Add(d)
	last := ""
	for {
		for len(c.held) > 0 {
			p := c.held[0]
			c.held = c.held[1:]
			last = p
			if p == "1"+sfx || strings.HasPrefix(p, "4"+sfx) {
				return true, p
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, last
		}
		ctx, cancel := context.WithTimeout(context.Background(), left)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			return false, last
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		if res.StatusCode != http.StatusOK {
			return true, fmt.Sprintf("GET %d", res.StatusCode) // session gone
		}
		for _, p := range strings.Split(string(b), "\x1e") {
			switch {
			case p == "2":
				c.do(http.MethodPost, c.url, "3")
			case p == "1":
				return true, "closed"
			case strings.HasPrefix(p, "4"):
				c.held = append(c.held, p[1:])
			}
		}
	}
}

// TestConnectRacingARevocationDoesNotSurvive: a socket whose handshake
// credential was verified before a logout, kick or revoke, and which
// registers after it, is refused or disconnected, on every namespace.
func TestConnectRacingARevocationDoesNotSurvive(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"logout", "kick", "revoke"} {
		for _, nsp := range []string{"/", "/chat", "/notifications", "/admin"} {
			t.Run(how+nsp, func(t *testing.T) {
				t.Parallel()
				e := newRaceEnv(t, handlers.SocketDeps{})
				c := dial(t, e.base)
				prefix := "0"
				if nsp != "/" {
					prefix += nsp + ","
				}
				sent := c.sendAsync(prefix + `{"token":"tok-dave+held"}`)
				e.v.waitEntered(t)
				e.end(how, "tok-dave", "dave")
				close(e.v.release)
				waitSent(t, sent)
				if ok, last := c.ended(nsp, 2*time.Second); !ok {
					t.Errorf("%s: a socket verified before the %s and registered after it is still connected (last packet %q); tracked sockets of dave: %d",
						nsp, how, last, e.sockets.UserSockets("dave"))
				}
			})
		}
	}
}

// TestAuthenticateRacingARevocationIsRefused: the same race through the
// `authenticate` event of authenticate-after-connect: the socket stays
// unauthenticated (or is disconnected), never acting for the revoked login.
func TestAuthenticateRacingARevocationIsRefused(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"logout", "kick", "revoke"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			e := newRaceEnv(t, handlers.SocketDeps{AuthAfterConnect: true, AuthTimeout: 10 * time.Second})
			c := dial(t, e.base)
			if got := c.connect("/", `{}`); !strings.HasPrefix(got, `0{"sid":`) {
				t.Fatalf("connect /: %q", got)
			}
			c.ackID++
			sent := c.sendAsync(fmt.Sprintf(`2%d["authenticate",{"token":"tok-dave+held"}]`, c.ackID))
			e.v.waitEntered(t)
			e.end(how, "tok-dave", "dave")
			close(e.v.release)
			waitSent(t, sent)
			p := c.recv()
			if p == "1" || p == "closed" {
				return // disconnected: fine
			}
			var res []map[string]any
			if rest, ok := strings.CutPrefix(p, fmt.Sprintf("3%d", c.ackID)); !ok || json.Unmarshal([]byte(rest), &res) != nil || len(res) != 1 {
				t.Fatalf("authenticate: got %q", p)
			}
			if res[0]["ok"] == true {
				t.Errorf("authenticate verified before the %s and admitted after it: %v", how, res[0])
			}
			if who := c.call("/", "whoami"); who["ok"] == true {
				t.Errorf("whoami after a refused authenticate: %v", who)
			}
		})
	}
}

// TestRefreshRacingALogoutIsRefused: auth:refresh with a token whose
// session is logged out while it is verified does not move the socket to
// that login (it would then outlive the logout).
func TestRefreshRacingALogoutIsRefused(t *testing.T) {
	t.Parallel()
	e := newRaceEnv(t, handlers.SocketDeps{})
	c := dial(t, e.base)
	c.connect("/chat", `{"token":"tok-alice"}`)
	c.ackID++
	sent := c.sendAsync(fmt.Sprintf(`2/chat,%d["auth:refresh",{"token":"tok-alice-s2+held"}]`, c.ackID))
	e.v.waitEntered(t)
	e.end("logout", "tok-alice-s2", "")
	close(e.v.release)
	waitSent(t, sent)
	p := c.recv()
	var res []map[string]any
	if rest, ok := strings.CutPrefix(p, fmt.Sprintf("3/chat,%d", c.ackID)); !ok || json.Unmarshal([]byte(rest), &res) != nil || len(res) != 1 {
		t.Fatalf("auth:refresh: got %q", p)
	}
	if res[0]["ok"] == true || errCode(res[0]) != "revoked" {
		t.Errorf("auth:refresh verified before the logout of its session and applied after it: %v", res[0])
	}
	// The socket still acts for its first login: a logout of that one ends it.
	e.end("logout", "tok-alice", "")
	if ok, last := c.ended("/chat", 2*time.Second); !ok {
		t.Errorf("logout of the socket's own login did not end it (last packet %q)", last)
	}
}
