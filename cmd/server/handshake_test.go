package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestRunHandshakeRateLimit: past HANDSHAKE_BURST new sessions from one
// client address are 429 with the engine's JSON error body, by polling and
// by WebSocket; requests of existing sessions (polls, posts, the upgrade)
// are never limited; another client behind the trusted proxy still gets in;
// the refusals are counted on /metrics.
func TestRunHandshakeRateLimit(t *testing.T) {
	base, output, stop := start(t, map[string]string{
		"JWT_SECRET":      edgeTestSecret,
		"HANDSHAKE_RATE":  "0.01", // no refill within the test
		"HANDSHAKE_BURST": "3",
		"TRUSTED_PROXIES": "127.0.0.1",
	})
	t.Cleanup(func() { _ = stop() })
	eio := base + "/socket.io/?EIO=4&transport=polling"
	sid := handshakeSID(t, base)
	handshakeSID(t, base)
	handshakeSID(t, base)
	res, body := edgeDo(t, http.MethodGet, eio, "")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th handshake: %d %s, want 429", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if want := `{"code":7,"message":"too many requests; try again later"}`; body != want {
		t.Errorf("body %s, want %s", body, want)
	}

	// A direct WebSocket handshake is a new session too.
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	if c, res, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil {
		c.Close()
		t.Error("WebSocket handshake past the burst accepted")
	} else if res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("WebSocket handshake past the burst: %v, want 429", err)
	}

	// The existing session keeps working: a post, a poll and the upgrade.
	if res, body := edgeDo(t, http.MethodPost, eio+"&sid="+sid, "40", "Content-Type", "text/plain"); res.StatusCode != http.StatusOK {
		t.Errorf("POST with sid: %d %s", res.StatusCode, body)
	}
	if res, body := edgeDo(t, http.MethodGet, eio+"&sid="+sid, ""); res.StatusCode != http.StatusOK {
		t.Errorf("GET with sid: %d %s", res.StatusCode, body)
	}
	c, res, err := websocket.DefaultDialer.Dial(wsURL+"&sid="+sid, nil)
	if err != nil {
		t.Errorf("upgrade of an existing session: %v (%v)", err, res)
	} else {
		c.Close()
	}

	// Another client behind the trusted proxy has its own budget; an
	// X-Forwarded-For is believed only from a trusted peer (here it is).
	if res, body := edgeDo(t, http.MethodGet, eio, "", "X-Forwarded-For", "198.51.100.7"); res.StatusCode != http.StatusOK {
		t.Errorf("other client: %d %s", res.StatusCode, body)
	}

	m := metricsLine.FindStringSubmatch(output())
	if m == nil {
		t.Fatalf("no metrics line:\n%s", output())
	}
	_, metrics := edgeDo(t, http.MethodGet, m[1], "")
	if !strings.Contains(metrics, `rt_handshakes_total{outcome="rate_limited"} 2`) {
		t.Errorf("refusals not counted:\n%s", grepLines(metrics, "rt_handshakes_total"))
	}
}

// TestRunHandshakeRateOff: HANDSHAKE_RATE=0 turns the limit off.
func TestRunHandshakeRateOff(t *testing.T) {
	base, _, stop := start(t, map[string]string{"JWT_SECRET": edgeTestSecret, "HANDSHAKE_RATE": "0", "HANDSHAKE_BURST": "1"})
	t.Cleanup(func() { _ = stop() })
	for range 20 {
		handshakeSID(t, base)
	}
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
