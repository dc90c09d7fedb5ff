package engineio

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func benchPackets() []outPacket {
	return []outPacket{
		{frame: NewFrame([]byte(`2["chat",{"text":"hello world","room":"lobby"}]`), false)},
		{frame: NewFrame([]byte(`2["typing",{"user":"ann"}]`), false)},
		{frame: NewFrame(make([]byte, 64), true)},
		{typ: typePing},
	}
}

func BenchmarkPayloadEncodeV4(b *testing.B) {
	pkts := benchPackets()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendPayloadV4(buf[:0], pkts)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkPayloadDecodeV4(b *testing.B) {
	body := appendPayloadV4(nil, benchPackets())
	dst := make([]packet, 0, 8)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePayloadV4(body, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPayloadEncodeV3(b *testing.B) {
	pkts := benchPackets()[:2]
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendPayloadV3(buf[:0], pkts, false)
	}
}

func BenchmarkPayloadDecodeV3(b *testing.B) {
	body, _ := appendPayloadV3(nil, benchPackets()[:2], false)
	dst := make([]packet, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePayloadV3Text(body, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEnv opens n WebSocket sessions whose clients discard what they read.
func benchEnv(b *testing.B, n int) ([]*Session, func()) {
	h := newTestHandler()
	h.echo = false
	h.closed = make(chan Reason, n+10)
	cfg := Config{PingInterval: time.Minute, MaxWriteQueueBytes: 64 << 20}
	srv, err := NewServer(cfg, h)
	if err != nil {
		b.Fatal(err)
	}
	e := &env{srv: srv, h: h}
	ts := newBenchServer(srv)
	e.url = ts.URL + "/engine.io/"
	conns := make([]*websocket.Conn, n)
	done := make(chan struct{}, n)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.url, "http")+"?EIO=4&transport=websocket", nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = c
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}()
	}
	for {
		h.mu.Lock()
		ready := len(h.sessions)
		h.mu.Unlock()
		if ready >= n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	h.mu.Lock()
	sessions := append([]*Session(nil), h.sessions...)
	h.mu.Unlock()
	return sessions, func() {
		for _, c := range conns {
			c.Close()
		}
		for range conns {
			<-done
		}
		_ = srv.Shutdown(b.Context())
		ts.Close()
	}
}

func BenchmarkSessionSend(b *testing.B) {
	sessions, stop := benchEnv(b, 1)
	defer stop()
	s := sessions[0]
	f := NewFrame([]byte(`2["chat",{"text":"hello world"}]`), false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Send(f); err != nil {
			b.Fatal(err)
		}
		if i%256 == 0 {
			waitDrained(s, 1<<20)
		}
	}
}

// waitDrained waits until s has at most max bytes queued, as a real sender is limited by
// its input rate; Send itself never waits.
func waitDrained(s *Session, max int) {
	for {
		s.mu.Lock()
		n := s.queueBytes
		s.mu.Unlock()
		if n <= max {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func BenchmarkSessionSendPolling(b *testing.B) {
	h := newTestHandler()
	srv, err := NewServer(Config{PingInterval: time.Minute, MaxWriteQueueBytes: 1 << 30}, h)
	if err != nil {
		b.Fatal(err)
	}
	ts := newBenchServer(srv)
	defer ts.Close()
	res, err := ts.Client().Get(ts.URL + "/?EIO=4&transport=polling")
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	s := h.sessions[0]
	f := NewFrame([]byte(`2["chat",{"text":"hello world"}]`), false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.Send(f); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 { // keep the queue short, as a polling client would
			s.mu.Lock()
			clear(s.queue)
			s.queue, s.queueBytes = s.queue[:0], 0
			s.mu.Unlock()
		}
	}
	b.StopTimer()
	s.destroy(ReasonForcedClose, 0)
	_ = srv.Shutdown(b.Context())
}

// BenchmarkFrameBroadcast sends one new Frame to 1000 WebSocket sessions per iteration;
// allocs/op shows the frame is encoded once, not per recipient.
func BenchmarkFrameBroadcast(b *testing.B) {
	sessions, stop := benchEnv(b, 1000)
	defer stop()
	payload := []byte(`2["chat",{"text":"hello everyone in the room","user":"ann"}]`)
	b.ReportAllocs()
	for b.Loop() {
		f := NewFrame(payload, false)
		for _, s := range sessions {
			if err := s.Send(f); err != nil {
				b.Fatal(err)
			}
		}
		for _, s := range sessions {
			waitDrained(s, 256<<10)
		}
	}
}

// BenchmarkIdleWebSocketMemory reports the server's heap and stack per idle WebSocket
// session (B/conn), the figure compared with Node. The clients are raw TCP connections
// that did the WebSocket handshake, so their own cost (a net.Conn each) is small; it is
// included, which makes the figure an upper bound.
func BenchmarkIdleWebSocketMemory(b *testing.B) {
	const n = 2000
	for b.Loop() {
		h := newTestHandler()
		h.echo = false
		h.closed = make(chan Reason, n+10)
		srv, err := NewServer(Config{PingInterval: time.Minute}, h)
		if err != nil {
			b.Fatal(err)
		}
		ts := newBenchServer(srv)
		addr := strings.TrimPrefix(ts.URL, "http://")
		before := memInUse()
		stackBefore := stackInUse()
		conns := make([]net.Conn, 0, n)
		for i := 0; i < n; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
			buf := make([]byte, 512)
			if _, err := c.Read(buf); err != nil { // 101 and maybe the open frame
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		for srv.Count() < n {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // flushers exit
		after := memInUse()
		b.ReportMetric(float64(after-before)/n, "B/conn")
		b.ReportMetric(float64(stackInUse()-stackBefore)/n, "stackB/conn")
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

// stackInUse returns the bytes of goroutine stacks.
func stackInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.StackInuse
}

// BenchmarkWebSocketEcho is one client message and the server's echo, round trip: the
// read path, where an idle read loop hands its socket to the poller after each message
// and is started again when the next one arrives.
func BenchmarkWebSocketEcho(b *testing.B) {
	h := newTestHandler()
	srv, err := NewServer(Config{PingInterval: time.Minute}, h)
	if err != nil {
		b.Fatal(err)
	}
	ts := newBenchServer(srv)
	defer ts.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadMessage(); err != nil { // open
		b.Fatal(err)
	}
	msg := []byte("4hello")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}
