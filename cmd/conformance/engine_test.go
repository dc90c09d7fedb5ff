package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// paths are the two endpoints: section 2 holds on both.
var paths = []string{"/engine.io/", "/socket.io/"}

// openPacket checks an open packet against section 2.1 and returns the sid.
func openPacket(t *testing.T, pkt string, upgrades []string) string {
	t.Helper()
	data, ok := strings.CutPrefix(pkt, "0")
	if !ok {
		t.Fatalf("open packet %q", pkt)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("open packet %q: %v", pkt, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "maxPayload,pingInterval,pingTimeout,sid,upgrades" {
		t.Fatalf("open packet keys %v", keys)
	}
	var v struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int      `json:"pingInterval"`
		PingTimeout  int      `json:"pingTimeout"`
		MaxPayload   int      `json:"maxPayload"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatal(err)
	}
	if v.SID == "" || v.PingInterval != 300 || v.PingTimeout != 200 || v.MaxPayload != 1000000 ||
		strings.Join(v.Upgrades, ",") != strings.Join(upgrades, ",") || v.Upgrades == nil {
		t.Fatalf("open packet %q", pkt)
	}
	return v.SID
}

// handshake opens a polling session and returns the session URL (with sid).
func handshake(t *testing.T, base string) string {
	t.Helper()
	status, body := do(t, http.MethodGet, base+"?EIO=4&transport=polling", "")
	if status != 200 {
		t.Fatalf("handshake %d %q", status, body)
	}
	sid := openPacket(t, body, []string{"websocket"})
	return base + "?EIO=4&transport=polling&sid=" + sid
}

func forPaths(t *testing.T, fn func(t *testing.T, base string)) {
	addr := startServer(t)
	for _, p := range paths {
		t.Run(strings.Trim(p, "/"), func(t *testing.T) {
			t.Parallel()
			fn(t, addr+p)
		})
	}
}

// 2.1 Handshake.
func TestHandshakePolling(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		status, body := do(t, http.MethodGet, base+"?EIO=4&transport=polling", "")
		if status != 200 || strings.Contains(body, "\x1e") {
			t.Fatalf("%d %q", status, body)
		}
		openPacket(t, body, []string{"websocket"})
	})
}

func TestHandshakeWebSocket(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		ws := dialWS(t, base+"?EIO=4&transport=websocket")
		m := ws.next()
		openPacket(t, m.data, []string{})
	})
}

func TestHandshakeRejected(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		for _, tc := range []struct{ method, query string }{
			{http.MethodGet, "?transport=polling"},
			{http.MethodGet, "?EIO=abc&transport=polling"},
			{http.MethodGet, "?EIO=4"},
			{http.MethodGet, "?EIO=4&transport=abc"},
			{http.MethodPost, "?EIO=4&transport=polling"},
			{http.MethodPut, "?EIO=4&transport=polling"},
		} {
			status, body := do(t, tc.method, base+tc.query, "")
			var v struct {
				Code    *int    `json:"code"`
				Message *string `json:"message"`
			}
			if status != 400 || json.Unmarshal([]byte(body), &v) != nil || v.Code == nil || v.Message == nil {
				t.Errorf("%s %s: %d %q", tc.method, tc.query, status, body)
			}
		}
	})
}

func TestWebSocketBadParamsRefused(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		for _, q := range []string{"?EIO=abc&transport=websocket", "?transport=websocket", "?EIO=4&transport=abc"} {
			c, resp, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+q, nil)
			if err == nil {
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				if _, msg, rerr := c.ReadMessage(); rerr == nil {
					t.Errorf("%s: working session, got %q", q, msg)
				}
				c.Close()
				continue
			}
			if resp == nil || resp.StatusCode != 400 {
				t.Errorf("%s: %v %v", q, resp, err)
			}
		}
	})
}

// 2.2 Long-polling framing.
func TestPollingPostOK(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		if status, body := do(t, http.MethodPost, u, "3\x1e3"); status != 200 || body != "ok" {
			t.Fatalf("%d %q", status, body)
		}
	})
}

// 2.3 Session errors.
func TestPollingMalformedPostCloses(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		do(t, http.MethodPost, u, "abc")
		if status, body := do(t, http.MethodGet, u, ""); status != 400 {
			t.Fatalf("GET after malformed POST: %d %q", status, body)
		}
	})
}

func TestPollingTwoGets(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		type res struct {
			status int
			body   string
		}
		first := make(chan res, 1)
		go func() {
			s, b := do(t, http.MethodGet, u, "")
			first <- res{s, b}
		}()
		time.Sleep(50 * time.Millisecond)
		s2, _ := do(t, http.MethodGet, u, "")
		r1 := <-first
		if r1.status != 200 || r1.body != "1" {
			t.Fatalf("first GET: %d %q", r1.status, r1.body)
		}
		if s2 != 400 && s2 != 500 {
			t.Fatalf("second GET: %d", s2)
		}
		if s, _ := do(t, http.MethodGet, u, ""); s != 400 {
			t.Fatalf("third GET: %d", s)
		}
	})
}

func TestPollingCancelledGetCloses(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		doCtx(t, ctx, http.MethodGet, u, "")
		time.Sleep(20 * time.Millisecond)
		if s, b := do(t, http.MethodGet, u, ""); s != 400 {
			t.Fatalf("GET after cancel: %d %q", s, b)
		}
	})
}

func TestUnknownSid(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if s, b := do(t, m, base+"?EIO=4&transport=polling&sid=nope", "4x"); s != 400 {
				t.Fatalf("%s: %d %q", m, s, b)
			}
		}
	})
}

// 2.4 Heartbeat.
func TestHeartbeatPolling(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		for i := 0; i < 3; i++ {
			if s, b := do(t, http.MethodGet, u, ""); s != 200 || b != "2" {
				t.Fatalf("cycle %d GET: %d %q", i, s, b)
			}
			if s, b := do(t, http.MethodPost, u, "3"); s != 200 || b != "ok" {
				t.Fatalf("cycle %d POST: %d %q", i, s, b)
			}
		}
	})
}

func TestPingTimeoutPolling(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		// The suite waits exactly 500 ms; the margin absorbs timer latency under -race.
		time.Sleep(500*time.Millisecond + 30*time.Millisecond)
		if s, b := do(t, http.MethodGet, u, ""); s != 400 {
			t.Fatalf("GET 500 ms after handshake: %d %q", s, b)
		}
	})
}

func TestHeartbeatWebSocket(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		ws := dialWS(t, base+"?EIO=4&transport=websocket")
		ws.next() // open
		for i := 0; i < 3; i++ {
			ws.expect("2")
			ws.send("3")
		}
		silent := dialWS(t, base+"?EIO=4&transport=websocket")
		silent.next()
		if !silent.closedWithin(2 * time.Second) {
			t.Fatal("socket that never answers pings not closed")
		}
	})
}

// 2.5 Close.
func TestClosePolling(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		type res struct {
			status int
			body   string
		}
		get := make(chan res, 1)
		go func() {
			s, b := do(t, http.MethodGet, u, "")
			get <- res{s, b}
		}()
		time.Sleep(5 * time.Millisecond)
		do(t, http.MethodPost, u, "1")
		if r := <-get; r.status != 200 || r.body != "6" {
			t.Fatalf("pending GET: %d %q", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
		if s, _ := do(t, http.MethodGet, u, ""); s != 400 {
			t.Fatalf("GET after close: %d", s)
		}
	})
}

func TestCloseWebSocket(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		ws := dialWS(t, base+"?EIO=4&transport=websocket").autoPong()
		ws.next()
		ws.send("1")
		if !ws.closedWithin(2 * time.Second) {
			t.Fatal("not closed within 2 s")
		}
	})
}

// 2.6 Upgrade polling → WebSocket.
func TestUpgrade(t *testing.T) {
	forPaths(t, func(t *testing.T, base string) {
		u := handshake(t, base)
		sid := u[strings.LastIndex(u, "=")+1:]
		ws := dialWS(t, base+"?EIO=4&transport=websocket&sid="+sid)
		ws.send("2probe")
		ws.expect("3probe")
		start := time.Now()
		if s, b := do(t, http.MethodGet, u, ""); s != 200 || b != "6" {
			t.Fatalf("GET during upgrade: %d %q", s, b)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("noop took %v", d)
		}
		ws.send("5")
		if s, _ := do(t, http.MethodGet, u, ""); s != 400 {
			t.Fatalf("GET after upgrade: %d", s)
		}
		ws.autoPong()
		second, _, err := websocket.DefaultDialer.Dial(strings.Replace(base, "http", "ws", 1)+"?EIO=4&transport=websocket&sid="+sid, nil)
		if err == nil {
			_ = second.SetReadDeadline(time.Now().Add(time.Second))
			for {
				if _, msg, err := second.ReadMessage(); err != nil {
					break
				} else if string(msg) != "2" {
					t.Errorf("second WebSocket got %q", msg)
				}
			}
			second.Close()
		}
		// The first one keeps working.
		if strings.HasPrefix(base[strings.Index(base[8:], "/")+8:], "/engine.io/") {
			ws.send("4still")
			ws.expect("4still")
		} else {
			ws.send("40")
			if m := ws.next(); !strings.HasPrefix(m.data, `40{"sid":"`) {
				t.Fatalf("after upgrade: %q", m.data)
			}
		}
	})
}

// 2.7 Echo on /engine.io/ only.
func TestEngineEchoPolling(t *testing.T) {
	base := startServer(t) + "/engine.io/"
	for _, body := range []string{"4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA=="} {
		u := handshake(t, base)
		if s, b := do(t, http.MethodPost, u, body); s != 200 || b != "ok" {
			t.Fatalf("POST %q: %d %q", body, s, b)
		}
		if s, b := do(t, http.MethodGet, u, ""); s != 200 || b != body {
			t.Fatalf("echo of %q: %d %q", body, s, b)
		}
	}
}

func TestEngineEchoWebSocket(t *testing.T) {
	base := startServer(t) + "/engine.io/"
	ws := dialWS(t, base+"?EIO=4&transport=websocket").autoPong()
	ws.next()
	ws.send("4hello")
	ws.expect("4hello")
	ws.sendBinary([]byte{1, 2, 3, 4})
	ws.expectBinary([]byte{1, 2, 3, 4})
	ws.send("abc")
	if !ws.closedWithin(2 * time.Second) {
		t.Fatal("invalid packet did not close the socket")
	}
}
