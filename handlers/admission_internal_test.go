package handlers

import (
	"context"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
	"rtserver/socketio/engineio"
)

// gateVerifier accepts "good" and refuses anything else; a token ending in
// "+held" is held until release is closed.
type gateVerifier struct {
	entered chan struct{}
	release chan struct{}
}

func (v gateVerifier) VerifyToken(_ context.Context, token string) (identity.Claims, error) {
	token, held := strings.CutSuffix(token, "+held")
	if held {
		v.entered <- struct{}{}
		<-v.release
	}
	if token != "good" {
		return identity.Claims{}, apierr.New(apierr.InvalidToken)
	}
	return identity.Claims{UserID: "u", Name: "U", TokenID: "j", SessionID: "s", Expires: time.Now().Add(time.Hour)}, nil
}

func (gateVerifier) VerifySession(context.Context, string) (identity.Claims, error) {
	return identity.Claims{}, apierr.New(apierr.InvalidToken)
}

// pendingTickets returns how many tickets the tracker holds.
func (t *Tracker) pendingTickets() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.pending {
		n += c
	}
	return n
}

// TestAdmissionGivesTicketsBack: the ticket admission takes before Auth is
// given back when Auth refuses the socket (at once), when the socket is
// admitted, and when the client left while its token was verified (the
// socket never connects: given back once its state is garbage).
func TestAdmissionGivesTicketsBack(t *testing.T) {
	v := gateVerifier{entered: make(chan struct{}, 1), release: make(chan struct{})}
	tr := NewTracker()
	srv, err := socketio.NewServer(socketio.Config{Engine: engineio.Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	Namespaces(srv, SocketDeps{
		Verifier: v, Sockets: tr, Rooms: allowAll{},
		Auth: middleware.AuthOptions{Credentials: identity.NewCredentials(nil, middleware.NewOrigins(nil).HasAllowedOrigin, SessionCookie)},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	dial := func(token string) *websocket.Conn {
		t.Helper()
		c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/socket.io/?EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, m, err := c.ReadMessage(); err != nil || m[0] != '0' {
			t.Fatalf("open: %q %v", m, err)
		}
		if err := c.WriteMessage(websocket.TextMessage, []byte(`40/chat,{"token":"`+token+`"}`)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	answer := func(c *websocket.Conn) string {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			if string(m) != "2" { // pings go unanswered
				return string(m)
			}
		}
	}
	waitPending := func(want int, gc bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for tr.pendingTickets() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d tickets pending, want %d", tr.pendingTickets(), want)
			}
			if gc {
				runtime.GC()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	if m := answer(dial("bad")); !strings.HasPrefix(m, "44/chat,") {
		t.Fatalf("bad token: %q", m)
	}
	if n := tr.pendingTickets(); n != 0 {
		t.Fatalf("%d tickets pending after a refusal", n)
	}
	if m := answer(dial("good")); !strings.HasPrefix(m, "40/chat,") {
		t.Fatalf("good token: %q", m)
	}
	waitPending(0, false)

	// The session ends while the token is verified (the client answers
	// no ping): the socket passes Auth but never connects.
	dial("good+held")
	<-v.entered
	if n := tr.pendingTickets(); n != 1 {
		t.Fatalf("%d tickets pending while verifying, want 1", n)
	}
	time.Sleep(300 * time.Millisecond) // ping timeout
	close(v.release)
	waitPending(0, true)
}

// allowAll lets every room be joined.
type allowAll struct{}

func (allowAll) CanJoin(identity.Claims, string) error { return nil }
