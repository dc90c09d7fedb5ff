package socketio

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// benchClients connects n WebSocket clients to "/" that drain everything they
// receive, and returns their server-side sockets.
func benchClients(b *testing.B, n int, setup func(s *Server)) (*Server, []*Socket) {
	b.Helper()
	var mu sync.Mutex
	var socks []*Socket
	ready := make(chan struct{}, n)
	srv, base := newTestServer(b, Config{}, func(s *Server) {
		s.OnConnection(func(so *Socket) {
			mu.Lock()
			socks = append(socks, so)
			mu.Unlock()
			ready <- struct{}{}
		})
		if setup != nil {
			setup(s)
		}
	})
	u := strings.Replace(base, "http", "ws", 1) + "?EIO=4&transport=websocket"
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		_ = c.WriteMessage(websocket.TextMessage, []byte("40"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for {
				_, r, err := c.NextReader()
				if err != nil {
					return
				}
				k, _ := io.ReadFull(r, buf)
				_, _ = io.Copy(io.Discard, r)
				if k == 1 && buf[0] == '2' {
					_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-ready
	}
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	})
	return srv, socks
}

// BenchmarkBroadcastRoom1000 broadcasts to a room of 1000 WebSocket sockets: one
// encode, the same frames queued to every recipient.
func BenchmarkBroadcastRoom1000(b *testing.B) {
	srv, socks := benchClients(b, 1000, nil)
	for _, s := range socks {
		_ = s.Join("room")
	}
	op := srv.To("room")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := op.Emit("tick", "hello", i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmitOne emits to one WebSocket socket.
func BenchmarkEmitOne(b *testing.B) {
	_, socks := benchClients(b, 1, nil)
	s := socks[0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Emit("tick", "hello", i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventDispatch feeds EVENT packets to a connection's handler as the read
// loop does: decode, split, dispatch to a typed handler.
func BenchmarkEventDispatch(b *testing.B) {
	var n int
	_, socks := benchClients(b, 1, func(s *Server) {
		s.OnConnection(func(so *Socket) {
			so.On("message", func(_ *Socket, args Args, _ Ack) { n += args.Len() })
		})
	})
	c := socks[0].client
	msg := []byte(`2["message",1,"2",{"3":[true]}]`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.OnMessage(append([]byte(nil), msg...), false)
	}
	if n == 0 {
		b.Fatal("handler not called")
	}
}

// BenchmarkIdleSocketMemory reports the server's heap and stacks per idle WebSocket
// client connected to "/" (B/conn: engine session, client, socket, its room), and the
// goroutines each holds. The clients are raw TCP connections that did the WebSocket
// handshake and sent CONNECT; their own cost (a net.Conn each) is included, so the
// figure is an upper bound. The server's OnConnection registers no handler: an
// application's own per-socket state comes on top.
func BenchmarkIdleSocketMemory(b *testing.B) {
	const n = 2000
	for b.Loop() {
		srv, err := NewServer(Config{})
		if err != nil {
			b.Fatal(err)
		}
		var connected atomic.Int64
		srv.OnConnection(func(*Socket) { connected.Add(1) })
		ts := httptest.NewServer(srv)
		addr := strings.TrimPrefix(ts.URL, "http://")
		before, g0 := memInUse(), runtime.NumGoroutine()
		conns := make([]net.Conn, 0, n)
		buf := make([]byte, 512)
		for i := 0; i < n; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
			if _, err := c.Read(buf); err != nil { // 101 and maybe the open packet
				b.Fatal(err)
			}
			// CONNECT to "/": a masked text frame "40" (mask 0).
			if _, err := c.Write([]byte{0x81, 0x82, 0, 0, 0, 0, '4', '0'}); err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		for connected.Load() < n {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // flushers exit
		// Signed: the previous round's server may still be freeing as this one is measured,
		// and an unsigned difference then read as 9e18 bytes per connection.
		b.ReportMetric(float64(int64(memInUse())-int64(before))/n, "B/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
		for _, c := range conns {
			c.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
		ts.Close()
	}
}

// memInUse returns heap in use plus goroutine stacks after a GC.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
