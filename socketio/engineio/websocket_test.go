package engineio

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketHandshakeAndEcho(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	c := e.dial("EIO=4&transport=websocket")
	mt, open := read(t, c)
	if mt != websocket.TextMessage || !strings.HasPrefix(open, "0{") {
		t.Fatalf("first frame %d %q", mt, open)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(open[1:]), &m); err != nil || len(m) != 5 {
		t.Fatalf("open %q: %v", open, err)
	}
	if ups, _ := m["upgrades"].([]any); len(ups) != 0 {
		t.Errorf("upgrades = %v", m["upgrades"])
	}
	if e.h.session(t, 0).Transport() != "websocket" {
		t.Errorf("Transport = %s", e.h.session(t, 0).Transport())
	}
	write(t, c, websocket.TextMessage, "4hello")
	if mt, got := read(t, c); mt != websocket.TextMessage || got != "4hello" {
		t.Errorf("echo text: %d %q", mt, got)
	}
	write(t, c, websocket.BinaryMessage, "\x01\x02\x03\x04")
	if mt, got := read(t, c); mt != websocket.BinaryMessage || got != "\x01\x02\x03\x04" {
		t.Errorf("echo binary: %d %q", mt, got)
	}
}

func TestWebSocketBadInput(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxPayload = 100
	e := newEnv(t, cfg, nil)
	tests := []struct {
		name   string
		mt     int
		msg    string
		code   int
		reason Reason
	}{
		{"invalid packet", websocket.TextMessage, "abc", websocket.CloseProtocolError, ReasonParseError},
		{"empty", websocket.TextMessage, "", websocket.CloseProtocolError, ReasonParseError},
		{"type 9", websocket.TextMessage, "9", websocket.CloseProtocolError, ReasonParseError},
		{"too big", websocket.TextMessage, "4" + strings.Repeat("x", 200), websocket.CloseMessageTooBig, ReasonPayloadTooLarge},
		{"invalid utf8", websocket.TextMessage, "4\xff\xfe", websocket.CloseInvalidFramePayloadData, ReasonParseError},
		{"client close", websocket.TextMessage, "1", websocket.CloseNormalClosure, ReasonClientClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dial("EIO=4&transport=websocket")
			read(t, c)
			write(t, c, tt.mt, tt.msg)
			if code := readClose(t, c); code != tt.code {
				t.Errorf("close code %d, want %d", code, tt.code)
			}
			if r := e.h.waitClosed(t); r != tt.reason {
				t.Errorf("reason %q, want %q", r, tt.reason)
			}
		})
	}
}

func TestWebSocketHeartbeat(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	c := e.dial("EIO=4&transport=websocket")
	read(t, c)
	for i := 0; i < 3; i++ {
		if _, got := read(t, c); got != "2" {
			t.Fatalf("ping %d: %q", i, got)
		}
		write(t, c, websocket.TextMessage, "3")
	}
	// stop answering: closed after the next ping's timeout
	start := time.Now()
	readClose(t, c)
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("closed after %v", d)
	}
	if r := e.h.waitClosed(t); r != ReasonPingTimeout {
		t.Errorf("reason %q", r)
	}
}

// upgradeTo runs the probe part of an upgrade.
func upgradeTo(t *testing.T, e *env, sid string) *websocket.Conn {
	t.Helper()
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	write(t, c, websocket.TextMessage, "2probe")
	if _, got := read(t, c); got != "3probe" {
		t.Fatalf("probe answer %q", got)
	}
	return c
}

func TestUpgrade(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	c := upgradeTo(t, e, sid)
	start := time.Now()
	if status, body := e.get(sid); status != 200 || body != "6" {
		t.Fatalf("GET during upgrade: %d %q", status, body)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("noop took %v", d)
	}
	write(t, c, websocket.TextMessage, "5")
	write(t, c, websocket.TextMessage, "4hello")
	if _, got := read(t, c); got != "4hello" {
		t.Errorf("echo after upgrade %q", got)
	}
	if got := e.h.session(t, 0).Transport(); got != "websocket" {
		t.Errorf("Transport = %s", got)
	}
}

