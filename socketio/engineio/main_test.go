package engineio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testHandler echoes every message back and records closes.
type testHandler struct {
	mu       sync.Mutex
	sessions []*Session
	closed   chan Reason
	echo     bool
	onOpen   func(s *Session)
}

func newTestHandler() *testHandler {
	return &testHandler{closed: make(chan Reason, 100), echo: true}
}

func (h *testHandler) OnOpen(s *Session) SessionHandler {
	h.mu.Lock()
	h.sessions = append(h.sessions, s)
	h.mu.Unlock()
	if h.onOpen != nil {
		h.onOpen(s)
	}
	return &testSession{h: h, s: s}
}

// session returns the i-th opened session, waiting for OnOpen (a WebSocket client may
// read its open packet before OnOpen has returned).
func (h *testHandler) session(t *testing.T, i int) *Session {
	t.Helper()
	var s *Session
	eventually(t, "OnOpen", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		if i < len(h.sessions) {
			s = h.sessions[i]
		}
		return s != nil
	})
	return s
}

// waitClosed returns the next close reason, bounded.
func (h *testHandler) waitClosed(t *testing.T) Reason {
	t.Helper()
	select {
	case r := <-h.closed:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for OnClose")
		return ""
	}
}

type testSession struct {
	h *testHandler
	s *Session
}

func (ts *testSession) OnMessage(data []byte, binary bool) {
	if ts.h.echo {
		_ = ts.s.Send(NewFrame(data, binary))
	}
}

func (ts *testSession) OnClose(r Reason) { ts.h.closed <- r }

// fastConfig is the conformance suite's configuration.
func fastConfig() Config {
	return Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}
}

// env is a running test server.
type env struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
	h   *testHandler
	url string
}

func newEnv(t *testing.T, cfg Config, h *testHandler) *env {
	t.Helper()
	if h == nil {
		h = newTestHandler()
	}
	srv, err := NewServer(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	e := &env{t: t, srv: srv, ts: ts, h: h, url: ts.URL + "/engine.io/"}
	t.Cleanup(func() {
		// polling sessions without a pending GET would wait a second for their close
		// packet to be fetched; tests do not need that
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.CloseClientConnections()
		ts.Close()
	})
	return e
}

// do sends a request and returns status and body.
func (e *env) do(method, query, body string, hdr ...string) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+"?"+query, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (e *env) get(sid string) (int, string) {
	e.t.Helper()
	return e.do("GET", "EIO=4&transport=polling&sid="+sid, "")
}

func (e *env) post(sid, body string) (int, string) {
	e.t.Helper()
	return e.do("POST", "EIO=4&transport=polling&sid="+sid, body)
}

// handshake opens a v4 polling session and returns its sid and open packet fields.
func (e *env) handshake() (string, map[string]any) {
	e.t.Helper()
	status, body := e.do("GET", "EIO=4&transport=polling", "")
	if status != 200 || !strings.HasPrefix(body, "0{") {
		e.t.Fatalf("handshake: %d %q", status, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body[1:]), &m); err != nil {
		e.t.Fatalf("handshake body %q: %v", body, err)
	}
	return m["sid"].(string), m
}

// dial opens a WebSocket with the given query.
func (e *env) dial(query string) *websocket.Conn {
	e.t.Helper()
	c, res, err := e.dialErr(query)
	if err != nil {
		e.t.Fatalf("dial %s: %v (%v)", query, err, res)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func (e *env) dialErr(query string, hdr ...string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(e.url, "http") + "?" + query
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	c, res, err := websocket.DefaultDialer.Dial(u, h)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	return c, res, err
}

// read reads one WebSocket message, bounded.
func read(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	mt, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return mt, string(b)
}

// readClose reads until the connection closes and returns the close code (or -1).
func readClose(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatal("timed out waiting for close")
		}
		return -1
	}
}

func write(t *testing.T, c *websocket.Conn, mt int, s string) {
	t.Helper()
	if err := c.WriteMessage(mt, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// eventually polls cond until it holds, bounded.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// newBenchServer starts an httptest server for benchmarks.
func newBenchServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
