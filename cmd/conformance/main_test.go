package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
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

// startServer runs run() on 127.0.0.1:0 and returns its base URL (http://host:port).
// Cleanup cancels it and waits for run to return.
func startServer(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"conformance", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output from run: %v", lines.Err())
	}
	line := lines.Text()
	addr, ok := strings.CutPrefix(line, "listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		// A connection the client dialed but never used stays "new" on the server,
		// which http.Server.Shutdown waits 5 s for: drop them first.
		httpClient.CloseIdleConnections()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return")
		}
	})
	return addr
}

var httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}

// do sends a request and returns its status and body.
func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	return doCtx(t, context.Background(), method, url, body)
}

func doCtx(t *testing.T, ctx context.Context, method, url, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wsClient is a raw WebSocket client for the suites' checks.
type wsClient struct {
	t    *testing.T
	c    *websocket.Conn
	mu   sync.Mutex
	msgs chan wsMsg
	done chan struct{}
	pong bool // answer pings (and hide them) automatically
}

type wsMsg struct {
	binary bool
	data   string
}

func dialWS(t *testing.T, url string) *wsClient {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "http", "ws", 1), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	w := &wsClient{t: t, c: c, msgs: make(chan wsMsg, 256), done: make(chan struct{})}
	go w.read()
	t.Cleanup(func() { _ = c.Close(); <-w.done })
	return w
}

func (w *wsClient) read() {
	defer close(w.done)
	for {
		mt, b, err := w.c.ReadMessage()
		if err != nil {
			return
		}
		w.mu.Lock()
		pong := w.pong
		w.mu.Unlock()
		if pong && mt == websocket.TextMessage && string(b) == "2" {
			w.send("3")
			continue
		}
		select {
		case w.msgs <- wsMsg{binary: mt == websocket.BinaryMessage, data: string(b)}:
		default:
		}
	}
}

func (w *wsClient) autoPong() *wsClient {
	w.mu.Lock()
	w.pong = true
	w.mu.Unlock()
	return w
}

func (w *wsClient) send(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.c.WriteMessage(websocket.TextMessage, []byte(s))
}

func (w *wsClient) sendBinary(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.c.WriteMessage(websocket.BinaryMessage, b)
}

func (w *wsClient) next() wsMsg {
	w.t.Helper()
	select {
	case m := <-w.msgs:
		return m
	case <-w.done:
		w.t.Fatal("connection closed while waiting for a message")
	case <-time.After(2 * time.Second):
		w.t.Fatal("timed out waiting for a message")
	}
	return wsMsg{}
}

// expect reads the next text message and compares it byte for byte.
func (w *wsClient) expect(want string) {
	w.t.Helper()
	if m := w.next(); m.binary || m.data != want {
		w.t.Fatalf("got %q (binary %v), want %q", m.data, m.binary, want)
	}
}

func (w *wsClient) expectBinary(want []byte) {
	w.t.Helper()
	if m := w.next(); !m.binary || m.data != string(want) {
		w.t.Fatalf("got %q (binary %v), want binary %v", m.data, m.binary, want)
	}
}

// closedWithin reports whether the server closed the socket within d (messages
// before the close are ignored).
func (w *wsClient) closedWithin(d time.Duration) bool {
	select {
	case <-w.done:
		return true
	case <-time.After(d):
		return false
	}
}