func TestUpgradeRefusesPollingAndSecondWebSocket(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	for i, waitProbe := range []bool{true, false} {
		sid, _ := e.handshake()
		c := e.dial("EIO=4&transport=websocket&sid=" + sid)
		write(t, c, websocket.TextMessage, "2probe")
		if waitProbe {
			read(t, c)
		}
		write(t, c, websocket.TextMessage, "5")
		if waitProbe {
			// The server reads "5" on the WebSocket's own goroutine: until it has, a
			// poll is still answered (a noop), as from Node. Once it has, polling is
			// refused: that is what this case checks.
			s := e.h.session(t, i)
			eventually(t, "upgrade done", func() bool { return s.Transport() == "websocket" })
		}
		// Without waiting for `3probe` the GET may be handled before the probe: it is
		// then a pending poll that the probe's answer ends with a noop.
		if status, body := e.get(sid); status != 400 && (waitProbe || status != 200 || body != "6") {
			t.Errorf("GET right after 5: %d %q", status, body)
		}
		if status, _ := e.post(sid, "4x"); status != 400 {
			t.Errorf("POST after upgrade: %d", status)
		}
		// A second WebSocket is opened and closed at once (as Node does).
		c2 := e.dial("EIO=4&transport=websocket&sid=" + sid)
		if code := readClose(t, c2); code != websocket.ClosePolicyViolation {
			t.Errorf("second WebSocket closed with %d, want 1008", code)
		}
		c2.Close()
		if !waitProbe {
			read(t, c) // 3probe
		}
		write(t, c, websocket.TextMessage, "4hello")
		if _, got := read(t, c); got != "4hello" {
			t.Errorf("first WebSocket after refusal: %q", got)
		}
		c.Close()
	}
}

// Polling stays the transport until `5`: packets sent during the upgrade go out on
// it at once (as from Node's server), and what is queued when `5` arrives follows on
// the WebSocket, in order.
func TestUpgradeDeliversQueued(t *testing.T) {
	h := newTestHandler()
	e := newEnv(t, fastConfig(), h)
	sid, _ := e.handshake()
	s := h.session(t, 0)
	c := e.dial("EIO=4&transport=websocket&sid=" + sid)
	if err := s.Send(NewFrame([]byte("a"), false)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, body := e.get(sid); body != "4a" {
		t.Fatalf("GET before the probe %q", body)
	}
	write(t, c, websocket.TextMessage, "2probe")
	if _, got := read(t, c); got != "3probe" {
		t.Fatalf("probe answer %q", got)
	}
	if err := s.Send(NewFrame([]byte("b"), false), NewFrame([]byte("c"), false)); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get(sid); body != "4b\x1e4c" {
		t.Fatalf("GET after the probe %q", body)
	}
	if d := time.Since(start); d >= noopDelay {
		t.Errorf("packets waited %v for the upgrade", d)
	}
	if err := s.Send(NewFrame([]byte("d"), false)); err != nil {
		t.Fatal(err)
	}
	write(t, c, websocket.TextMessage, "5")
	if _, got := read(t, c); got != "4d" {
		t.Errorf("first frame after upgrade %q", got)
	}
}

func TestUpgradeWithPendingPoll(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	got := make(chan string, 1)
	go func() { _, b := e.get(sid); got <- b }()
	s := e.h.session(t, 0)
	eventually(t, "GET pending", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.poll != nil })
	c := upgradeTo(t, e, sid)
	select {
	case b := <-got:
		if b != "6" {
			t.Errorf("pending GET got %q", b)
		}
	case <-time.After(time.Second):
		t.Fatal("pending GET not released by the probe")
	}
	write(t, c, websocket.TextMessage, "5")
	write(t, c, websocket.TextMessage, "4hi")
	if _, m := read(t, c); m != "4hi" {
		t.Errorf("echo %q", m)
	}
}

func TestUpgradeTimeout(t *testing.T) {
	cfg := fastConfig()
	cfg.PingInterval = 2 * time.Second
	cfg.UpgradeTimeout = 100 * time.Millisecond
	e := newEnv(t, cfg, nil)
	sid, _ := e.handshake()
	c := upgradeTo(t, e, sid)
	readClose(t, c) // dropped after UpgradeTimeout without `5`
	e.post(sid, "4still")
	if status, body := e.get(sid); status != 200 || body != "4still" {
		t.Errorf("polling after failed upgrade: %d %q", status, body)
	}
}

