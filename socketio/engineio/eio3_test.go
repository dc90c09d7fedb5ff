package engineio

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func eio3Config() Config {
	cfg := fastConfig()
	cfg.AllowEIO3 = true
	return cfg
}

// handshake3 opens a v3 polling session.
func (e *env) handshake3(extra string) string {
	e.t.Helper()
	status, body := e.do("GET", "EIO=3&transport=polling"+extra, "")
	n, pkt, ok := strings.Cut(body, ":")
	if status != 200 || !ok || !strings.HasPrefix(pkt, "0{") {
		e.t.Fatalf("v3 handshake: %d %q", status, body)
	}
	if n != strconv.Itoa(utf16Len(pkt)) {
		e.t.Fatalf("v3 handshake length %s for %q", n, pkt)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(pkt[1:]), &m); err != nil {
		e.t.Fatal(err)
	}
	if _, has := m["maxPayload"]; has || len(m) != 4 {
		e.t.Errorf("v3 handshake keys %v", m)
	}
	return m["sid"].(string)
}

func TestEIO3Polling(t *testing.T) {
	e := newEnv(t, eio3Config(), nil)
	get := func(sid string) (int, string) { return e.do("GET", "EIO=3&transport=polling&sid="+sid, "") }
	post := func(sid, body string) (int, string) { return e.do("POST", "EIO=3&transport=polling&sid="+sid, body) }

	sid := e.handshake3("")
	for _, body := range []string{"6:4hello", "6:4test16:4test26:4test3", "3:4€€2:4й"} {
		if status, res := post(sid, body); status != 200 || res != "ok" {
			t.Fatalf("POST %q: %d %q", body, status, res)
		}
		if status, res := get(sid); status != 200 || res != body {
			t.Errorf("echo of %q: %d %q", body, status, res)
		}
	}
	// client-initiated heartbeat
	for i := 0; i < 3; i++ {
		post(sid, "1:2")
		if _, res := get(sid); res != "1:3" {
			t.Fatalf("pong %d: %q", i, res)
		}
	}
	// binary payload (XHR2 client): answered in the binary form
	req, _ := http.NewRequest("POST", e.url+"?EIO=3&transport=polling&sid="+sid,
		bytes.NewReader([]byte{1, 4, 255, 4, 1, 2, 3}))
	req.Header.Set("Content-Type", "application/octet-stream")
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = e.ts.Client().Get(e.url + "?EIO=3&transport=polling&sid=" + sid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(b, []byte{1, 4, 255, 4, 1, 2, 3}) || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary echo %v (%s)", b, res.Header.Get("Content-Type"))
	}
	// b64 client: binary as b4<base64>
	sid = e.handshake3("&b64=1")
	post(sid, "10:b4AQIDBA==")
	if _, res := get(sid); res != "10:b4AQIDBA==" {
		t.Errorf("b64 echo %q", res)
	}
	// bad payload
	post(sid, "abc")
	if status, _ := get(sid); status != 400 {
		t.Errorf("GET after bad payload: %d", status)
	}
}

func TestEIO3PingTimeout(t *testing.T) {
	e := newEnv(t, eio3Config(), nil)
	sid := e.handshake3("")
	// no client ping within pingInterval+pingTimeout
	e.h.waitClosed(t)
	if status, _ := e.do("POST", "EIO=3&transport=polling&sid="+sid, "1:2"); status != 400 {
		t.Errorf("POST after timeout: %d", status)
	}
}

func TestEIO3WebSocket(t *testing.T) {
	e := newEnv(t, eio3Config(), nil)
	c := e.dial("EIO=3&transport=websocket")
	if _, open := read(t, c); !strings.HasPrefix(open, "0{") || strings.Contains(open, "maxPayload") {
		t.Fatalf("v3 open %q", open)
	}
	write(t, c, websocket.TextMessage, "2")
	if _, got := read(t, c); got != "3" {
		t.Errorf("pong %q", got)
	}
	write(t, c, websocket.TextMessage, "4hello")
	if _, got := read(t, c); got != "4hello" {
		t.Errorf("echo %q", got)
	}
	write(t, c, websocket.BinaryMessage, "\x04\x01\x02")
	if mt, got := read(t, c); mt != websocket.BinaryMessage || got != "\x04\x01\x02" {
		t.Errorf("binary echo %d %q", mt, got)
	}
	if e.h.session(t, 0).Protocol() != 3 {
		t.Error("Protocol() != 3")
	}
}

func TestEIO3Upgrade(t *testing.T) {
	e := newEnv(t, eio3Config(), nil)
	sid := e.handshake3("")
	c := e.dial("EIO=3&transport=websocket&sid=" + sid)
	write(t, c, websocket.TextMessage, "2probe")
	if _, got := read(t, c); got != "3probe" {
		t.Fatalf("probe %q", got)
	}
	if _, body := e.do("GET", "EIO=3&transport=polling&sid="+sid, ""); body != "1:6" {
		t.Errorf("noop %q", body)
	}
	write(t, c, websocket.TextMessage, "5")
	write(t, c, websocket.TextMessage, "4hi")
	if _, got := read(t, c); got != "4hi" {
		t.Errorf("echo %q", got)
	}
	// the session protocol is fixed: an EIO=4 request for it is refused
	if status, _ := e.get(sid); status != 400 {
		t.Errorf("EIO=4 request for a v3 session: %d", status)
	}
}
