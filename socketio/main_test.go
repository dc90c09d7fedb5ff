package socketio

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of the tests.
const waitTimeout = 5 * time.Second

// newTestServer starts a Server with cfg on an httptest server; setup wires it
// before the first request. Cleanup shuts both down.
func newTestServer(t testing.TB, cfg Config, setup func(s *Server)) (*Server, string) {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return srv, ts.URL + "/socket.io/"
}

// frame is one Engine.IO packet received by the test client.
type frame struct {
	typ    byte // '0'..'6'
	data   string
	binary bool
}

// rawClient is a minimal Engine.IO v4 client (or v3 over WebSocket with eio 3) for
// byte-exact protocol tests: it answers pings itself and hands every other packet
// to next.
type rawClient struct {
	t         testing.TB
	base      string
	transport string
	eio       int
	sid       string
	ws        *websocket.Conn
	wsMu      sync.Mutex
	frames    chan frame
	done      chan struct{} // closed when the connection is gone
	stop      chan struct{}
	stopOnce  sync.Once
	doneOnce  sync.Once
	wg        sync.WaitGroup
	noPong    bool
	open      string
	header    http.Header
}

func dial(t testing.TB, base, transport string) *rawClient {
	return dialOpts(t, base, transport, 4, nil)
}

func dialOpts(t testing.TB, base, transport string, eio int, header http.Header) *rawClient {
	t.Helper()
	c := &rawClient{t: t, base: base, transport: transport, eio: eio, frames: make(chan frame, 1024),
		done: make(chan struct{}), stop: make(chan struct{}), header: header}
	if transport == "websocket" {
		u := strings.Replace(base, "http", "ws", 1) + "?EIO=" + itoa(eio) + "&transport=websocket"
		ws, _, err := websocket.DefaultDialer.Dial(u, header)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		c.ws = ws
		_, msg, err := ws.ReadMessage()
		if err != nil || len(msg) == 0 || msg[0] != '0' {
			t.Fatalf("open packet: %q %v", msg, err)
		}
		c.open = string(msg[1:])
	} else {
		body := c.get(t, "")
		pkts := strings.Split(body, "\x1e")
		if len(pkts) != 1 || !strings.HasPrefix(pkts[0], "0") {
			t.Fatalf("handshake body %q", body)
		}
		c.open = pkts[0][1:]
	}
	i := strings.Index(c.open, `"sid":"`)
	c.sid = c.open[i+7 : i+7+strings.Index(c.open[i+7:], `"`)]
	c.wg.Add(1)
	if c.ws != nil {
		go c.readWS()
	} else {
		go c.poll()
	}
	t.Cleanup(c.close)
	return c
}

func itoa(i int) string { return string(rune('0' + i)) }

func (c *rawClient) url() string {
	return c.base + "?EIO=" + itoa(c.eio) + "&transport=polling&sid=" + url.QueryEscape(c.sid)
}

