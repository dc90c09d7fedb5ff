package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Section 3 of PROTOCOL_CONFORMANCE.md: the Socket.IO layer at /socket.io/.
// Section 2 (Engine.IO, both paths) is in engine_test.go.

// sioSocket opens a WebSocket Engine.IO session at /socket.io/ and checks its open
// packet. Pings are answered and hidden unless visiblePings.
func sioSocket(t *testing.T, addr string, visiblePings bool) *wsClient {
	t.Helper()
	ws := dialWS(t, addr+"/socket.io/?EIO=4&transport=websocket")
	if !visiblePings {
		ws.autoPong()
	}
	m := ws.next()
	if m.binary {
		t.Fatalf("open packet is binary")
	}
	openPacket(t, m.data, []string{})
	return ws
}

// expectConnectOK reads a CONNECT reply `40<nsp,>{"sid":"…"}` whose object has only sid.
func expectConnectOK(t *testing.T, ws *wsClient, nspPrefix string) {
	t.Helper()
	m := ws.next()
	data, ok := strings.CutPrefix(m.data, "40"+nspPrefix)
	if m.binary || !ok {
		t.Fatalf("CONNECT reply %q, want prefix %q", m.data, "40"+nspPrefix)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &obj); err != nil || len(obj) != 1 {
		t.Fatalf("CONNECT reply %q: %v", m.data, err)
	}
	var sid string
	if err := json.Unmarshal(obj["sid"], &sid); err != nil || sid == "" {
		t.Fatalf("CONNECT reply %q: sid not a non-empty string", m.data)
	}
	if data != `{"sid":`+string(obj["sid"])+`}` {
		t.Fatalf("CONNECT reply %q is not compact", m.data)
	}
}

// expectClosed waits (bounded by d) for the server to close the socket.
func expectClosed(t *testing.T, ws *wsClient, d time.Duration) {
	t.Helper()
	if !ws.closedWithin(d) {
		t.Fatalf("socket not closed within %v", d)
	}
}

// 3.1 No implicit connection: after the open packet the first frame is the ping.
func TestSocketIONoImplicitConnect(t *testing.T) {
	addr := startServer(t)
	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		ws := sioSocket(t, addr, true)
		ws.expect("2")
	})
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		u := handshake(t, addr+"/socket.io/")
		if s, b := do(t, http.MethodGet, u, ""); s != 200 || b != "2" {
			t.Fatalf("first GET: %d %q, want 200 \"2\"", s, b)
		}
	})
}

// 3.1 A session that never sends CONNECT is closed within the 2 s test limit,
// even while it answers pings.
func TestSocketIOConnectTimeout(t *testing.T) {
	addr := startServer(t)
	ws := sioSocket(t, addr, false)
	expectClosed(t, ws, 2*time.Second)
}

// 3.2 The CONNECT table.
func TestSocketIOConnect(t *testing.T) {
	addr := startServer(t)
	tests := []struct {
		name, send, nsp, auth string
	}{
		{"main", "40", "", `42["auth",{}]`},
		{"main with auth", `40{"token":"123"}`, "", `42["auth",{"token":"123"}]`},
		{"custom", "40/custom,", "/custom,", `42/custom,["auth",{}]`},
		{"custom with auth", `40/custom,{"token":"abc"}`, "/custom,", `42/custom,["auth",{"token":"abc"}]`},
		{"custom without comma", "40/custom", "/custom,", `42/custom,["auth",{}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := sioSocket(t, addr, false)
			ws.send(tt.send)
			expectConnectOK(t, ws, tt.nsp)
			ws.expect(tt.auth)
		})
	}
	t.Run("unknown namespace", func(t *testing.T) {
		t.Parallel()
		ws := sioSocket(t, addr, false)
		ws.send("40/random")
		ws.expect(`44/random,{"message":"Invalid namespace"}`)
	})
}

// 3.3 Disconnect.
func TestSocketIODisconnect(t *testing.T) {
	addr := startServer(t)
	t.Run("leave main silently", func(t *testing.T) {
		t.Parallel()
		ws := sioSocket(t, addr, true)
		ws.send("40")
		// a ping may come between the CONNECT and the next frames: answer it
		skipPing := func() wsMsg {
			for {
				m := ws.next()
				if m.binary || m.data != "2" {
					return m
				}
				ws.send("3")
			}
		}
		if m := skipPing(); !strings.HasPrefix(m.data, `40{"sid":"`) {
			t.Fatalf("CONNECT reply %q", m.data)
		}
		if m := skipPing(); m.data != `42["auth",{}]` {
			t.Fatalf("auth %q", m.data)
		}
		ws.send("41")
		ws.expect("2") // nothing else: no reply to 41, session still open
		ws.send("3")
		ws.expect("2")
	})
	t.Run("leave custom keeps main", func(t *testing.T) {
		t.Parallel()
		ws := sioSocket(t, addr, false)
		ws.send("40")
		expectConnectOK(t, ws, "")
		ws.expect(`42["auth",{}]`)
		ws.send("40/custom,")
		expectConnectOK(t, ws, "/custom,")
		ws.expect(`42/custom,["auth",{}]`)
		ws.send("41/custom,")
		ws.send(`42["message",1]`)
		ws.expect(`42["message-back",1]`)
	})
}

