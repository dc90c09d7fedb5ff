package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var transports = []string{"polling", "websocket"}

// echoSetup wires "/" like the conformance server: auth event on connection,
// message → message-back, message-with-ack acked with the same args.
func echoSetup(s *Server) {
	s.OnConnection(func(so *Socket) {
		_ = so.Emit("auth", so.Handshake().Auth)
		so.On("message", func(so *Socket, args Args, _ Ack) { _ = so.Emit("message-back", args) })
		so.On("message-with-ack", func(_ *Socket, args Args, ack Ack) {
			if ack != nil {
				_ = ack(args)
			}
		})
	})
	s.Of("/custom").OnConnection(func(so *Socket) { _ = so.Emit("auth", so.Handshake().Auth) })
}

func TestConnectAuthSeenByMiddleware(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			seen := make(chan *Handshake, 1)
			_, base := newTestServer(t, Config{}, func(s *Server) {
				echoSetup(s)
				s.Use(func(so *Socket) error {
					seen <- so.Handshake()
					return nil
				})
			})
			c := dialOpts(t, base, tr, 4, http.Header{"Cookie": {"session=abc"}, "X-Test": {"1"}})
			sid := c.connect("/", `{"token":"123"}`)
			if sid == "" {
				t.Fatal("empty sid")
			}
			c.expect(`2["auth",{"token":"123"}]`)
			hs := <-seen
			if string(hs.Auth) != `{"token":"123"}` || hs.Header.Get("X-Test") != "1" || hs.Query.Get("EIO") != "4" || hs.RemoteAddr == "" {
				t.Fatalf("handshake %+v", hs)
			}
			if v, ok := hs.Cookie("session"); !ok || v != "abc" {
				t.Fatalf("cookie %q %v", v, ok)
			}
			c.send(`2["message",1,"2",{"3":[true]}]`)
			c.expect(`2["message-back",1,"2",{"3":[true]}]`)
			c.send(`2456["message-with-ack",1,"2",{"3":[false]}]`)
			c.expect(`3456[1,"2",{"3":[false]}]`)
		})
	}
}

func TestConnectReplyAndNamespaces(t *testing.T) {
	_, base := newTestServer(t, Config{}, echoSetup)
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.expect(`2["auth",{}]`)
	c.send("0/custom")
	c.expectPrefix(`0/custom,{"sid":"`)
	c.expect(`2/custom,["auth",{}]`)
	c.send("0/random")
	c.expect(`4/random,{"message":"Invalid namespace"}`)
	c.send("1/custom,")
	c.send(`2["message",1]`)
	c.expect(`2["message-back",1]`)
}

func TestConnectErrorWithData(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			var connected atomic.Bool
			_, base := newTestServer(t, Config{}, func(s *Server) {
				s.Use(func(so *Socket) error {
					var auth struct{ Token string }
					_ = json.Unmarshal(so.Handshake().Auth, &auth)
					switch auth.Token {
					case "ok":
						return nil
					case "boom":
						return errors.New("db down: secret detail")
					}
					return &ConnectError{Message: "unauthorized", Data: map[string]string{"code": "invalid_token"}}
				})
				s.OnConnection(func(*Socket) { connected.Store(true) })
			})
			c := dial(t, base, tr)
			c.send(`0{"token":"bad"}`)
			c.expect(`4{"message":"unauthorized","data":{"code":"invalid_token"}}`)
			c.send(`0{"token":"boom"}`)
			c.expect(`4{"message":"internal error"}`)
			if connected.Load() {
				t.Fatal("connection handler ran for a refused socket")
			}
			c.connect("/", `{"token":"ok"}`)
		})
	}
}

func TestDynamicNamespaces(t *testing.T) {
	var setups atomic.Int32
	_, base := newTestServer(t, Config{}, func(s *Server) {
		s.OfRegexp(regexp.MustCompile(`^/room-\d+$`), func(n *Namespace) {
			setups.Add(1)
			n.OnConnection(func(so *Socket) { _ = so.Emit("hello", so.Namespace().Name()) })
		})
		s.OfFunc(func(name string, hs *Handshake) bool {
			return strings.HasPrefix(name, "/t-") && strings.Contains(string(hs.Auth), "yes")
		}, nil)
	})
	for i := 0; i < 2; i++ {
		c := dial(t, base, "websocket")
		c.send("0/room-12,")
		c.expectPrefix(`0/room-12,{"sid":"`)
		c.expect(`2/room-12,["hello","/room-12"]`)
	}
	if n := setups.Load(); n != 1 {
		t.Fatalf("setup ran %d times", n)
	}
	c := dial(t, base, "polling")
	c.send("0/room-x,")
	c.expect(`4/room-x,{"message":"Invalid namespace"}`)
	c.send(`0/t-1,{"a":"no"}`)
	c.expect(`4/t-1,{"message":"Invalid namespace"}`)
	c.send(`0/t-1,{"a":"yes"}`)
	c.expectPrefix(`0/t-1,{"sid":"`)
}

