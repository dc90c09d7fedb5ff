package engineio

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// armed reports whether the poller waits for c (its read loop has returned).
func (p *idlePoller) armed(c *wsConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.slot != 0 && p.slots[c.slot].armed && p.slots[c.slot].c == c
}

// TestIdleWebSocketWaitsInPoller: a WebSocket waits in the poller, without a goroutine,
// from its first read on; a chatty one waits on a goroutine (woken faster) and goes back
// to the poller once quiet for idleHandoff; messages keep flowing either way.
func TestIdleWebSocketWaitsInPoller(t *testing.T) {
	e := newEnv(t, Config{PingInterval: time.Minute}, nil)
	c := e.dial("EIO=4&transport=websocket")
	defer c.Close()
	read(t, c) // open
	s := e.h.session(t, 0)
	s.mu.Lock()
	ws := s.ws.Load()
	s.mu.Unlock()
	waitFor := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the fresh WebSocket in the poller", 3*time.Second, func() bool { return e.srv.idle.armed(ws) })

	for _, m := range []string{"4a", "4b"} {
		write(t, c, websocket.TextMessage, m)
		if _, got := read(t, c); got != m {
			t.Fatalf("echo %q, want %q", got, m)
		}
	}
	// ws.chatty is the read loop's own state, so the test looks at where the loop waits:
	// a connection that is not chatty is back in the poller well within this pause.
	time.Sleep(300 * time.Millisecond)
	if e.srv.idle.armed(ws) {
		t.Fatal("two messages in a row did not make the connection chatty: it waits in the poller")
	}
	waitFor("the quiet WebSocket back in the poller", idleHandoff+5*time.Second, func() bool { return e.srv.idle.armed(ws) })
	write(t, c, websocket.TextMessage, "4c")
	if _, got := read(t, c); got != "4c" {
		t.Fatalf("echo %q after the handoff, want 4c", got)
	}
}
