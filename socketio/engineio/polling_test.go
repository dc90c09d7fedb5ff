package engineio

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPollingHandshake(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, m := e.handshake()
	if len(m) != 5 {
		t.Errorf("handshake keys = %v, want exactly 5", m)
	}
	if len(sid) < 20 {
		t.Errorf("sid %q too short", sid)
	}
	ups, _ := m["upgrades"].([]any)
	if len(ups) != 1 || ups[0] != "websocket" {
		t.Errorf("upgrades = %v", m["upgrades"])
	}
	if m["pingInterval"] != 300.0 || m["pingTimeout"] != 200.0 || m["maxPayload"] != 1e6 {
		t.Errorf("handshake = %v", m)
	}
	if e.srv.Count() != 1 {
		t.Errorf("Count = %d", e.srv.Count())
	}
	if got := e.h.session(t, 0).Request().URL.Query().Get("transport"); got != "polling" {
		t.Errorf("Request().URL transport = %q", got)
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	tests := []struct {
		name, method, query string
		hdr                 []string
		status              int
		body                string
	}{
		{"missing EIO", "GET", "transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO abc", "GET", "EIO=abc&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 3 disabled", "GET", "EIO=3&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 5", "GET", "EIO=5&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"missing transport", "GET", "EIO=4", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"transport abc", "GET", "EIO=4&transport=abc", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"transport tobi", "GET", "EIO=4&transport=tobi", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"transport __proto__", "GET", "EIO=4&transport=__proto__", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"POST handshake", "POST", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"PUT handshake", "PUT", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", nil, 400, `{"code":3,"message":"Bad request"}`},
		{"jsonp", "GET", "EIO=4&transport=polling&j=1", nil, 400, `{"code":3,"message":"Bad request"}`},
		{"OPTIONS without CORS", "OPTIONS", "EIO=4&transport=polling", nil, 400, `{"code":3,"message":"Bad request"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do(tt.method, tt.query, "", tt.hdr...)
			if status != tt.status || body != tt.body {
				t.Errorf("got %d %s, want %d %s", status, body, tt.status, tt.body)
			}
		})
	}
	if e.srv.Count() != 0 {
		t.Errorf("Count = %d after refused requests", e.srv.Count())
	}
}

func TestPollingEcho(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	for _, body := range []string{"4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA==", "4€€\x1e4й"} {
		sid, _ := e.handshake()
		if status, res := e.post(sid, body); status != 200 || res != "ok" {
			t.Fatalf("POST: %d %q", status, res)
		}
		if status, res := e.get(sid); status != 200 || res != body {
			t.Errorf("GET after POST %q: %d %q", body, status, res)
		}
	}
}

func TestPollingHeartbeat(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	for i := 0; i < 3; i++ {
		if status, body := e.get(sid); status != 200 || body != "2" {
			t.Fatalf("cycle %d: GET %d %q, want ping", i, status, body)
		}
		if status, _ := e.post(sid, "3"); status != 200 {
			t.Fatalf("cycle %d: POST pong %d", i, status)
		}
	}
}

func TestPollingPingTimeout(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	time.Sleep(500 * time.Millisecond)
	if status, _ := e.get(sid); status != 400 {
		t.Errorf("GET after ping timeout: %d", status)
	}
	if r := e.h.waitClosed(t); r != ReasonPingTimeout {
		t.Errorf("reason %q", r)
	}
}

func TestPollingCloseWithPendingGet(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	for i := 0; i < 10; i++ {
		sid, _ := e.handshake()
		var wg sync.WaitGroup
		var status int
		var body string
		wg.Add(2)
		go func() { defer wg.Done(); status, body = e.get(sid) }()
		go func() { defer wg.Done(); e.post(sid, "1") }()
		wg.Wait()
		if status != 200 || body != "6" {
			t.Fatalf("pending GET got %d %q, want 200 6", status, body)
		}
		if status, _ := e.get(sid); status != 400 {
			t.Fatalf("GET after close: %d", status)
		}
		if r := e.h.waitClosed(t); r != ReasonClientClose {
			t.Errorf("reason %q", r)
		}
	}
}

func TestPollingCloseBeforeGet(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	e.post(sid, "1") // handled before the GET that the client sent at the same time
	if status, body := e.get(sid); status != 200 || body != "6" {
		t.Fatalf("GET racing the close: %d %q", status, body)
	}
	if status, _ := e.get(sid); status != 400 {
		t.Fatalf("second GET after close: %d", status)
	}
	if e.srv.Count() != 0 {
		t.Errorf("Count = %d", e.srv.Count())
	}
}

func TestPollingConcurrentGets(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	type res struct {
		status int
		body   string
	}
	first := make(chan res, 1)
	go func() { s, b := e.get(sid); first <- res{s, b} }()
	eventually(t, "first GET pending", func() bool {
		s := e.h.session(t, 0)
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.poll != nil
	})
	status2, _ := e.get(sid)
	r1 := <-first
	if r1.status != 200 || r1.body != "1" {
		t.Errorf("first GET %d %q, want 200 1", r1.status, r1.body)
	}
	if status2 != 400 {
		t.Errorf("second GET %d", status2)
	}
	if status, _ := e.get(sid); status != 400 {
		t.Errorf("GET after: %d", status)
	}
	if r := e.h.waitClosed(t); r != ReasonTransportError {
		t.Errorf("reason %q", r)
	}
}

func TestPollingCancelledGet(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	sid, _ := e.handshake()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"?EIO=4&transport=polling&sid="+sid, nil)
	if res, err := e.ts.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatal("GET was answered")
	}
	if r := e.h.waitClosed(t); r != ReasonTransportClose {
		t.Errorf("reason %q", r)
	}
	if status, _ := e.get(sid); status != 400 {
		t.Errorf("GET after cancel: %d", status)
	}
}

func TestPollingMalformedPost(t *testing.T) {
	e := newEnv(t, fastConfig(), nil)
	for _, body := range []string{"abc", "invalid", "9", "", strings.Repeat("4a\x1e", 10000) + "4a"} {
		sid, _ := e.handshake()
		e.post(sid, body)
		if status, _ := e.get(sid); status != 400 {
			t.Errorf("GET after POST %.20q: %d", body, status)
		}
		if r := e.h.waitClosed(t); r != ReasonParseError {
			t.Errorf("POST %.20q: reason %q", body, r)
		}
	}
}

func TestPollingPayloadTooLarge(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxPayload = 100
	e := newEnv(t, cfg, nil)
	big := "4" + strings.Repeat("x", 200)
	t.Run("content-length", func(t *testing.T) {
		sid, _ := e.handshake()
		res, err := e.ts.Client().Post(e.url+"?EIO=4&transport=polling&sid="+sid, "text/plain", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// As Node's server: 413 with an empty body and no Content-Type, since
		// engine.io-client hands a response body to the application as the error.
		if res.StatusCode != 413 || len(body) != 0 || res.Header.Get("Content-Type") != "" {
			t.Errorf("POST: %d %q Content-Type %q", res.StatusCode, body, res.Header.Get("Content-Type"))
		}
		if r := e.h.waitClosed(t); r != ReasonPayloadTooLarge {
			t.Errorf("reason %q", r)
		}
		if status, _ := e.get(sid); status != 400 {
			t.Errorf("GET after 413: %d", status)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		sid, _ := e.handshake()
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < 4; i++ {
				if _, err := pw.Write([]byte(big[:50])); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", e.url+"?EIO=4&transport=polling&sid="+sid, pr)
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		pr.Close()
		if res.StatusCode != 413 || len(body) != 0 || req.ContentLength != 0 && req.ContentLength != -1 {
			t.Errorf("POST: %d %q (content length %d)", res.StatusCode, body, req.ContentLength)
		}
		if r := e.h.waitClosed(t); r != ReasonPayloadTooLarge {
			t.Errorf("reason %q", r)
		}
	})
}

func TestPollingSlowConsumer(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxWriteQueueBytes = 1000
	h := newTestHandler()
	e := newEnv(t, cfg, h)
	e.handshake()
	s := h.session(t, 0)
	f := NewFrame(make([]byte, 100), false)
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		err = s.Send(f)
	}
	if err != ErrQueueFull {
		t.Fatalf("Send = %v, want ErrQueueFull", err)
	}
	if r := h.waitClosed(t); r != ReasonSlowConsumer {
		t.Errorf("reason %q", r)
	}
	if err := s.Send(f); err != ErrClosed {
		t.Errorf("Send after close = %v", err)
	}
}

func TestPollingCloseFlushes(t *testing.T) {
	h := newTestHandler()
	e := newEnv(t, fastConfig(), h)
	sid, _ := e.handshake()
	s := h.session(t, 0)
	if err := s.Send(NewFrame([]byte("41"), false), NewFrame([]byte{9}, true)); err != nil {
		t.Fatal(err)
	}
	s.Close(ReasonForcedClose)
	// The queued packets and the close packet travel in separate responses, so the
	// client handles the packets before it sees the close.
	if status, body := e.get(sid); status != 200 || body != "441\x1ebCQ==" {
		t.Errorf("GET after Close: %d %q", status, body)
	}
	if status, body := e.get(sid); status != 200 || body != "1" {
		t.Errorf("second GET after Close: %d %q", status, body)
	}
	if r := h.waitClosed(t); r != ReasonForcedClose {
		t.Errorf("reason %q", r)
	}
	// with a GET pending when Close is called
	sid, _ = e.handshake()
	s = h.session(t, 1)
	done := make(chan string, 1)
	go func() { _, b := e.get(sid); done <- b }()
	eventually(t, "GET pending", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.poll != nil })
	s.Close(ReasonForcedClose)
	if body := <-done; body != "1" {
		t.Errorf("pending GET got %q", body)
	}
	h.waitClosed(t)
}

func TestOriginAndAllowRequest(t *testing.T) {
	cfg := fastConfig()
	cfg.CheckOrigin = func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		return o == "" || o == "https://app.example.com"
	}
	cfg.AllowRequest = func(r *http.Request) error {
		if r.URL.Query().Get("deny") != "" {
			return &HTTPError{Status: 429, Code: 4, Message: "Slow down"}
		}
		return nil
	}
	e := newEnv(t, cfg, nil)
	forbidden := `{"code":4,"message":"Forbidden"}`
	for _, origin := range []string{"https://evil.io", "https://app.example.com.evil.io"} {
		if status, body := e.do("GET", "EIO=4&transport=polling", "", "Origin", origin); status != 403 || body != forbidden {
			t.Errorf("polling from %s: %d %s", origin, status, body)
		}
		_, res, err := e.dialErr("EIO=4&transport=websocket", "Origin", origin)
		if err == nil || res == nil || res.StatusCode != 403 {
			t.Errorf("websocket from %s: %v %v", origin, err, res)
		}
	}
	if status, body := e.do("GET", "EIO=4&transport=polling&deny=1", ""); status != 429 || body != `{"code":4,"message":"Slow down"}` {
		t.Errorf("AllowRequest: %d %s", status, body)
	}
	if e.srv.Count() != 0 {
		t.Errorf("Count = %d", e.srv.Count())
	}
	if status, _ := e.do("GET", "EIO=4&transport=polling", "", "Origin", "https://app.example.com"); status != 200 {
		t.Errorf("allowed origin: %d", status)
	}
}

func TestCORS(t *testing.T) {
	cfg := fastConfig()
	cfg.CORS = &CORS{AllowOrigin: func(o string) bool { return o == "https://ok.example" }, AllowCredentials: true}
	e := newEnv(t, cfg, nil)
	req, _ := http.NewRequest("OPTIONS", e.url+"?EIO=4&transport=polling", nil)
	req.Header.Set("Origin", "https://ok.example")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://ok.example" ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		res.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	for origin, want := range map[string]string{"https://ok.example": "https://ok.example", "https://bad.example": ""} {
		req, _ = http.NewRequest("GET", e.url+"?EIO=4&transport=polling", nil)
		req.Header.Set("Origin", origin)
		res, err = e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("origin %s: ACAO %q, want %q", origin, got, want)
		}
	}
}
