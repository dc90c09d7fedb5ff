package wsbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	"github.com/gorilla/websocket"
)

// payload is a typical Socket.IO event frame.
var payload = []byte(`42["msg",{"from":"user-123","text":"hello, room","ts":1700000000000}]`)

// server upgrades every request with lib and hands the server side to got.
func server(tb testing.TB, lib string, got func(any)) *httptest.Server {
	up := websocket.Upgrader{ReadBufferSize: 264, WriteBufferPool: &sync.Pool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch lib {
		case "gorilla":
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				tb.Error(err)
				return
			}
			got(c)
		default:
			c, err := coder.Accept(w, r, &coder.AcceptOptions{CompressionMode: coder.CompressionDisabled})
			if err != nil {
				tb.Error(err)
				return
			}
			got(c)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// rawDial opens a WebSocket with a hand-written handshake and returns the TCP conn:
// the client side costs the same for both libraries and needs no goroutine.
func rawDial(tb testing.TB, addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	br := bufio.NewReaderSize(c, 256)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			tb.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	return c
}

// TestIdleMemory reports the server's heap and stack growth per idle WebSocket, each
// with a goroutine blocked reading (the engine's design before parking), for both
// libraries. Clients are raw TCP conns, counted in both equally.
func TestIdleMemory(t *testing.T) {
	const n = 2000
	for _, lib := range []string{"gorilla", "coder"} {
		t.Run(lib, func(t *testing.T) {
			var wg sync.WaitGroup
			ready := make(chan struct{}, n)
			srv := server(t, lib, func(c any) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ready <- struct{}{}
					switch c := c.(type) {
					case *websocket.Conn:
						_, _, _ = c.ReadMessage()
						c.Close()
					case *coder.Conn:
						_, _, _ = c.Read(context.Background())
						c.CloseNow()
					}
				}()
			})
			addr := strings.TrimPrefix(srv.URL, "http://")
			before := memUse()
			conns := make([]net.Conn, n)
			for i := range conns {
				conns[i] = rawDial(t, addr)
				<-ready
			}
			time.Sleep(200 * time.Millisecond)
			after := memUse()
			t.Logf("%s: %.0f bytes per idle connection (heap in use + stacks, clients included)",
				lib, float64(after-before)/n)
			for _, c := range conns {
				c.Close()
			}
			wg.Wait()
		})
	}
}

func memUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// writer is the server side of one connection, writing text messages.
type writer interface{ write([]byte) error }

type gorillaW struct{ c *websocket.Conn }

func (w gorillaW) write(b []byte) error { return w.c.WriteMessage(websocket.TextMessage, b) }

type gorillaPM struct {
	c  *websocket.Conn
	pm *websocket.PreparedMessage
}

func (w gorillaPM) write([]byte) error { return w.c.WritePreparedMessage(w.pm) }

type coderW struct{ c *coder.Conn }

func (w coderW) write(b []byte) error { return w.c.Write(context.Background(), coder.MessageText, b) }

// conns opens n server-side connections of lib, each drained by its client.
func conns(b *testing.B, lib string, n int) []writer {
	got := make(chan any, n)
	srv := server(b, lib, func(c any) { got <- c })
	addr := strings.TrimPrefix(srv.URL, "http://")
	out := make([]writer, n)
	for i := range out {
		cc := rawDial(b, addr)
		go func() { _, _ = io.Copy(io.Discard, cc) }()
		b.Cleanup(func() { cc.Close() })
		switch c := (<-got).(type) {
		case *websocket.Conn:
			out[i] = gorillaW{c}
		case *coder.Conn:
			out[i] = coderW{c}
		}
	}
	return out
}

// BenchmarkWrite is one message written to one connection (server CPU per message).
func BenchmarkWrite(b *testing.B) {
	for _, lib := range []string{"gorilla", "gorilla-prepared", "coder"} {
		b.Run(lib, func(b *testing.B) {
			l := lib
			if l == "gorilla-prepared" {
				l = "gorilla"
			}
			w := conns(b, l, 1)[0]
			if lib == "gorilla-prepared" {
				w = gorillaPM{w.(gorillaW).c, mustPM(b)}
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := w.write(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBroadcast100 is one message written to 100 connections, as a room
// broadcast does; gorilla-prepared frames it once for all of them.
func BenchmarkBroadcast100(b *testing.B) {
	for _, lib := range []string{"gorilla", "gorilla-prepared", "coder"} {
		b.Run(lib, func(b *testing.B) {
			l := lib
			if l == "gorilla-prepared" {
				l = "gorilla"
			}
			ws := conns(b, l, 100)
			b.ReportAllocs()
			for b.Loop() {
				var pm *websocket.PreparedMessage
				if lib == "gorilla-prepared" {
					pm = mustPM(b)
				}
				for _, w := range ws {
					if pm != nil {
						w = gorillaPM{w.(gorillaW).c, pm}
					}
					if err := w.write(payload); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func mustPM(b *testing.B) *websocket.PreparedMessage {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, payload)
	if err != nil {
		b.Fatal(err)
	}
	return pm
}
