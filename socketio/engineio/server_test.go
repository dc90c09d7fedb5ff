package engineio

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	bad := map[string]func(*Config){
		"ping interval":  func(c *Config) { c.PingInterval = -1 },
		"ping timeout":   func(c *Config) { c.PingTimeout = -1 },
		"max payload":    func(c *Config) { c.MaxPayload = -1 },
		"huge payload":   func(c *Config) { c.MaxPayload = 1 << 40 },
		"upgrade":        func(c *Config) { c.UpgradeTimeout = -1 },
		"queue":          func(c *Config) { c.MaxWriteQueueBytes = -1 },
		"transport":      func(c *Config) { c.Transports = []string{"flashsocket"} },
		"duplicate":      func(c *Config) { c.Transports = []string{"polling", "polling"} },
		"no transports":  func(c *Config) { c.Transports = []string{} },
		"__proto__ name": func(c *Config) { c.Transports = []string{"__proto__"} },
		"sid prefix dot": func(c *Config) { c.SIDPrefix = "node.a" },
		"sid prefix len": func(c *Config) { c.SIDPrefix = "abcdefghijklmnopq" },
	}
	for name, mutate := range bad {
		cfg := DefaultConfig()
		mutate(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewServer(Config{PingInterval: -time.Second}, newTestHandler()); err == nil {
		t.Error("NewServer accepted a bad config")
	}
	if _, err := NewServer(Config{}, nil); err == nil {
		t.Error("NewServer accepted a nil handler")
	}
}

func TestTransportsRestricted(t *testing.T) {
	cfg := fastConfig()
	cfg.Transports = []string{TransportPolling}
	e := newEnv(t, cfg, nil)
	if status, body := e.do("GET", "EIO=4&transport=websocket", "", "Upgrade", "websocket"); status != 400 ||
		!strings.Contains(body, `"code":0`) {
		t.Errorf("disabled websocket: %d %s", status, body)
	}
	_, m := e.handshake()
	if ups, _ := m["upgrades"].([]any); len(ups) != 0 {
		t.Errorf("upgrades offered: %v", ups)
	}
}

func TestParseQuery(t *testing.T) {
	q := parseQuery("EIO=4&transport=polling&sid=a%2Db&b64=1&EIO=3&t=x")
	if q.eio != "4" || q.transport != "polling" || q.sid != "a-b" || !q.b64 || q.jsonp {
		t.Errorf("parseQuery = %+v", q)
	}
	if q := parseQuery("sid=%zz"); q.sid != "" {
		t.Errorf("bad escape kept: %+v", q)
	}
}

func TestShutdown(t *testing.T) {
	h := newTestHandler()
	e := newEnv(t, fastConfig(), h)
	srv := e.srv

	sid, _ := e.handshake()
	c := e.dial("EIO=4&transport=websocket")
	read(t, c)
	polling, ws := h.session(t, 0), h.session(t, 1)
	got := make(chan string, 1)
	go func() { _, b := e.get(sid); got <- b }()
	eventually(t, "GET pending", func() bool { polling.mu.Lock(); defer polling.mu.Unlock(); return polling.poll != nil })
	_ = polling.Send(NewFrame([]byte("bye"), false))
	_ = ws.Send(NewFrame([]byte("bye"), false))
	// the pending GET took "bye"; make the next one carry the close packet
	if b := <-got; b != "4bye" {
		t.Fatalf("GET %q", b)
	}
	go func() { _, b := e.get(sid); got <- b }()
	eventually(t, "GET pending", func() bool { polling.mu.Lock(); defer polling.mu.Unlock(); return polling.poll != nil })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if b := <-got; b != "1" {
		t.Errorf("polling client got %q", b)
	}
	if _, m := read(t, c); m != "4bye" {
		t.Errorf("websocket client got %q", m)
	}
	if code := readClose(t, c); code != websocket.CloseNormalClosure {
		t.Errorf("close code %d", code)
	}
	for i := 0; i < 2; i++ {
		if r := h.waitClosed(t); r != ReasonServerShutdown {
			t.Errorf("reason %q", r)
		}
	}
	if status, body := e.do("GET", "EIO=4&transport=polling", ""); status != 503 || body != `{"code":6,"message":"Server shutting down"}` {
		t.Errorf("handshake after shutdown: %d %s", status, body)
	}
	if srv.Count() != 0 {
		t.Errorf("Count = %d", srv.Count())
	}
}

func TestShutdownDeadline(t *testing.T) {
	h := newTestHandler()
	e := newEnv(t, fastConfig(), h)
	e.handshake() // no GET will fetch the close packet
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := e.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Shutdown took %v", d)
	}
	if r := h.waitClosed(t); r != ReasonServerShutdown {
		t.Errorf("reason %q", r)
	}
}

func TestFrameAccessors(t *testing.T) {
	data := []byte("abc")
	f := NewFrame(data, false)
	data[0] = 'x'
	if string(f.Data()) != "abc" || f.Binary() || f.Len() != 3 {
		t.Errorf("frame %q %v %d", f.Data(), f.Binary(), f.Len())
	}
	b := NewFrame([]byte{1}, true)
	if !b.Binary() || b.Len() != 1 {
		t.Error("binary frame")
	}
	if typ, msg, _ := b.wsMessage(3); typ != websocket.BinaryMessage || string(msg) != "\x04\x01" {
		t.Errorf("v3 binary message %q", msg)
	}
	if _, msg, _ := b.wsMessage(4); string(msg) != "\x01" {
		t.Errorf("v4 binary message %q", msg)
	}
}

func TestHTTPErrorBody(t *testing.T) {
	e := &HTTPError{Status: 403, Code: 4, Message: "quote \" and \n"}
	if got := string(e.body()); got != `{"code":4,"message":"quote \" and \n"}` {
		t.Errorf("body %s", got)
	}
	if e.Error() == "" {
		t.Error("empty Error()")
	}
}

func TestSIDPrefix(t *testing.T) {
	e := newEnv(t, Config{SIDPrefix: "node-a"}, newTestHandler())
	sid, _ := e.handshake()
	if !strings.HasPrefix(sid, "node-a.") || len(sid) != len("node-a.")+20 {
		t.Fatalf("sid %q, want node-a. and 20 random characters", sid)
	}
	if status, body := e.post(sid, "4hello"); status != 200 || body != "ok" {
		t.Errorf("POST with the prefixed sid: %d %q", status, body)
	}
}
