package admin_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/socketio"
	"rtserver/socketio/admin"
)

// wsClient is a bare Socket.IO v5 client over WebSocket.
type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, url string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(url, "http", "ws", 1)+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := &wsClient{t: t, ws: ws}
	c.next() // open
	return c
}

func (c *wsClient) send(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte("4"+s)); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message, answering pings.
func (c *wsClient) next() string {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if string(b) == "2" {
			_ = c.ws.WriteMessage(websocket.TextMessage, []byte("3"))
			continue
		}
		return string(b)
	}
}

// waitFor reads until a message starting with prefix.
func (c *wsClient) waitFor(prefix string) string {
	c.t.Helper()
	for {
		if m := c.next(); strings.HasPrefix(m, prefix) {
			return m
		}
	}
}

func newServer(t *testing.T, cfg admin.Config) (*socketio.Server, string) {
	t.Helper()
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Of("/chat").OnConnection(func(s *socketio.Socket) { _ = s.Join("lobby") })
	a, err := admin.Instrument(srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return srv, ts.URL
}

func passwordAuth(_ *socketio.Socket, c admin.Credentials) (string, error) {
	switch {
	case c.SessionID == "s1":
		return "", nil
	case c.Username == "admin" && c.Password == "pw":
		return "s1", nil
	}
	return "", errors.New("no")
}

func TestInstrumentRefusesBadConfig(t *testing.T) {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []admin.Config{
		{}, // no Authenticate
		{NoAuth: true, Mode: "debug"},
		{NoAuth: true, StatsInterval: -time.Second},
	} {
		if _, err := admin.Instrument(srv, cfg); err == nil {
			t.Errorf("Instrument(%+v) accepted", cfg)
		}
	}
}

func TestAuthSessionConfigAndCommands(t *testing.T) {
	_, url := newServer(t, admin.Config{Namespace: "/admin-ui", Authenticate: passwordAuth, StatsInterval: 100 * time.Millisecond})

	for _, auth := range []string{`{}`, `{"username":"admin","password":"no"}`, `{"sessionId":"s2"}`, `{"username":1,"password":[]}`} {
		bad := dial(t, url)
		bad.send("0/admin-ui," + auth)
		if m := bad.next(); m != `44/admin-ui,{"message":"invalid credentials"}` {
			t.Fatalf("auth %s: %s", auth, m)
		}
	}

	ui := dial(t, url)
	ui.send(`0/admin-ui,{"username":"admin","password":"pw"}`)
	ui.waitFor(`40/admin-ui,{"sid"`)
	ui.waitFor(`42/admin-ui,["session","s1"]`)
	if m := ui.waitFor(`42/admin-ui,["config"`); !strings.Contains(m, `"ALL_EVENTS"`) || !strings.Contains(m, `"MDISCONNECT"`) {
		t.Fatalf("config: %s", m)
	}
	if m := ui.waitFor(`42/admin-ui,["all_sockets"`); !strings.Contains(m, `"nsp":"/admin-ui"`) || strings.Contains(m, `"password"`) {
		t.Fatalf("all_sockets: %s", m)
	}
	if m := ui.waitFor(`42/admin-ui,["server_stats"`); !strings.Contains(m, `{"name":"/admin-ui","socketsCount":1}`) {
		t.Fatalf("server_stats: %s", m)
	}

	again := dial(t, url)
	again.send(`0/admin-ui,{"sessionId":"s1"}`)
	again.waitFor(`40/admin-ui,{"sid"`)
	if m := again.next(); strings.Contains(m, `"session"`) {
		t.Fatalf("session sent again on reuse: %s", m)
	}

	user := dial(t, url)
	user.send(`0/chat,`)
	m := user.waitFor(`40/chat,{"sid":"`)
	id := m[len(`40/chat,{"sid":"`):]
	id = id[:strings.IndexByte(id, '"')]
	ui.waitFor(`42/admin-ui,["socket_connected",{"id":"` + id + `"`)
	ui.waitFor(`42/admin-ui,["room_joined","/chat","lobby","` + id + `"`)

	// Malformed and unknown commands are dropped, and answered when acked;
	// nothing is created.
	for i, cmd := range []string{`["nonsense",1]`, `["join",42]`, `["join","/nope","r","x"]`, `["emit","/chat",7,"ev"]`,
		`["_disconnect","/chat","yes"]`, `["leave","/chat",""]`, `["emit","/chat",null,"connect"]`} {
		ui.send(`2/admin-ui,` + string(rune('1'+i)) + cmd)
	}
	for i := 1; i < 7; i++ {
		ui.waitFor(`43/admin-ui,` + string(rune('1'+i)) + `[{"error":`)
	}

	ui.send(`2/admin-ui,["join","/chat","room2","` + id + `"]`)
	ui.waitFor(`42/admin-ui,["room_joined","/chat","room2","` + id + `"`)
	ui.send(`2/admin-ui,["emit","/chat","room2","fromui","a",2]`)
	if m := user.next(); m != `42/chat,["fromui","a",2]` {
		t.Fatalf("emit: %s", m)
	}
	ui.waitFor(`42/admin-ui,["event_sent","/chat","` + id + `",["fromui","a",2]`)
	user.send(`2/chat,["hello",{"x":1}]`)
	ui.waitFor(`42/admin-ui,["event_received","/chat","` + id + `",["hello",{"x":1}]`)
	ui.send(`2/admin-ui,["leave","/chat","room2","` + id + `"]`)
	ui.waitFor(`42/admin-ui,["room_left","/chat","room2","` + id + `"`)
	ui.send(`2/admin-ui,["_disconnect","/chat",false,"` + id + `"]`)
	if m := user.next(); m != `41/chat,` {
		t.Fatalf("disconnect: %s", m)
	}
	ui.waitFor(`42/admin-ui,["socket_disconnected","/chat","` + id + `","server namespace disconnect"`)
}

func TestReadOnlyAndProduction(t *testing.T) {
	_, url := newServer(t, admin.Config{Authenticate: passwordAuth, ReadOnly: true, Mode: admin.Production, StatsInterval: 50 * time.Millisecond})
	user := dial(t, url)
	user.send(`0/chat,`)
	user.waitFor(`40/chat,`)
	ui := dial(t, url)
	ui.send(`0/admin,{"sessionId":"s1"}`)
	ui.waitFor(`40/admin,`)
	if m := ui.next(); m != `42/admin,["config",{"supportedFeatures":["AGGREGATED_EVENTS"]}]` {
		t.Fatalf("config: %s", m)
	}
	ui.send(`2/admin,["_disconnect","/chat",true]`)
	if m := ui.next(); !strings.HasPrefix(m, `42/admin,["server_stats"`) || !strings.Contains(m, `{"name":"/chat","socketsCount":1}`) {
		t.Fatalf("want only stats, with the user still there: %s", m)
	}
}
