package handlers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"rtserver/handlers"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
)

// startSocketsWith is startSockets with an engine configuration of the
// test's own (the room cap lives there).
func startSocketsWith(t *testing.T, cfg socketio.Config, d handlers.SocketDeps) string {
	t.Helper()
	srv, err := socketio.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Verifier = tokenVerifier{}
	d.Rooms = teamPolicy{}
	d.Sockets = handlers.NewTracker()
	fs := newFakeStore()
	d.Chat, d.Inbox, d.Users = fs, fs, fs
	d.Auth = middleware.AuthOptions{Credentials: identity.NewCredentials(nil, middleware.NewOrigins(nil).HasAllowedOrigin, handlers.SessionCookie)}
	handlers.Namespaces(srv, d)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL + "/socket.io/?EIO=4&transport=polling"
}

// TestSecurityRoomCapErrorAck: joining more rooms than MAX_ROOMS_PER_SOCKET
// is answered with an error ack (forbidden); the socket is not in the room
// (it cannot send to it and members hear nothing), and it keeps working.
func TestSecurityRoomCapErrorAck(t *testing.T) {
	t.Parallel()
	const maxRooms = 5
	base := startSocketsWith(t, socketio.Config{MaxRoomsPerSocket: maxRooms}, handlers.SocketDeps{})
	c := dial(t, base)
	if got := c.connect("/chat", `{"token":"tok-alice"}`); got[:7] != `0/chat,` {
		t.Fatalf("connect: %q", got)
	}
	joined, refused := 0, 0
	var over string
	for i := range 3 * maxRooms {
		room := fmt.Sprintf("room-%d", i)
		res := c.call("/chat", "join", room)
		switch {
		case res["ok"] == true && refused == 0:
			joined++
		case res["ok"] == false && errCode(res) == "forbidden":
			refused++
			if over == "" {
				over = room
			}
		default:
			t.Fatalf("join %s (after %d joined, %d refused): %v", room, joined, refused, res)
		}
	}
	if joined == 0 || joined >= maxRooms || refused != 3*maxRooms-joined {
		t.Fatalf("joined %d, refused %d with a cap of %d", joined, refused, maxRooms)
	}
	// Not in the refused room: sending to it is forbidden too.
	if got := errCode(c.call("/chat", "message", map[string]any{"room": over, "text": "x"})); got != "forbidden" {
		t.Errorf("message to a room over the cap: %q", got)
	}
	// A member of that room hears nothing from the refused socket.
	bob := dial(t, base)
	bob.connect("/chat", `{"token":"tok-bob"}`)
	if res := bob.call("/chat", "join", over); res["ok"] != true {
		t.Fatalf("bob join: %v", res)
	}
	// Leaving frees a place; the socket still works.
	if res := c.call("/chat", "leave", "room-0"); res["ok"] != true {
		t.Fatalf("leave: %v", res)
	}
	if res := c.call("/chat", "join", over); res["ok"] != true {
		t.Errorf("join after leaving one: %v", res)
	}
	if res := c.call("/chat", "message", map[string]any{"room": over, "text": "now"}); res["ok"] != true {
		t.Errorf("message after joining: %v", res)
	}
	msg := event[map[string]any](bob, "/chat", "message")
	if msg["text"] != "now" {
		t.Errorf("bob's first message %v, want only the one sent after joining", msg)
	}
}

// TestSecurityFloodSparesOthers: while one socket floods past its rate and
// is disconnected, another user's socket on the same server is served
// without a refusal.
func TestSecurityFloodSparesOthers(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{EventRate: 0.001, EventBurst: 2})
	flood := dial(t, base)
	flood.connect("/", `{"token":"tok-alice"}`)
	other := dial(t, base)
	other.connect("/", `{"token":"tok-carol"}`)
	limited := 0
	for i := range 20 {
		flood.send(fmt.Sprintf(`2%d["whoami"]`, 100+i))
	}
	for {
		p := flood.recv()
		if p == "1" || p == "closed" {
			break
		}
		if p[0] == '3' && strings.Contains(p, `"code":"rate_limited"`) {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("the flooding socket got no rate_limited ack before its DISCONNECT")
	}
	for i := range 2 {
		if res := other.call("/", "whoami"); res["ok"] != true {
			t.Fatalf("bystander call %d: %v", i, res)
		}
	}
}
