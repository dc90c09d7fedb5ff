package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// sioWS opens a WebSocket session on /socket.io/ that answers pings itself.
func sioWS(t *testing.T, addr string) *wsClient {
	t.Helper()
	ws := dialWS(t, addr+"/socket.io/?EIO=4&transport=websocket")
	openPacket(t, ws.next().data, []string{})
	return ws.autoPong()
}

// expectMatch reads the next text message and matches it against re.
func (w *wsClient) expectMatch(re string) {
	w.t.Helper()
	if m := w.next(); m.binary || !regexp.MustCompile(re).MatchString(m.data) {
		w.t.Fatalf("got %q, want match %s", m.data, re)
	}
}

// 3.1 No implicit connection.
func TestNoImplicitConnection(t *testing.T) {
	addr := startServer(t)
	u := handshake(t, addr+"/socket.io/")
	if s, b := do(t, http.MethodGet, u, ""); s != 200 || b != "2" {
		t.Fatalf("first GET: %d %q", s, b)
	}
	ws := dialWS(t, addr+"/socket.io/?EIO=4&transport=websocket")
	ws.next()
	ws.expect("2")
}

func TestConnectTimeout(t *testing.T) {
	addr := startServer(t)
	ws := sioWS(t, addr)
	start := time.Now()
	if !ws.closedWithin(1500 * time.Millisecond) {
		t.Fatal("session without CONNECT not closed within 1.5 s")
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Fatalf("closed after %v: before the connect timeout", d)
	}
}

// 3.2 Namespaces.
func TestNamespaces(t *testing.T) {
	addr := startServer(t)
	for _, tc := range []struct {
		send string
		want []string // regexps, in order, nothing in between
	}{
		{`40`, []string{`^40\{"sid":"[^"]+"\}$`, `^42\["auth",\{\}\]$`}},
		{`40{"token":"123"}`, []string{`^40\{"sid":"[^"]+"\}$`, `^42\["auth",\{"token":"123"\}\]$`}},
		{`40/custom,`, []string{`^40/custom,\{"sid":"[^"]+"\}$`, `^42/custom,\["auth",\{\}\]$`}},
		{`40/custom,{"token":"abc"}`, []string{`^40/custom,\{"sid":"[^"]+"\}$`, `^42/custom,\["auth",\{"token":"abc"\}\]$`}},
		{`40/custom`, []string{`^40/custom,\{"sid":"[^"]+"\}$`, `^42/custom,\["auth",\{\}\]$`}},
		{`40/random`, []string{`^44/random,\{"message":"Invalid namespace"\}$`}},
	} {
		t.Run(tc.send, func(t *testing.T) {
			t.Parallel()
			ws := sioWS(t, addr)
			ws.send(tc.send)
			for _, re := range tc.want {
				ws.expectMatch(re)
			}
		})
	}
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		u := handshake(t, addr+"/socket.io/")
		do(t, http.MethodPost, u, `40{"token":"123"}`)
		_, b := do(t, http.MethodGet, u, "")
		if !regexp.MustCompile(`^40\{"sid":"[^"]+"\}\x1e42\["auth",\{"token":"123"\}\]$`).MatchString(b) {
			t.Fatalf("%q", b)
		}
	})
}

// 3.3 Disconnect.
func TestDisconnect(t *testing.T) {
	addr := startServer(t)
	t.Run("main", func(t *testing.T) {
		t.Parallel()
		ws := dialWS(t, addr+"/socket.io/?EIO=4&transport=websocket")
		ws.next()
		ws.send("40")
		ws.expectMatch(`^40\{"sid"`)
		ws.expect(`42["auth",{}]`)
		ws.send("41")
		ws.expect("2") // no reply; the session stays open
		ws.send("3")
	})
	t.Run("custom", func(t *testing.T) {
		t.Parallel()
		ws := sioWS(t, addr)
		ws.send("40")
		ws.expectMatch(`^40\{"sid"`)
		ws.expect(`42["auth",{}]`)
		ws.send("40/custom,")
		ws.expectMatch(`^40/custom,\{"sid"`)
		ws.expect(`42/custom,["auth",{}]`)
		ws.send("41/custom,")
		ws.send(`42["message",1]`)
		ws.expect(`42["message-back",1]`)
	})
}

// 3.4 Events on "/".
func TestEvents(t *testing.T) {
	addr := startServer(t)
	ws := sioWS(t, addr)
	ws.send("40")
	ws.expectMatch(`^40\{"sid"`)
	ws.expect(`42["auth",{}]`)

	ws.send(`42["message",1,"2",{"3":[true]}]`)
	ws.expect(`42["message-back",1,"2",{"3":[true]}]`)
	ws.send(`42456["message-with-ack",1,"2",{"3":[false]}]`)
	ws.expect(`43456[1,"2",{"3":[false]}]`)
	ws.send(`42["message",{"b":1,"a":[1.50,-0,1e3,"\u00e9"]}]`)
	ws.expect(`42["message-back",{"b":1,"a":[1.50,-0,1e3,"\u00e9"]}]`)

	ws.send(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	ws.sendBinary([]byte{1, 2, 3})
	ws.sendBinary([]byte{4, 5, 6})
	ws.expect(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	ws.expectBinary([]byte{1, 2, 3})
	ws.expectBinary([]byte{4, 5, 6})

	ws.send(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	ws.sendBinary([]byte{1, 2, 3})
	ws.sendBinary([]byte{4, 5, 6})
	ws.expect(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	ws.expectBinary([]byte{1, 2, 3})
	ws.expectBinary([]byte{4, 5, 6})
}

func TestEventsPolling(t *testing.T) {
	addr := startServer(t)
	u := handshake(t, addr+"/socket.io/")
	do(t, http.MethodPost, u, "40")
	if _, b := do(t, http.MethodGet, u, ""); !regexp.MustCompile(`^40\{"sid":"[^"]+"\}\x1e42\["auth",\{\}\]$`).MatchString(b) {
		t.Fatalf("%q", b)
	}
	do(t, http.MethodPost, u, "452-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1ebAQID\x1ebBAUG")
	want := "452-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1ebAQID\x1ebBAUG"
	if _, b := do(t, http.MethodGet, u, ""); b != want {
		t.Fatalf("%q", b)
	}
}

// 3.5 Malformed packets close the connection.
func TestMalformedPackets(t *testing.T) {
	addr := startServer(t)
	for _, tc := range []struct {
		name    string
		connect bool
		send    string
	}{
		{"unknown type first", false, "4abc"},
		{"unknown type after connect", true, "4abc"},
		{"event not array", true, "42{}"},
		{"ack id not number", true, `42abc["message-with-ack",1,"2",{"3":[false]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := sioWS(t, addr)
			if tc.connect {
				ws.send("40")
				ws.expectMatch(`^40\{"sid"`)
				ws.expect(`42["auth",{}]`)
			}
			ws.send(tc.send)
			if !ws.closedWithin(time.Second) {
				t.Fatal("connection not closed")
			}
		})
	}
}
