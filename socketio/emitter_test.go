package socketio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"rtserver/socketio/parser"
)

// TestSocketTimeoutEmitWithAck: the timeout bounds the wait (ErrAckTimeout wrapping
// DeadlineExceeded), an answer within it is returned, and no ack stays pending.
func TestSocketTimeoutEmitWithAck(t *testing.T) {
	sockets := make(chan *Socket, 1)
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		srv.OnConnection(func(s *Socket) { sockets <- s })
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	s := <-sockets

	start := time.Now()
	_, err := s.Timeout(50*time.Millisecond).EmitWithAck(context.Background(), "ignored")
	if !errors.Is(err, ErrAckTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > waitTimeout {
		t.Fatalf("waited %v", d)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(c.expectPrefix(`2`), `2`), `["ignored"]`)
	if id == "" {
		t.Fatal("no ack id")
	}

	got := make(chan Args, 1)
	go func() {
		a, err := s.Timeout(waitTimeout).EmitWithAck(context.Background(), "q", 1)
		if err != nil {
			t.Error(err)
		}
		got <- a
	}()
	data := c.expectPrefix(`2`)
	id = strings.TrimSuffix(strings.TrimPrefix(data, `2`), `["q",1]`)
	c.send(`3` + id + `["answer"]`)
	if a := <-got; a.Len() != 1 || string(a.Raw(0)) != `"answer"` {
		t.Fatalf("ack %s", a.Raw(0))
	}
	if n := s.PendingAcks(); n != 0 {
		t.Fatalf("pending acks %d", n)
	}
}

// TestSocketVolatileEmit: a volatile emit is dropped while the client has packets
// waiting (here the CONNECT reply of a polling client that has not polled yet); a
// plain one is queued.
func TestSocketVolatileEmit(t *testing.T) {
	sockets := make(chan *Socket, 1)
	srv, base := newTestServer(t, Config{}, func(srv *Server) {
		srv.OnConnection(func(s *Socket) { sockets <- s })
	})
	get := func(url string) string {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	open := get(base + "?EIO=4&transport=polling")
	i := strings.Index(open, `"sid":"`)
	sid := open[i+7 : i+7+strings.IndexByte(open[i+7:], '"')]
	url := base + "?EIO=4&transport=polling&sid=" + sid
	resp, err := http.Post(url, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := <-sockets
	if err := s.Volatile().Emit("dropped"); err != nil {
		t.Fatal(err)
	}
	if err := s.Emit("kept"); err != nil {
		t.Fatal(err)
	}
	body := get(url)
	if strings.Contains(body, "dropped") || !strings.HasSuffix(body, "\x1e42[\"kept\"]") {
		t.Fatalf("body %q", body)
	}
	if n := srv.Stats().VolatileDropped; n != 1 {
		t.Fatalf("VolatileDropped %d", n)
	}
}

// TestEmitterFlags: modifiers copy, so a shared Emitter is not changed by later
// calls, and Compress(false) marks every frame (attachments too) uncompressible.
func TestEmitterFlags(t *testing.T) {
	base := (&Socket{}).Timeout(time.Second)
	v := base.Volatile().Compress(false)
	if base.volatile || base.noCompress || !v.volatile || !v.noCompress || v.timeout != time.Second {
		t.Fatalf("base %+v derived %+v", base, v)
	}
	p, err := eventPacket("/", "e", []any{[]byte{1}}, parser.NoID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range (&Server{}).encodeFrames(p, false) {
		if f.Compressible() {
			t.Fatal("compressible frame")
		}
	}
	for _, f := range (&Server{}).encodeFrames(p, true) {
		if !f.Compressible() {
			t.Fatal("default frame not compressible")
		}
	}
}
