package redistest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Event is an EVENT a Client received: its name, raw JSON arguments and attachments.
type Event struct {
	Name   string
	Args   []json.RawMessage
	Binary [][]byte
	ackID  int
}

// Client is a minimal Socket.IO v5 client over an Engine.IO v4 WebSocket: it connects
// one namespace, answers pings, records events and can answer acks automatically.
type Client struct {
	ID     string
	PID    string // private session id, with connection state recovery
	Events chan Event
	Done   chan struct{} // closed when the connection ended (DISCONNECT or transport close)

	t     testing.TB
	conn  *websocket.Conn
	wmu   sync.Mutex
	nsp   string
	ackFn func(Event) []any
}

// Dial connects base (http://host:port) to namespace nsp with query q; ack, when not
// nil, answers every event that asks for an ack. The connection closes with the test.
func Dial(t testing.TB, base, nsp string, q url.Values, ack func(Event) []any) *Client {
	t.Helper()
	return DialAuth(t, base, nsp, q, nil, ack)
}

// DialAuth is Dial with auth (JSON-encoded into the CONNECT packet when not nil), such
// as {"pid", "offset"} to ask for connection state recovery.
func DialAuth(t testing.TB, base, nsp string, q url.Values, auth any, ack func(Event) []any) *Client {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	if len(q) > 0 {
		u += "&" + q.Encode()
	}
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &Client{Events: make(chan Event, 256), Done: make(chan struct{}), t: t, conn: conn, nsp: nsp, ackFn: ack}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, open, err := conn.ReadMessage(); err != nil || len(open) == 0 || open[0] != '0' {
		t.Fatalf("engine.io open: %q %v", open, err)
	}
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	payload := ""
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			t.Fatal(err)
		}
		payload = string(b)
	}
	c.write("40" + prefix + payload)
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("connect reply: %v", err)
		}
		s := string(msg)
		if s == "2" {
			c.write("3")
			continue
		}
		if !strings.HasPrefix(s, "40"+prefix) {
			t.Fatalf("connect reply: %q", s)
		}
		var v struct {
			SID string `json:"sid"`
			PID string `json:"pid"`
		}
		_ = json.Unmarshal([]byte(s[len("40"+prefix):]), &v)
		c.PID = v.PID
		c.ID = v.SID
		break
	}
	_ = conn.SetReadDeadline(time.Time{})
	go c.readLoop()
	t.Cleanup(c.Close)
	return c
}

// Close closes the connection and waits for the read loop.
func (c *Client) Close() {
	_ = c.conn.Close()
	<-c.Done
}

func (c *Client) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(websocket.TextMessage, []byte(s))
}

func (c *Client) readLoop() {
	defer close(c.Done)
	var pending *Event
	want := 0
	for {
		mt, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.BinaryMessage {
			if pending != nil {
				pending.Binary = append(pending.Binary, msg)
				if len(pending.Binary) == want {
					c.deliver(*pending)
					pending = nil
				}
			}
			continue
		}
		s := string(msg)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "41"):
			return
		case strings.HasPrefix(s, "42"), strings.HasPrefix(s, "45"):
			ev, n, ok := c.parseEvent(s)
			if !ok {
				continue
			}
			if n > 0 {
				pending, want = &ev, n
				continue
			}
			c.deliver(ev)
		}
	}
}

// parseEvent parses "42[nsp,][id][...]" or "45<n>-[nsp,][id][...]".
func (c *Client) parseEvent(s string) (Event, int, bool) {
	typ, rest := s[1], s[2:]
	n := 0
	if typ == '5' {
		i := strings.IndexByte(rest, '-')
		if i < 0 {
			return Event{}, 0, false
		}
		n, _ = strconv.Atoi(rest[:i])
		rest = rest[i+1:]
	}
	if c.nsp != "/" {
		rest = strings.TrimPrefix(rest, c.nsp+",")
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	ev := Event{ackID: -1}
	if i > 0 {
		ev.ackID, _ = strconv.Atoi(rest[:i])
	}
	var arr []json.RawMessage
	if json.Unmarshal([]byte(rest[i:]), &arr) != nil || len(arr) == 0 {
		return Event{}, 0, false
	}
	_ = json.Unmarshal(arr[0], &ev.Name)
	ev.Args = arr[1:]
	return ev, n, true
}

func (c *Client) deliver(ev Event) {
	if ev.ackID >= 0 && c.ackFn != nil {
		b, _ := json.Marshal(c.ackFn(ev))
		prefix := ""
		if c.nsp != "/" {
			prefix = c.nsp + ","
		}
		c.write("43" + prefix + strconv.Itoa(ev.ackID) + string(b))
	}
	select {
	case c.Events <- ev:
	default: // a test that stopped reading does not block the loop
	}
}

// Next returns the next event within d, or fails the test.
func (c *Client) Next(d time.Duration) Event {
	c.t.Helper()
	select {
	case ev := <-c.Events:
		return ev
	case <-time.After(d):
		c.t.Fatalf("client %s: no event within %v", c.ID, d)
	}
	return Event{}
}

// Expect waits for event name (skipping others) within d.
func (c *Client) Expect(name string, d time.Duration) Event {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-c.Events:
			if ev.Name == name {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("client %s: no %q within %v", c.ID, name, d)
			return Event{}
		}
	}
}

// ExpectNone fails when event name arrives within d.
func (c *Client) ExpectNone(name string, d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-c.Events:
			if ev.Name == name {
				c.t.Fatalf("client %s: unexpected %q %s", c.ID, name, ev.Args)
			}
		case <-deadline:
			return
		}
	}
}

// Emit sends an event without ack.
func (c *Client) Emit(name string, args ...any) {
	b, _ := json.Marshal(append([]any{name}, args...))
	prefix := ""
	if c.nsp != "/" {
		prefix = c.nsp + ","
	}
	c.write("42" + prefix + string(b))
}
