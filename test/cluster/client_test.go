//go:build e2e

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// event is an EVENT a client received: its name and first argument, and when.
type event struct {
	Name string
	Arg  json.RawMessage
	At   time.Time
}

// chatMsg is a /chat `message` event or a history entry.
type chatMsg struct {
	ID   string `json:"id"`
	Room string `json:"room"`
	Text string `json:"text"`
}

// presence is a /chat `presence` event.
type presence struct {
	Room string `json:"room"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Online bool `json:"online"`
}

// ackResult is the union of the acks the suite reads.
type ackResult struct {
	OK      bool      `json:"ok"`
	ID      string    `json:"id"`
	History []chatMsg `json:"history"`
	Users   []struct {
		ID     string `json:"id"`
		Online bool   `json:"online"`
	} `json:"users"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// client is a minimal Socket.IO v5 client of one namespace over an Engine.IO v4
// WebSocket (no polling, no reconnection: the Node scripts use the real
// socket.io-client for those). One goroutine reads (readLoop); writes from any
// goroutine go through wmu; onEvent runs on the read goroutine.
type client struct {
	SID string // the Engine.IO session id ("a.…" on node a)

	ws      *websocket.Conn
	wmu     sync.Mutex
	prefix  string // "/chat," (empty for "/")
	onEvent func(event)

	nextAck atomic.Int64
	amu     sync.Mutex
	acks    map[int64]chan []byte

	serverDisconnect atomic.Bool   // a Socket.IO DISCONNECT came ("io server disconnect")
	done             chan struct{} // closed when readLoop ends
}

// dial opens a WebSocket to base (http://127.0.0.1:port), CONNECTs namespace nsp with
// auth {token} and waits for the reply. onEvent (may be nil) gets every EVENT.
func dial(ctx context.Context, base, nsp, token string, onEvent func(event)) (*client, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, res, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err != nil {
		if res != nil {
			res.Body.Close()
			return nil, fmt.Errorf("dial %s: HTTP %d: %w", u, res.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	fail := func(stage string, err error) (*client, error) {
		ws.Close()
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	_, open, err := ws.ReadMessage()
	if err != nil || len(open) == 0 || open[0] != '0' {
		return fail("open packet", fmt.Errorf("%q %v", open, err))
	}
	var hs struct {
		SID string `json:"sid"`
	}
	_ = json.Unmarshal(open[1:], &hs)
	c := &client{SID: hs.SID, ws: ws, onEvent: onEvent, acks: map[int64]chan []byte{}, done: make(chan struct{})}
	if nsp != "/" {
		c.prefix = nsp + ","
	}
	auth, _ := json.Marshal(map[string]string{"token": token})
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40"+c.prefix+string(auth))); err != nil {
		return fail("send CONNECT", err)
	}
	for {
		_, m, err := ws.ReadMessage()
		if err != nil {
			return fail("CONNECT reply", err)
		}
		switch s := string(m); {
		case strings.HasPrefix(s, "40"+c.prefix):
			_ = ws.SetReadDeadline(time.Time{})
			go c.readLoop()
			return c, nil
		case s == "2":
			_ = ws.WriteMessage(websocket.TextMessage, []byte("3"))
		case strings.HasPrefix(s, "44"+c.prefix):
			return fail("CONNECT", fmt.Errorf("refused: %s", s))
		}
	}
}

func (c *client) send(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, msg)
}

// emit sends an event without ack.
func (c *client) emit(event string, arg any) error {
	body, err := json.Marshal([]any{event, arg})
	if err != nil {
		return err
	}
	return c.send([]byte("42" + c.prefix + string(body)))
}

// errClosed is returned by call when the connection ends before the ack.
var errClosed = errors.New("connection closed before the ack")

// call emits event with arg and waits for its ack, the connection's end or ctx.
func (c *client) call(ctx context.Context, event string, arg any) (ackResult, error) {
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
	body, err := json.Marshal([]any{event, arg})
	if err != nil {
		return ackResult{}, err
	}
	if err := c.send([]byte("42" + c.prefix + strconv.FormatInt(id, 10) + string(body))); err != nil {
		return ackResult{}, err
	}
	var p []byte
	select {
	case p = <-ch:
	case <-c.done:
		select {
		case p = <-ch:
		default:
			return ackResult{}, errClosed
		}
	case <-ctx.Done():
		return ackResult{}, ctx.Err()
	}
	var arr []ackResult
	if err := json.Unmarshal(p, &arr); err != nil || len(arr) == 0 {
		return ackResult{}, fmt.Errorf("bad ack %.80q: %v", p, err)
	}
	if !arr[0].OK {
		code := "?"
		if arr[0].Error != nil {
			code = arr[0].Error.Code
		}
		return arr[0], fmt.Errorf("%s: ack error %s", event, code)
	}
	return arr[0], nil
}

// close closes the connection (close frame, then the TCP connection) and waits for the
// read loop.
func (c *client) close() {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
	<-c.done
}

func (c *client) readLoop() {
	defer close(c.done)
	ev := []byte("42" + c.prefix)
	ack := []byte("43" + c.prefix)
	disc := []byte("41" + c.prefix)
	for {
		_, m, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case len(m) == 1 && m[0] == '2':
			_ = c.send([]byte("3"))
		case bytes.HasPrefix(m, ev):
			if c.onEvent == nil {
				continue
			}
			at := time.Now()
			var arr []json.RawMessage
			if json.Unmarshal(m[len(ev):], &arr) != nil || len(arr) == 0 {
				continue
			}
			e := event{At: at}
			_ = json.Unmarshal(arr[0], &e.Name)
			if len(arr) > 1 {
				e.Arg = arr[1]
			}
			c.onEvent(e)
		case bytes.HasPrefix(m, ack):
			p := m[len(ack):]
			i := 0
			for i < len(p) && p[i] >= '0' && p[i] <= '9' {
				i++
			}
			id, err := strconv.ParseInt(string(p[:i]), 10, 64)
			if err != nil {
				continue
			}
			c.amu.Lock()
			ch := c.acks[id]
			delete(c.acks, id)
			c.amu.Unlock()
			if ch != nil {
				ch <- append([]byte(nil), p[i:]...)
			}
		case bytes.HasPrefix(m, disc) || bytes.Equal(m, disc[:len(disc)-1]):
			c.serverDisconnect.Store(true)
		}
	}
}

// events collects the events of one or more clients for a test to wait on.
type events struct {
	mu   sync.Mutex
	list []event
	wake chan struct{}
}

func newEvents() *events { return &events{wake: make(chan struct{}, 1)} }

// add is an onEvent callback.
func (e *events) add(ev event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// wait returns the first event for which match is true (looking at every event since
// the collector started) within d; ok is false on timeout.
func (e *events) wait(d time.Duration, match func(event) bool) (event, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		for _, ev := range e.list {
			if match(ev) {
				e.mu.Unlock()
				return ev, true
			}
		}
		e.mu.Unlock()
		select {
		case <-e.wake:
		case <-deadline.C:
			return event{}, false
		}
	}
}

// isPresence matches a presence event for user in room with online.
func isPresence(room, user string, online bool) func(event) bool {
	return func(ev event) bool {
		if ev.Name != "presence" {
			return false
		}
		var p presence
		return json.Unmarshal(ev.Arg, &p) == nil && p.Room == room && p.User.ID == user && p.Online == online
	}
}
