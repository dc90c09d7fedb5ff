package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is a minimal Socket.IO v5 client over an Engine.IO v4 WebSocket (no polling, no
// upgrade, no reconnection): exactly what the load scenarios need and nothing more, so the
// load generator spends little CPU per message and can drive a faster server from one core.
//
// One goroutine reads (readLoop); writes from any goroutine go through wmu.
type client struct {
	conn *websocket.Conn
	wmu  sync.Mutex
	sink *sink

	nextAck atomic.Int64
	amu     sync.Mutex
	acks    map[int64]chan []byte

	closed chan struct{} // closed when readLoop ends
	kicked atomic.Bool   // true when the read loop ended without close() being called
	ending atomic.Bool   // set by close()
}

// sink receives what the read loops see; shared by every client of a scenario.
type sink struct {
	hist         atomic.Pointer[histogram] // where "msg" latencies go; nil = ignore
	step         atomic.Int64              // only messages of this step are recorded
	disconnected atomic.Int64              // connections the server ended
	lastMsg      atomic.Int64              // UnixNano of the last "msg" of any step
}

// endpoint is where clients connect: the server's base URL (http://host:port) and the
// Socket.IO namespace ("/" for the fixtures, "/chat" for the product kinds).
type endpoint struct {
	url string
	nsp string
}

// connectFrame is the Socket.IO CONNECT packet for nsp with auth {"token":token}: `40{...}`
// on "/", `40/chat,{...}` on another namespace.
func connectFrame(nsp, token string) []byte {
	auth := `{"token":` + strconv.Quote(token) + `}`
	if nsp == "/" {
		return []byte("40" + auth)
	}
	return []byte("40" + nsp + "," + auth)
}

// dialClient opens a WebSocket to ep.url, waits for the Engine.IO open packet, sends
// CONNECT to ep.nsp with auth {"token":token} and waits for the CONNECT reply of ep.nsp
// (`40...`, or `40/chat,...`); a connect_error (`44...`) is an error with its payload.
func dialClient(ctx context.Context, ep endpoint, token string, s *sink) (*client, error) {
	base := ep.url
	u := "ws" + base[len("http"):] + "/socket.io/?EIO=4&transport=websocket"
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 2048}
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	_, open, err := conn.ReadMessage()
	if err != nil || len(open) == 0 || open[0] != '0' {
		conn.Close()
		return nil, fmt.Errorf("open packet: %q %v", open, err)
	}
	ok, refused := []byte("40"), []byte("44")
	if ep.nsp != "/" {
		ok, refused = []byte("40"+ep.nsp+","), []byte("44"+ep.nsp+",")
	}
	if err := conn.WriteMessage(websocket.TextMessage, connectFrame(ep.nsp, token)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send CONNECT: %w", err)
	}
	for {
		_, m, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("CONNECT reply: %w", err)
		}
		switch {
		case bytes.HasPrefix(m, ok):
			_ = conn.SetReadDeadline(time.Time{})
			c := &client{conn: conn, sink: s, acks: map[int64]chan []byte{}, closed: make(chan struct{})}
			go c.readLoop()
			return c, nil
		case bytes.Equal(m, []byte("2")):
			if err := conn.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				conn.Close()
				return nil, err
			}
		case bytes.HasPrefix(m, refused):
			conn.Close()
			return nil, fmt.Errorf("refused: %s", m)
		}
	}
}

func (c *client) send(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

// emitAck sends `42<id>[event,args...]` (args is the JSON text after the event name,
// starting with a comma or empty) and waits for the ACK payload.
func (c *client) emitAck(ctx context.Context, event, args string) ([]byte, error) {
	id := c.nextAck.Add(1)
	ch := make(chan []byte, 1)
	c.amu.Lock()
	c.acks[id] = ch
	c.amu.Unlock()
	defer func() {
		c.amu.Lock()
		delete(c.acks, id)
		c.amu.Unlock()
	}()
	if err := c.send([]byte("42" + strconv.FormatInt(id, 10) + `[` + strconv.Quote(event) + args + `]`)); err != nil {
		return nil, err
	}
	select {
	case p := <-ch:
		return p, nil
	case <-c.closed:
		return nil, errors.New("connection closed while waiting for an ack")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *client) close() {
	c.ending.Store(true)
	c.wmu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.conn.Close()
	<-c.closed
}

func (c *client) readLoop() {
	defer close(c.closed)
	buf := make([]byte, 0, 512)
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			if !c.ending.Load() {
				c.kicked.Store(true)
				c.sink.disconnected.Add(1)
			}
			return
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
		}
		c.handle(buf)
	}
}

var (
	msgPrefix = []byte(`42["msg",`)
	tKey      = []byte(`"t":`)
	sKey      = []byte(`"s":`)
)

func (c *client) handle(m []byte) {
	switch {
	case bytes.HasPrefix(m, msgPrefix):
		now := time.Now().UnixNano()
		c.sink.lastMsg.Store(now)
		h := c.sink.hist.Load()
		if h == nil {
			return
		}
		step, ok1 := intAfter(m, sKey)
		t, ok2 := intAfter(m, tKey)
		if !ok1 || !ok2 || step != c.sink.step.Load() {
			return
		}
		h.record(time.Duration(now - t))
	case len(m) == 1 && m[0] == '2':
		_ = c.send([]byte("3"))
	case bytes.HasPrefix(m, []byte("43")):
		i := 2
		for i < len(m) && m[i] >= '0' && m[i] <= '9' {
			i++
		}
		id, err := strconv.ParseInt(string(m[2:i]), 10, 64)
		if err != nil {
			return
		}
		c.amu.Lock()
		ch := c.acks[id]
		c.amu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), m[i:]...)
		}
	case bytes.HasPrefix(m, []byte("41")), len(m) == 1 && m[0] == '1':
		c.conn.Close()
	}
}

// intAfter parses the decimal integer right after the first occurrence of key in m.
func intAfter(m, key []byte) (int64, bool) {
	i := bytes.Index(m, key)
	if i < 0 {
		return 0, false
	}
	i += len(key)
	var v int64
	start := i
	for i < len(m) && m[i] >= '0' && m[i] <= '9' {
		v = v*10 + int64(m[i]-'0')
		i++
	}
	return v, i > start
}

// dialMany opens n clients with at most conc dials in flight, client i with token(i); it
// stops at the first error.
func dialMany(ctx context.Context, n, conc int, ep endpoint, token func(i int) string, s *sink) ([]*client, error) {
	out := make([]*client, n)
	var next atomic.Int64
	var firstErr error
	var emu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < conc && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				emu.Lock()
				failed := firstErr != nil
				emu.Unlock()
				if failed {
					return
				}
				dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				c, err := dialClient(dctx, ep, token(i), s)
				cancel()
				if err != nil {
					emu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("client %d: %w", i, err)
					}
					emu.Unlock()
					return
				}
				out[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(out)
		return nil, firstErr
	}
	return out, nil
}

// closeAll closes every non-nil client, a few at a time.
func closeAll(cs []*client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range cs {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.close()
			<-sem
		}()
	}
	wg.Wait()
}
