//go:build e2e

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// nsp is the namespace every fault client uses.
const nsp = "/chat"

// Socket.IO packet prefixes on /chat.
var (
	pktConnect    = []byte("40" + nsp + ",")
	pktDisconnect = []byte("41" + nsp + ",")
	pktEvent      = []byte("42" + nsp + ",")
	pktAck        = []byte("43" + nsp + ",")
	pktConnectErr = []byte("44" + nsp + ",")
	msgEvent      = []byte(`["message",`)
)

// chatMsg is a `message` event or a history entry.
type chatMsg struct {
	ID   string `json:"id"`
	Room string `json:"room"`
	From struct {
		ID string `json:"id"`
	} `json:"from"`
	Text string `json:"text"`
	TS   int64  `json:"ts"`
}

// ackResult is the union of the acks the suite reads.
type ackResult struct {
	OK        bool      `json:"ok"`
	ID        string    `json:"id"`
	TS        int64     `json:"ts"`
	Duplicate bool      `json:"duplicate"`
	Messages  []chatMsg `json:"messages"`
	History   []chatMsg `json:"history"`
	Members   []struct {
		ID string `json:"id"`
	} `json:"members"`
	More  bool `json:"more"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// ending says how a client's connection ended, as socket.io-client would name it.
type ending struct {
	// IOServerDisconnect: the server sent a Socket.IO DISCONNECT (41) for /chat:
	// socket.io-client would not reconnect on its own.
	IOServerDisconnect bool
	// EngineClose: the server sent the Engine.IO close packet (1).
	EngineClose bool
	// CloseCode is the WebSocket close code the server sent, 0 when none (EOF, reset).
	CloseCode int
	// Err is the read error that ended the loop.
	Err error
	// At is when the read loop ended.
	At time.Time
}

// client is a minimal Socket.IO v5 client on /chat over an Engine.IO v4 WebSocket (no
// polling, no reconnection of its own: scenarios reconnect by dialing a new client).
// One goroutine reads (readLoop); writes from any goroutine go through wmu.
type client struct {
	ws  *websocket.Conn
	raw net.Conn
	wmu sync.Mutex

	nextAck atomic.Int64
	amu     sync.Mutex
	acks    map[int64]chan []byte

	onMessage func(m chatMsg, at time.Time) // read goroutine; may be nil
	onBytes   func(n int)                   // read goroutine; every message's size; may be nil

	paused atomic.Bool   // stop reading (slow consumer)
	resume chan struct{} // closed to read again
	noPong atomic.Bool   // stop answering pings (silent peer)
	ending atomic.Bool   // close() was called

	done chan struct{} // closed when readLoop ends
	emu  sync.Mutex
	end  ending
}

// dialOpts tunes one dial.
type dialOpts struct {
	// RcvBuf, when > 0, sets SO_RCVBUF on the client socket before connecting.
	RcvBuf    int
	OnMessage func(m chatMsg, at time.Time)
	OnBytes   func(n int)
}

// dialError is a failed dial; Status is the HTTP status of a refused handshake (503
// while the server shuts down), 0 for network errors.
type dialError struct {
	Status int
	Stage  string
	Err    error
}

func (e *dialError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v", e.Stage, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Stage, e.Err)
}

func (e *dialError) Unwrap() error { return e.Err }

// refused reports whether err is a connection refused (nothing listening).
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// dial opens a WebSocket to base (http://127.0.0.1:port), waits for the Engine.IO open
// packet, sends CONNECT /chat with auth {token} and waits for the CONNECT reply.
func dial(ctx context.Context, base, token string, o dialOpts) (*client, error) {
	u := "ws" + base[len("http"):] + "/socket.io/?EIO=4&transport=websocket"
	var raw net.Conn
	nd := &net.Dialer{Timeout: 10 * time.Second}
	if o.RcvBuf > 0 {
		nd.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, o.RcvBuf)
			})
			return errors.Join(err, serr)
		}
	}
	d := websocket.Dialer{
		HandshakeTimeout: 15 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			raw = c
			return c, err
		},
	}
	ws, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		de := &dialError{Stage: "dial", Err: err}
		if resp != nil {
			de.Status = resp.StatusCode
			resp.Body.Close()
		}
		return nil, de
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	fail := func(stage string, err error) (*client, error) {
		ws.Close()
		return nil, &dialError{Stage: stage, Err: err}
	}
	_, open, err := ws.ReadMessage()
	if err != nil || len(open) == 0 || open[0] != '0' {
		return fail("open packet", fmt.Errorf("%q %v", open, err))
	}
	auth, _ := json.Marshal(map[string]string{"token": token})
	if err := ws.WriteMessage(websocket.TextMessage, append(append([]byte{}, pktConnect...), auth...)); err != nil {
		return fail("send CONNECT", err)
	}
	for {
		_, m, err := ws.ReadMessage()
		if err != nil {
			return fail("CONNECT reply", err)
		}
		switch {
		case bytes.HasPrefix(m, pktConnect):
			_ = ws.SetReadDeadline(time.Time{})
			c := &client{
				ws: ws, raw: raw, acks: map[int64]chan []byte{},
				onMessage: o.OnMessage, onBytes: o.OnBytes,
				resume: make(chan struct{}), done: make(chan struct{}),
			}
			go c.readLoop()
			return c, nil
		case bytes.Equal(m, []byte("2")):
			if err := ws.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				return fail("pong", err)
			}
		case bytes.HasPrefix(m, pktConnectErr):
			return fail("CONNECT", fmt.Errorf("refused: %s", m))
		}
	}
}

func (c *client) send(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// errClosed is returned by call when the connection ends before the ack.
var errClosed = errors.New("connection closed before the ack")

// emitAck sends `42/chat,<id>[event,arg]` and returns a channel for the ACK payload
// (the JSON array after the id). cancel forgets the ack.
func (c *client) emitAck(event string, arg any) (ch chan []byte, cancel func(), err error) {
	id := c.nextAck.Add(1)
	ch = make(chan []byte, 1)
	c.amu.Lock()
	c.acks[id] = ch
	c.amu.Unlock()
	cancel = func() {
		c.amu.Lock()
		delete(c.acks, id)
		c.amu.Unlock()
	}
	body, err := json.Marshal([]any{event, arg})
	if err != nil {
		cancel()
		return nil, nil, err
	}
	pkt := make([]byte, 0, len(pktEvent)+20+len(body))
	pkt = append(pkt, pktEvent...)
	pkt = strconv.AppendInt(pkt, id, 10)
	pkt = append(pkt, body...)
	if err := c.send(pkt); err != nil {
		cancel()
		return nil, nil, err
	}
	return ch, cancel, nil
}

// call emits event with arg and waits for its ack, the connection's end or ctx.
func (c *client) call(ctx context.Context, event string, arg any) (ackResult, error) {
	ch, cancel, err := c.emitAck(event, arg)
	if err != nil {
		return ackResult{}, err
	}
	defer cancel()
	select {
	case p := <-ch:
		return decodeAck(p)
	case <-c.done:
		// The ack may have been read just before the loop ended.
		select {
		case p := <-ch:
			return decodeAck(p)
		default:
		}
		return ackResult{}, errClosed
	case <-ctx.Done():
		return ackResult{}, ctx.Err()
	}
}

func decodeAck(p []byte) (ackResult, error) {
	var arr []ackResult
	if err := json.Unmarshal(p, &arr); err != nil || len(arr) == 0 {
		return ackResult{}, fmt.Errorf("bad ack %.80q: %v", p, err)
	}
	a := arr[0]
	if !a.OK {
		code := "?"
		if a.Error != nil {
			code = a.Error.Code
		}
		return a, fmt.Errorf("ack error %s", code)
	}
	return a, nil
}

// join joins room and returns its ack (members, last 50 messages).
func (c *client) join(ctx context.Context, room string) (ackResult, error) {
	return c.call(ctx, "join", room)
}

// close sends a WebSocket close frame and waits for the read loop.
func (c *client) close() {
	c.ending.Store(true)
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
	c.unpause()
	<-c.done
}

// cutFIN closes the TCP connection without a close frame (the peer sees FIN).
func (c *client) cutFIN() {
	c.ending.Store(true)
	c.raw.Close()
	c.unpause()
	<-c.done
}

// cutRST resets the TCP connection (SO_LINGER 0, the peer sees RST).
func (c *client) cutRST() {
	c.ending.Store(true)
	if tc, ok := c.raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.raw.Close()
	c.unpause()
	<-c.done
}

// silence keeps the socket open but stops reading and answering pings, as a peer
// behind a dead NAT would; the server only notices through its heartbeat.
func (c *client) silence() {
	c.noPong.Store(true)
	c.pause()
}

func (c *client) pause() { c.paused.Store(true) }

func (c *client) unpause() {
	if c.paused.CompareAndSwap(true, false) {
		close(c.resume)
	}
}

// ended returns how the connection ended; valid after done is closed.
func (c *client) ended() ending {
	c.emu.Lock()
	defer c.emu.Unlock()
	return c.end
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		if c.paused.Load() {
			<-c.resume
		}
		_, m, err := c.ws.ReadMessage()
		if err != nil {
			c.emu.Lock()
			c.end.Err, c.end.At = err, time.Now()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.end.CloseCode = ce.Code
			}
			c.emu.Unlock()
			return
		}
		if c.onBytes != nil {
			c.onBytes(len(m))
		}
		c.handle(m)
	}
}

func (c *client) handle(m []byte) {
	switch {
	case bytes.HasPrefix(m, pktEvent):
		p := m[len(pktEvent):]
		if c.onMessage == nil || !bytes.HasPrefix(p, msgEvent) {
			return
		}
		at := time.Now()
		var arr []json.RawMessage
		if json.Unmarshal(p, &arr) != nil || len(arr) < 2 {
			return
		}
		var cm chatMsg
		if json.Unmarshal(arr[1], &cm) == nil {
			c.onMessage(cm, at)
		}
	case len(m) == 1 && m[0] == '2':
		if !c.noPong.Load() {
			_ = c.send([]byte("3"))
		}
	case bytes.HasPrefix(m, pktAck):
		p := m[len(pktAck):]
		i := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		id, err := strconv.ParseInt(string(p[:i]), 10, 64)
		if err != nil {
			return
		}
		c.amu.Lock()
		ch := c.acks[id]
		delete(c.acks, id)
		c.amu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), p[i:]...)
		}
	case bytes.HasPrefix(m, pktDisconnect) || bytes.Equal(m, pktDisconnect[:len(pktDisconnect)-1]):
		c.emu.Lock()
		c.end.IOServerDisconnect = true
		c.emu.Unlock()
	case len(m) == 1 && m[0] == '1':
		c.emu.Lock()
		c.end.EngineClose = true
		c.emu.Unlock()
	}
}

// dialMany opens n clients with at most conc dials in flight; tok(i) and opts(i) give
// each client's token and options. It fails on the first error, closing what it opened.
func dialMany(ctx context.Context, base string, n, conc int, tok func(i int) string, opts func(i int) dialOpts) ([]*client, error) {
	out := make([]*client, n)
	var next atomic.Int64
	var emu sync.Mutex
	var firstErr error
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
				c, err := dial(dctx, base, tok(i), opts(i))
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

// closeAll closes every non-nil client, 256 at a time.
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

// pollHandshake makes one Engine.IO polling handshake and returns its HTTP status
// (0 and the error when the request failed).
func pollHandshake(ctx context.Context, hc *http.Client, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil)
	if err != nil {
		return 0, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}