// 3.4 Events on "/".
func TestSocketIOEvents(t *testing.T) {
	addr := startServer(t)
	connected := func(t *testing.T) *wsClient {
		t.Helper()
		ws := sioSocket(t, addr, false)
		ws.send("40")
		expectConnectOK(t, ws, "")
		ws.expect(`42["auth",{}]`)
		return ws
	}
	t.Run("message-back", func(t *testing.T) {
		t.Parallel()
		ws := connected(t)
		ws.send(`42["message",1,"2",{"3":[true]}]`)
		ws.expect(`42["message-back",1,"2",{"3":[true]}]`)
		ws.send(`42["message"]`)
		ws.expect(`42["message-back"]`)
		ws.send(`42["message",{"b":1.50,"a":-0,"c":"\u00e9"},null,[]]`)
		ws.expect(`42["message-back",{"b":1.50,"a":-0,"c":"\u00e9"},null,[]]`)
	})
	t.Run("message-with-ack", func(t *testing.T) {
		t.Parallel()
		ws := connected(t)
		ws.send(`42456["message-with-ack",1,"2",{"3":[false]}]`)
		ws.expect(`43456[1,"2",{"3":[false]}]`)
	})
	t.Run("binary event", func(t *testing.T) {
		t.Parallel()
		ws := connected(t)
		ws.send(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		ws.sendBinary([]byte{1, 2, 3})
		ws.sendBinary([]byte{4, 5, 6})
		ws.expect(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		ws.expectBinary([]byte{1, 2, 3})
		ws.expectBinary([]byte{4, 5, 6})
	})
	t.Run("binary ack", func(t *testing.T) {
		t.Parallel()
		ws := connected(t)
		ws.send(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		ws.sendBinary([]byte{1, 2, 3})
		ws.sendBinary([]byte{4, 5, 6})
		ws.expect(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
		ws.expectBinary([]byte{1, 2, 3})
		ws.expectBinary([]byte{4, 5, 6})
	})
	t.Run("custom has no handlers", func(t *testing.T) {
		t.Parallel()
		ws := connected(t)
		ws.send("40/custom,")
		expectConnectOK(t, ws, "/custom,")
		ws.expect(`42/custom,["auth",{}]`)
		ws.send(`42/custom,["message",1]`)
		ws.send(`42["message",2]`)
		ws.expect(`42["message-back",2]`)
	})
	t.Run("polling message-back", func(t *testing.T) {
		t.Parallel()
		u := handshake(t, addr+"/socket.io/")
		if s, b := do(t, http.MethodPost, u, "40"); s != 200 || b != "ok" {
			t.Fatalf("POST 40: %d %q", s, b)
		}
		got := pollMessages(t, u, 2)
		if !strings.HasPrefix(got[0], `40{"sid":"`) || got[1] != `42["auth",{}]` {
			t.Fatalf("after CONNECT: %q", got)
		}
		if s, b := do(t, http.MethodPost, u, `42["message",1,"2"]`); s != 200 || b != "ok" {
			t.Fatalf("POST event: %d %q", s, b)
		}
		if got := pollMessages(t, u, 1); got[0] != `42["message-back",1,"2"]` {
			t.Fatalf("message-back %q", got)
		}
	})
}

// pollMessages GETs until n packets other than pings arrived (answering pings) and
// returns them. The number of GETs is bounded.
func pollMessages(t *testing.T, u string, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < 10 && len(out) < n; i++ {
		s, b := do(t, http.MethodGet, u, "")
		if s != 200 {
			t.Fatalf("GET: %d %q", s, b)
		}
		for _, p := range strings.Split(b, "\x1e") {
			if p == "2" {
				do(t, http.MethodPost, u, "3")
				continue
			}
			out = append(out, p)
		}
	}
	if len(out) != n {
		t.Fatalf("got packets %q, want %d", out, n)
	}
	return out
}

// 3.5 Malformed Socket.IO packets close the Engine.IO connection.
func TestSocketIOMalformedCloses(t *testing.T) {
	addr := startServer(t)
	tests := []struct {
		name    string
		connect bool
		send    string
	}{
		{"unknown type first", false, "4abc"},
		{"unknown type after connect", true, "4abc"},
		{"event payload not an array", true, "42{}"},
		{"ack id not a number", true, `42abc["message-with-ack",1,"2",{"3":[false]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := sioSocket(t, addr, false)
			if tt.connect {
				ws.send("40")
				expectConnectOK(t, ws, "")
				ws.expect(`42["auth",{}]`)
			}
			ws.send(tt.send)
			expectClosed(t, ws, 2*time.Second)
		})
	}
}
