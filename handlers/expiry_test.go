package handlers_test

import (
	"testing"
	"time"

	"rtserver/handlers"
)

func TestSocketExpiryWarnsThenEnds(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{ExpiryGrace: 50 * time.Millisecond})
	c := dial(t, base)
	c.connect("/chat", `{"token":"tok-alice-short"}`)
	warn := event[map[string]int64](c, "/chat", "auth:expiring")
	end := event[map[string]int64](c, "/chat", "auth:expired")
	if warn["expiresAt"] == 0 || warn["expiresAt"] != end["expiresAt"] {
		t.Errorf("auth:expiring %v, auth:expired %v", warn, end)
	}
	if p := c.recv(); p != "1/chat," {
		t.Errorf("after auth:expired: %q, want the DISCONNECT", p)
	}
}

func TestSocketRefreshKeepsItAndLeavesLostRooms(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{ExpiryGrace: 50 * time.Millisecond})
	c := dial(t, base)
	c.connect("/chat", `{"token":"tok-alice-short"}`)
	for _, room := range []string{"team:red", "lobby"} {
		if res := c.call("/chat", "join", room); res["ok"] != true {
			t.Fatalf("join %s = %v", room, res)
		}
	}
	event[map[string]int64](c, "/chat", "auth:expiring")
	for _, tc := range []struct{ token, code string }{
		{"nope", "invalid_token"},
		{"tok-carol", "forbidden"}, // another user
	} {
		if got := errCode(c.call("/chat", "auth:refresh", map[string]string{"token": tc.token})); got != tc.code {
			t.Errorf("refresh with %s: %q, want %q", tc.token, got, tc.code)
		}
	}
	res := c.call("/chat", "auth:refresh", map[string]string{"token": "tok-alice-noteam"})
	exp, _ := res["expiresAt"].(float64)
	if res["ok"] != true || time.UnixMilli(int64(exp)).Before(time.Now().Add(time.Minute)) {
		t.Fatalf("refresh = %v", res)
	}
	if left, _ := res["left"].([]any); len(left) != 1 || left[0] != "team:red" {
		t.Errorf("left = %v, want [team:red]", res["left"])
	}
	// Past the old exp and grace the socket is still served.
	time.Sleep(500 * time.Millisecond)
	if res := c.call("/chat", "message", map[string]any{"room": "lobby", "text": "still here"}); res["ok"] != true {
		t.Errorf("message after the old expiry = %v", res)
	}
	if got := errCode(c.call("/chat", "message", map[string]any{"room": "team:red", "text": "x"})); got != "forbidden" {
		t.Errorf("message to the lost room: %q", got)
	}
	for _, p := range c.held {
		if p[:min(len(p), 22)] == `2/chat,["auth:expired"` {
			t.Errorf("got %q after refreshing", p)
		}
	}
}
