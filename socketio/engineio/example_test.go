package engineio_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gorilla/websocket"

	"rtserver/socketio/engineio"
)

// echo sends every message back to its sender.
type echo struct{}

func (echo) OnOpen(s *engineio.Session) engineio.SessionHandler { return &echoSession{s: s} }

type echoSession struct{ s *engineio.Session }

func (e *echoSession) OnMessage(data []byte, binary bool) {
	_ = e.s.Send(engineio.NewFrame(data, binary))
}

func (e *echoSession) OnClose(engineio.Reason) {}

// Example runs an echo server and talks to it over HTTP long-polling.
func Example() {
	srv, err := engineio.NewServer(engineio.Config{}, echo{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	res, _ := http.Get(ts.URL + "/engine.io/?EIO=4&transport=polling")
	open, _ := io.ReadAll(res.Body)
	res.Body.Close()
	sid := strings.Split(string(open), `"`)[3]
	url := ts.URL + "/engine.io/?EIO=4&transport=polling&sid=" + sid

	res, _ = http.Post(url, "text/plain", strings.NewReader("4hello\x1e4world"))
	res.Body.Close()
	res, _ = http.Get(url)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Printf("%q\n", body)
	// Output: "4hello\x1e4world"
}

// ExampleConfig_initialHeaders sets a cookie on the handshake response only, and a header
// on every response (a WebSocket upgrade response too).
func ExampleConfig_initialHeaders() {
	cfg := engineio.Config{
		InitialHeaders: func(h http.Header, r *http.Request) {
			h.Add("Set-Cookie", (&http.Cookie{Name: "route", Value: "node-1", Path: "/", HttpOnly: true}).String())
		},
		Headers: func(h http.Header, r *http.Request) {
			h.Set("X-Node", "node-1")
		},
	}
	srv, err := engineio.NewServer(cfg, echo{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	res, _ := http.Get(ts.URL + "/engine.io/?EIO=4&transport=polling")
	res.Body.Close()
	fmt.Println(res.Header.Get("Set-Cookie"))
	fmt.Println(res.Header.Get("X-Node"))
	// Output:
	// route=node-1; Path=/; HttpOnly
	// node-1
}

// PerMessageDeflate compresses WebSocket messages of 512 bytes and more with the
// clients that offer it (socket.io-client does by default).
func ExamplePerMessageDeflate() {
	srv, err := engineio.NewServer(engineio.Config{
		PerMessageDeflate: &engineio.PerMessageDeflate{Threshold: 512},
	}, echo{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	d := websocket.Dialer{EnableCompression: true}
	c, res, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Println(res.Header.Get("Sec-Websocket-Extensions"))
	// Output: permessage-deflate; server_no_context_takeover; client_no_context_takeover
}