func TestRoomsBroadcastExcept(t *testing.T) {
	var mu sync.Mutex
	socks := map[string]*Socket{}
	srv, base := newTestServer(t, Config{MaxRoomsPerSocket: 3}, func(s *Server) {
		s.OnConnection(func(so *Socket) {
			var name string
			_ = json.Unmarshal(so.Handshake().Auth, &struct{ Name *string }{&name})
			mu.Lock()
			socks[name] = so
			mu.Unlock()
			so.On("join", func(so *Socket, args Args, ack Ack) {
				room, _ := args.String(0)
				err := so.Join(room)
				_ = ack(err == nil)
			})
			so.On("say", func(so *Socket, args Args, _ Ack) {
				room, _ := args.String(0)
				_ = so.To(room).Emit("said", args.Raw(1))
			})
		})
	})
	a, b, c := dial(t, base, "websocket"), dial(t, base, "polling"), dial(t, base, "websocket")
	a.connect("/", `{"name":"a"}`)
	b.connect("/", `{"name":"b"}`)
	c.connect("/", `{"name":"c"}`)
	for _, cl := range []*rawClient{a, b} {
		cl.send(`21["join","r1"]`)
		cl.expect(`31[true]`)
	}
	a.send(`2["say","r1",{"x":1}]`)
	b.expect(`2["said",{"x":1}]`)
	a.expectSilence(100 * time.Millisecond)
	c.expectSilence(10 * time.Millisecond)

	// Server-side operators: To + Except.
	mu.Lock()
	sa := socks["a"]
	mu.Unlock()
	if err := srv.To("r1").Except(sa.ID()).Emit("x", 1); err != nil {
		t.Fatal(err)
	}
	b.expect(`2["x",1]`)
	if err := srv.Except("r1").Emit("y"); err != nil {
		t.Fatal(err)
	}
	c.expect(`2["y"]`)
	a.expectSilence(50 * time.Millisecond)

	// Room cap: own id + r1 + 1 more.
	a.send(`22["join","r2"]`)
	a.expect(`32[true]`)
	a.send(`23["join","r3"]`)
	a.expect(`33[false]`)
	if got := len(sa.Rooms()); got != 3 {
		t.Fatalf("rooms %v", sa.Rooms())
	}

	// FetchSockets, SocketsJoin, SocketsLeave, DisconnectSockets.
	ctx := context.Background()
	rs, err := srv.In("r1").FetchSockets(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("fetch %v %v", rs, err)
	}
	if err := srv.In("r2").SocketsJoin("r9"); err != nil {
		t.Fatal(err)
	}
	_ = srv.In("r1").SocketsLeave("r1")
	if sa.In("r1") || len(srv.main.Adapter().(*MemoryAdapter).selectIDs(BroadcastOptions{Rooms: []string{"r1"}})) != 0 {
		t.Fatal("SocketsLeave left members")
	}
	_ = srv.In(sa.ID()).DisconnectSockets(false)
	a.expect(`1`)
}

func TestAcksBothWays(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			got := make(chan Args, 1)
			errc := make(chan error, 1)
			_, base := newTestServer(t, Config{}, func(s *Server) {
				s.OnConnection(func(so *Socket) {
					go func() {
						a, err := so.EmitWithAck(context.Background(), "question", "q", []byte{9, 8})
						errc <- err
						got <- a
					}()
				})
			})
			c := dial(t, base, tr)
			c.connect("/", "")
			data := c.expectPrefix(`51-`)
			var id string
			if _, err := fmtSscan(data, `51-`, `["question","q",{"_placeholder":true,"num":0}]`, &id); err != nil {
				t.Fatalf("%q: %v", data, err)
			}
			c.expectBinary([]byte{9, 8})
			c.send(`3` + id + `[{"answer":42},"ok"]`)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			a := <-got
			var v struct{ Answer int }
			if a.Len() != 2 || a.Decode(0, &v) != nil || v.Answer != 42 {
				t.Fatalf("ack args %s", a.Raw(0))
			}
			if s, ok := a.String(1); !ok || s != "ok" {
				t.Fatal("String(1)")
			}
			// Unknown and repeated ack ids are ignored.
			c.send(`3` + id + `["again"]`)
			c.send(`399999[]`)
			c.expectSilence(50 * time.Millisecond)
		})
	}
}