func TestWebSocketSlowConsumer(t *testing.T) {
	cfg := fastConfig()
	cfg.PingInterval = 5 * time.Second
	cfg.MaxWriteQueueBytes = 64 << 10
	h := newTestHandler()
	e := newEnv(t, cfg, h)
	c := e.dial("EIO=4&transport=websocket")
	read(t, c)
	s := h.session(t, 0)
	f := NewFrame(make([]byte, 32<<10), true)
	var err error
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		start := time.Now()
		err = s.Send(f)
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Fatalf("Send blocked for %v", d)
		}
	}
	if err != ErrQueueFull {
		t.Fatalf("Send = %v", err)
	}
	if r := h.waitClosed(t); r != ReasonSlowConsumer {
		t.Errorf("reason %q", r)
	}
}

func TestWebSocketCloseFlushes(t *testing.T) {
	h := newTestHandler()
	e := newEnv(t, fastConfig(), h)
	c := e.dial("EIO=4&transport=websocket")
	read(t, c)
	s := h.session(t, 0)
	for i := 0; i < 50; i++ {
		if err := s.Send(NewFrame([]byte("41"), false)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close(ReasonForcedClose)
	for i := 0; i < 50; i++ {
		if _, got := read(t, c); got != "441" {
			t.Fatalf("frame %d = %q", i, got)
		}
	}
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
	if r := h.waitClosed(t); r != ReasonForcedClose {
		t.Errorf("reason %q", r)
	}
}

func TestFrameBroadcast(t *testing.T) {
	h := newTestHandler()
	h.echo = false
	e := newEnv(t, fastConfig(), h)
	const n = 5
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = e.dial("EIO=4&transport=websocket")
		read(t, conns[i])
	}
	text, bin := NewFrame([]byte(`2["x"]`), false), NewFrame([]byte{1, 2}, true)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(s *Session) { defer wg.Done(); _ = s.Send(text, bin) }(h.session(t, i))
	}
	wg.Wait()
	for i, c := range conns {
		if mt, got := read(t, c); mt != websocket.TextMessage || got != `42["x"]` {
			t.Errorf("conn %d text %q", i, got)
		}
		if mt, got := read(t, c); mt != websocket.BinaryMessage || got != "\x01\x02" {
			t.Errorf("conn %d binary %q", i, got)
		}
	}
	// The writers framed it inside wonce.Do; a Do here returns after theirs, so
	// what they wrote is visible (the client's reads are no Go sync edge).
	text.pm[0].wonce.Do(func() {})
	if !text.shared() || text.pm[0].wire == nil {
		t.Error("shared frame was not framed once (Frame.wire)")
	}
}

// TestWebSocketInlineWritesKeepOrder sends more than the socket buffers hold to a client
// that reads only afterwards, while the client pings (gorilla answers pongs through the
// same socket): frames written inline, in part (the rest left pending) and queued once the
// socket would block all arrive whole and in order.
func TestWebSocketInlineWritesKeepOrder(t *testing.T) {
	cfg := fastConfig()
	cfg.PingInterval = 5 * time.Second
	cfg.MaxWriteQueueBytes = 64 << 20
	h := newTestHandler()
	e := newEnv(t, cfg, h)
	c := e.dial("EIO=4&transport=websocket")
	read(t, c)
	s := h.session(t, 0)
	const n = 600
	frames := make([]*Frame, n)
	for i := range frames {
		b := bytes.Repeat([]byte{byte('a' + i%26)}, 7000+i)
		frames[i] = NewFrame(append(strconv.AppendInt(nil, int64(i), 10), b...), false)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			_ = c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
			time.Sleep(time.Millisecond)
		}
	}()
	for i, f := range frames {
		if err := s.Send(f); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	<-done
	for i, f := range frames {
		mt, got := read(t, c)
		if mt != websocket.TextMessage || got != "4"+string(f.Data()) {
			t.Fatalf("frame %d: type %d, %d bytes starting %.12q", i, mt, len(got), got)
		}
	}
	s.Close(ReasonForcedClose)
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
}