func (c *rawClient) get(t testing.TB, sid string) string {
	u := c.base + "?EIO=" + itoa(c.eio) + "&transport=polling"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("handshake status %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func (c *rawClient) finish() {
	c.doneOnce.Do(func() { close(c.done) })
}

func (c *rawClient) readWS() {
	defer c.wg.Done()
	defer c.finish()
	for {
		mt, msg, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.BinaryMessage {
			if c.eio == 3 && len(msg) > 0 {
				msg = msg[1:]
			}
			c.push(frame{typ: '4', data: string(msg), binary: true})
			continue
		}
		if len(msg) == 0 {
			continue
		}
		if msg[0] == '2' && !c.noPong {
			c.writeWS(websocket.TextMessage, []byte("3"))
			continue
		}
		c.push(frame{typ: msg[0], data: string(msg[1:])})
	}
}

func (c *rawClient) push(f frame) {
	select {
	case c.frames <- f:
	case <-c.stop:
	}
}

func (c *rawClient) writeWS(mt int, b []byte) {
	c.wsMu.Lock()
	defer c.wsMu.Unlock()
	_ = c.ws.WriteMessage(mt, b)
}

func (c *rawClient) poll() {
	defer c.wg.Done()
	defer c.finish()
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, c.url(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			cancel()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != 200 {
			return
		}
		for _, p := range strings.Split(string(b), "\x1e") {
			switch {
			case p == "":
			case p[0] == 'b':
				raw, _ := base64.StdEncoding.DecodeString(p[1:])
				c.push(frame{typ: '4', data: string(raw), binary: true})
			case p == "1":
				c.push(frame{typ: '1'})
				return
			case p == "2" && !c.noPong:
				c.post("3")
			case p == "6":
			default:
				c.push(frame{typ: p[0], data: p[1:]})
			}
		}
	}
}

// post sends a polling body; it reports the status (0 on a transport error).
func (c *rawClient) post(body string) int {
	resp, err := http.Post(c.url(), "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// send sends one Engine.IO message packet with text payload (`4` is added).
func (c *rawClient) send(text string) {
	if c.ws != nil {
		c.writeWS(websocket.TextMessage, []byte("4"+text))
		return
	}
	c.post("4" + text)
}

// sendRaw sends an Engine.IO packet as is.
func (c *rawClient) sendRaw(pkt string) {
	if c.ws != nil {
		c.writeWS(websocket.TextMessage, []byte(pkt))
		return
	}
	c.post(pkt)
}

// sendBinary sends one binary message.
func (c *rawClient) sendBinary(b []byte) {
	if c.ws != nil {
		if c.eio == 3 {
			b = append([]byte{4}, b...)
		}
		c.writeWS(websocket.BinaryMessage, b)
		return
	}
	c.post("b" + base64.StdEncoding.EncodeToString(b))
}

// next returns the next packet, failing the test after waitTimeout.
func (c *rawClient) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-time.After(waitTimeout):
		c.t.Fatalf("timed out waiting for a packet")
	}
	return frame{}
}

// expect reads the next message packet and compares its payload byte for byte.
func (c *rawClient) expect(want string) {
	c.t.Helper()
	f := c.next()
	if f.typ != '4' || f.binary || f.data != want {
		c.t.Fatalf("got packet %c %q (binary %v), want 4%q", f.typ, f.data, f.binary, want)
	}
}

// expectBinary reads the next packet, which must be binary data want.
func (c *rawClient) expectBinary(want []byte) {
	c.t.Helper()
	f := c.next()
	if !f.binary || f.data != string(want) {
		c.t.Fatalf("got packet %c %q (binary %v), want binary %v", f.typ, f.data, f.binary, want)
	}
}

// expectPrefix reads the next message packet and checks its prefix; it returns the data.
func (c *rawClient) expectPrefix(prefix string) string {
	c.t.Helper()
	f := c.next()
	if f.typ != '4' || !strings.HasPrefix(f.data, prefix) {
		c.t.Fatalf("got packet %c %q, want prefix 4%q", f.typ, f.data, prefix)
	}
	return f.data
}

// expectClosed waits until the server closed the connection; message packets
// before the close fail the test.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case f := <-c.frames:
			if f.typ == '1' {
				c.waitDone(deadline)
				return
			}
			c.t.Fatalf("got packet %c %q while waiting for close", f.typ, f.data)
		case <-c.done:
			return
		case <-deadline:
			c.t.Fatal("timed out waiting for the server to close")
		}
	}
}

func (c *rawClient) waitDone(deadline <-chan time.Time) {
	select {
	case <-c.done:
	case <-deadline:
		c.t.Fatal("connection not closed")
	}
}

// expectSilence checks that no message packet arrives for d.
func (c *rawClient) expectSilence(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		c.t.Fatalf("unexpected packet %c %q", f.typ, f.data)
	case <-time.After(d):
	}
}

// connect sends CONNECT for nsp ("/" or "/x") with auth (may be "") and returns the
// socket id from the reply.
func (c *rawClient) connect(nsp, auth string) string {
	c.t.Helper()
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	c.send("0" + prefix + auth)
	data := c.expectPrefix("0" + prefix + `{"sid":"`)
	rest := data[len("0"+prefix+`{"sid":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func (c *rawClient) close() {
	c.stopOnce.Do(func() {
		close(c.stop)
		if c.ws != nil {
			_ = c.ws.Close()
		} else {
			c.post("1")
		}
	})
	c.wg.Wait()
}