// fmtSscan extracts the ack id between prefix and suffix.
func fmtSscan(data, prefix, suffix string, id *string) (int, error) {
	if !strings.HasPrefix(data, prefix) || !strings.HasSuffix(data, suffix) {
		return 0, errors.New("unexpected packet")
	}
	*id = data[len(prefix) : len(data)-len(suffix)]
	if *id == "" {
		return 0, errors.New("no id")
	}
	return 1, nil
}

func TestEmitWithAckTimeoutAndBound(t *testing.T) {
	sock := make(chan *Socket, 1)
	_, base := newTestServer(t, Config{MaxPendingAcks: 2}, func(s *Server) {
		s.OnConnection(func(so *Socket) { sock <- so })
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	so := <-sock
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := so.EmitWithAck(ctx, "never")
	if !errors.Is(err, ErrAckTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if n := so.PendingAcks(); n != 0 {
		t.Fatalf("pending %d after timeout", n)
	}
	long, cancelLong := context.WithCancel(context.Background())
	for i := 0; i < 2; i++ {
		if err := so.EmitWithAckFunc(long, "x", func(Args, error) {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := so.EmitWithAckFunc(long, "x", func(Args, error) {}); !errors.Is(err, ErrTooManyAcks) {
		t.Fatalf("third pending ack: %v", err)
	}
	cancelLong()
	deadline := time.Now().Add(waitTimeout)
	for so.PendingAcks() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := so.PendingAcks(); n != 0 {
		t.Fatalf("pending %d after cancel", n)
	}
	// Pending acks fail with ErrDisconnected when the socket goes.
	res := make(chan error, 1)
	_ = so.EmitWithAckFunc(context.Background(), "x", func(_ Args, err error) { res <- err })
	c.close()
	select {
	case err := <-res:
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("pending ack not failed on disconnect")
	}
}

func TestBroadcastWithAck(t *testing.T) {
	srv, base := newTestServer(t, Config{}, nil)
	clients := []*rawClient{dial(t, base, "websocket"), dial(t, base, "polling"), dial(t, base, "websocket")}
	for _, c := range clients {
		c.connect("/", "")
	}
	type result struct {
		res []AckResponse
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := srv.main.Timeout(time.Second).EmitWithAck(context.Background(), "ping", 1)
		done <- result{r, err}
	}()
	for i, c := range clients[:2] {
		data := c.expectPrefix("2")
		id := data[1:strings.IndexByte(data, '[')]
		c.send("3" + id + `[` + itoa(i) + `]`)
	}
	clients[2].expectPrefix("2")
	r := <-done
	if !errors.Is(r.err, ErrAckTimeout) || len(r.res) != 2 {
		t.Fatalf("got %d responses, err %v", len(r.res), r.err)
	}
	go func() {
		r, err := srv.main.EmitWithAck(context.Background(), "ping")
		done <- result{r, err}
	}()
	for _, c := range clients {
		data := c.expectPrefix("2")
		id := data[1:strings.IndexByte(data, '[')]
		c.send("3" + id + `["ok"]`)
	}
	if r := <-done; r.err != nil || len(r.res) != 3 || r.res[0].SocketID == "" {
		t.Fatalf("%+v", r)
	}
}

func TestBinaryBothWays(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			got := make(chan []byte, 1)
			_, base := newTestServer(t, Config{}, func(s *Server) {
				echoSetup(s)
				s.OnConnection(func(so *Socket) {
					so.On("bin", func(so *Socket, args Args, ack Ack) {
						b, _ := args.Binary(1)
						got <- b
						_ = ack("x", []byte{7}, args)
					})
				})
			})
			c := dial(t, base, tr)
			c.connect("/", "")
			c.expect(`2["auth",{}]`)
			c.send(`52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
			c.sendBinary([]byte{1, 2, 3})
			c.sendBinary([]byte{4, 5, 6})
			c.expect(`52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
			c.expectBinary([]byte{1, 2, 3})
			c.expectBinary([]byte{4, 5, 6})
			c.send(`52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
			c.sendBinary([]byte{1, 2, 3})
			c.sendBinary([]byte{4, 5, 6})
			c.expect(`62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
			c.expectBinary([]byte{1, 2, 3})
			c.expectBinary([]byte{4, 5, 6})
			// Renumbering: the echoed Args come after a first attachment.
			c.send(`51-5["bin",{"k":[{"num":0,"_placeholder":true}]},{"_placeholder":true,"num":0}]`)
			c.sendBinary([]byte{0xff})
			if b := <-got; string(b) != "\xff" {
				t.Fatalf("Binary(1) = %v", b)
			}
			c.expect(`62-5["x",{"_placeholder":true,"num":0},{"k":[{"_placeholder":true,"num":1}]},{"_placeholder":true,"num":1}]`)
			c.expectBinary([]byte{7})
			c.expectBinary([]byte{0xff})
		})
	}
}

func TestServerDisconnect(t *testing.T) {
	for _, tr := range transports {
		for _, closeConn := range []bool{false, true} {
			t.Run(tr, func(t *testing.T) {
				t.Parallel()
				reasons := make(chan DisconnectReason, 2)
				sock := make(chan *Socket, 2)
				_, base := newTestServer(t, Config{}, func(s *Server) {
					s.OnConnection(func(so *Socket) {
						so.OnDisconnect(func(r DisconnectReason) { reasons <- r })
						sock <- so
					})
					s.Of("/b").OnConnection(func(so *Socket) { so.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
				})
				c := dial(t, base, tr)
				c.connect("/", "")
				so := <-sock
				if closeConn {
					c.connect("/b", "")
				}
				ctx := so.Context()
				so.Disconnect(closeConn)
				if !closeConn {
					c.expect("1")
				} else {
					got := []string{c.expectPrefix("1"), c.expectPrefix("1")}
					if !(got[0] == "1" && got[1] == "1/b,") && !(got[0] == "1/b," && got[1] == "1") {
						t.Fatalf("DISCONNECT packets %q", got)
					}
					c.expectClosed()
				}
				if r := <-reasons; r != ReasonServerNamespaceDisconnect {
					t.Fatalf("reason %q", r)
				}
				select {
				case <-ctx.Done():
				default:
					t.Fatal("context not cancelled")
				}
				if err := so.Emit("late"); !errors.Is(err, ErrDisconnected) {
					t.Fatalf("emit after disconnect: %v", err)
				}
			})
		}
	}
}

func TestClientDisconnectAndTransportClose(t *testing.T) {
	reasons := make(chan DisconnectReason, 4)
	_, base := newTestServer(t, Config{}, func(s *Server) {
		s.OnConnection(func(so *Socket) { so.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send("1")
	if r := <-reasons; r != ReasonClientNamespaceDisconnect {
		t.Fatalf("reason %q", r)
	}
	c.connect("/", "")
	c.close()
	if r := <-reasons; r != ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
}

func TestConnectTimeout(t *testing.T) {
	srv, base := newTestServer(t, Config{ConnectTimeout: 100 * time.Millisecond}, nil)
	for _, tr := range transports {
		c := dial(t, base, tr)
		c.expectClosed()
	}
	if srv.Stats().ConnectTimeouts != 2 {
		t.Fatalf("stats %+v", srv.Stats())
	}
}

func TestShutdownClosesTransport(t *testing.T) {
	reasons := make(chan DisconnectReason, 2)
	srv, base := newTestServer(t, Config{}, func(s *Server) {
		s.OnConnection(func(so *Socket) { so.OnDisconnect(func(r DisconnectReason) { reasons <- r }) })
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	p := dial(t, base, "polling")
	p.connect("/", "")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.expectClosed() // no DISCONNECT packet: clients reconnect on their own
	p.expectClosed()
	for i := 0; i < 2; i++ {
		if r := <-reasons; r != ReasonServerShuttingDown {
			t.Fatalf("reason %q", r)
		}
	}
	resp, err := http.Get(base + "?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestJoinInMiddlewareAndLateEvents(t *testing.T) {
	sock := make(chan *Socket, 1)
	_, base := newTestServer(t, Config{}, func(s *Server) {
		s.Use(func(so *Socket) error { return so.Join("from-mw") })
		s.OnConnection(func(so *Socket) { sock <- so })
		s.Of("/b")
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.connect("/b", "")
	so := <-sock
	if !so.In("from-mw") {
		t.Fatalf("rooms %v", so.Rooms())
	}
	so.Disconnect(false)
	c.expect("1")
	// An event the client sent before it saw DISCONNECT is ignored, not fatal.
	c.send(`2["late"]`)
	c.send(`2/b,["still"]`)
	c.expectSilence(100 * time.Millisecond)
	c.connect("/", "")
}
