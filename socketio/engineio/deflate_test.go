package engineio

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// countingConn counts the bytes read from the wire.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

// dialDeflate dials with permessage-deflate offered and counts what the server sends.
func dialDeflate(t *testing.T, e *env, read *atomic.Int64) (*websocket.Conn, *http.Response) {
	t.Helper()
	d := websocket.Dialer{
		EnableCompression: true,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return countingConn{c, read}, err
		},
	}
	c, res, err := d.Dial("ws"+strings.TrimPrefix(e.url, "http")+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	read.Store(0)
	return c, res
}

// TestPerMessageDeflate: negotiated only when configured; messages from the
// threshold on are compressed both ways, smaller ones and uncompressible frames
// are not; the payload limit applies to the inflated size.
func TestPerMessageDeflate(t *testing.T) {
	big := strings.Repeat("compressible ", 2000) // 26 000 bytes

	t.Run("off by default", func(t *testing.T) {
		e := newEnv(t, fastConfig(), nil)
		var n atomic.Int64
		c, res := dialDeflate(t, e, &n)
		if ext := res.Header.Get("Sec-Websocket-Extensions"); ext != "" {
			t.Fatalf("negotiated %q", ext)
		}
		read(t, c) // open
		n.Store(0)
		write(t, c, websocket.TextMessage, "4"+big)
		if _, got := read(t, c); got != "4"+big {
			t.Fatal("echo differs")
		}
		if n.Load() < int64(len(big)) {
			t.Fatalf("read %d bytes for a %d-byte echo without compression", n.Load(), len(big))
		}
	})

	t.Run("on", func(t *testing.T) {
		cfg := fastConfig()
		cfg.PerMessageDeflate = &PerMessageDeflate{}
		cfg.MaxPayload = 100_000
		h := newTestHandler() // echoes what the client sends
		e := newEnv(t, cfg, h)
		var n atomic.Int64
		c, res := dialDeflate(t, e, &n)
		if ext := res.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
			t.Fatalf("not negotiated: %q", ext)
		}
		read(t, c) // open
		s := h.session(t, 0)

		n.Store(0)
		_ = s.Send(NewFrame([]byte(big), false))
		if _, got := read(t, c); got != "4"+big || n.Load() > int64(len(big))/10 {
			t.Fatalf("compressed message: %d bytes on the wire", n.Load())
		}
		n.Store(0)
		_ = s.Send(NewUncompressedFrame([]byte(big), false))
		if _, got := read(t, c); got != "4"+big || n.Load() < int64(len(big)) {
			t.Fatalf("uncompressed frame: %d bytes on the wire", n.Load())
		}

		// Client to server: compressed by the client, inflated by the server.
		c.EnableWriteCompression(true)
		write(t, c, websocket.TextMessage, "4"+big)
		if _, got := read(t, c); got != "4"+big {
			t.Fatal("echo of a compressed message differs")
		}

		// 300 000 bytes that deflate to little: over MaxPayload once inflated.
		write(t, c, websocket.TextMessage, "4"+strings.Repeat("a", 300_000))
		if r := h.waitClosed(t); r != ReasonPayloadTooLarge {
			t.Fatalf("closed with %q", r)
		}
	})
}

func TestPerMessageDeflateValidate(t *testing.T) {
	for _, d := range []PerMessageDeflate{{Threshold: -1}, {Level: 10}, {Level: -1}} {
		cfg := Config{PerMessageDeflate: &d}.withDefaults()
		if cfg.Validate() == nil {
			t.Errorf("%+v accepted", d)
		}
	}
	cfg := Config{PerMessageDeflate: &PerMessageDeflate{}}.withDefaults()
	if err := cfg.Validate(); err != nil || cfg.PerMessageDeflate.Threshold != 1024 || cfg.PerMessageDeflate.Level != 1 {
		t.Fatalf("defaults %+v %v", cfg.PerMessageDeflate, err)
	}
}
