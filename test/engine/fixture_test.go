//go:build e2e

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rtserver/socketio"
	"rtserver/socketio/engineio"
	"rtserver/socketio/msgpackparser"
)

// The fixture's application, the same on every instance (the Node suites rely on it):
//
// Namespaces
//
//	/              auth middleware: admits handshake auth {"token":"good"} (on the legacy
//	               instance also the query parameter token=good, since socket.io-client 2.x
//	               has no auth payload) and refuses anything else with
//	               ConnectError{Message:"unauthorized", Data:{"code":"invalid_token"}}
//	/admin         refused by its middleware: ConnectError{"forbidden", {"code":"admin_only"}}
//	^/dyn-\d+$     dynamic namespaces with the same middleware and events as /
//	anything else  refused by the engine ("Invalid namespace")
//
// Events (args as the client sends them → what the server does)
//
//	whoami (ack)                       ack {id, nsp, auth (as the middleware saw it), recovered, rooms, protocol}
//	echo (...args)                     emit "echo" with the same args (byte-exact splice)
//	ack echo (...args, ack)            ack with the same args
//	binary echo (...args[, ack])       ack with the same args when asked, else emit "binary echo"
//	give binary ({size,seed}, ack)     emit "binary" (bytes, {size}); ack (bytes)
//	join / leave (room, ack)           join / leave; ack {ok:true, rooms}
//	broadcast ({room, except?, event, args, self?}, ack)
//	                                   emit event(args...) to room except room `except`; the
//	                                   sender is excluded unless self; ack {ok:true} after
//	ask ({timeoutMs, args, binary?}, ack)
//	                                   server EmitWithAck "question" (args..., [bytes]) with
//	                                   that timeout; ack ("ok", answer...) or ("timeout") or ("error", msg)
//	no ack (..., ack)                  never acks
//	kick me / kick me hard             Disconnect(false) / Disconnect(true)
//	drop transport (engineSid)         closes the TCP connections of that Engine.IO session
//	                                   and aborts its later requests (a dropped transport:
//	                                   no DISCONNECT packet, nothing sent)
//	reason of (socketId, ack)          ack the server-side disconnect reason of that socket, or null
//	handshake (ack)                    ack the socket's handshake (Node's socket.handshake shape)
//	nested binary ({name, file, parts, meta:{thumb}}, ack)
//	                                   binary nested in an object: ack it back, and emit "nested
//	                                   binary" {echo: it, list: [file, thumb]}
//	echo uncompressed (...args)        emit "echo" with the same args, Compress(false)
//	wire bytes (ack)                   ack {read, written}: bytes through the fixture's TCP
//	                                   connections so far (0 unless the fixture counts them)
//
// Response headers: the handshake response (polling, or the WebSocket upgrade) sets the
// cookie e2e-handshake=1; every polling and upgrade response has X-E2E: every.
type fixture struct {
	url    string
	legacy bool
	srv    *socketio.Server
	ts     *httptest.Server

	mu       sync.Mutex
	reasons  map[string]string   // socket id → OnDisconnect reason
	connSid  map[net.Conn]string // connection → Engine.IO sid of its latest request
	wsByAddr map[string]net.Conn // remote address → connection of a sid-less WebSocket handshake
	blocked  map[string]bool     // Engine.IO sids whose transport was dropped
	auths    map[*socketio.Socket]json.RawMessage

	wireRead, wireWritten atomic.Int64 // with fixtureOptions.deflate
}

type fixtureOptions struct {
	legacy   bool // Engine.AllowEIO3: socket.io-client 2.x
	recovery bool // connection-state recovery on
	msgpack  bool // socketio/msgpackparser: socket.io-msgpack-parser clients
	deflate  bool // permessage-deflate on, and TCP bytes counted (wire bytes)
}

type connKey struct{}

// startFixture starts a fixture server on 127.0.0.1 and stops it when the test ends.
func startFixture(t *testing.T, opt fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{
		legacy:   opt.legacy,
		reasons:  map[string]string{},
		connSid:  map[net.Conn]string{},
		wsByAddr: map[string]net.Conn{},
		blocked:  map[string]bool{},
		auths:    map[*socketio.Socket]json.RawMessage{},
	}
	cfg := socketio.Config{}
	// short heartbeats so a dropped polling transport is noticed within seconds, and so the
	// 2.x client's own pings (Engine.IO v3) are exercised many times per run
	cfg.Engine.PingInterval = 3 * time.Second
	cfg.Engine.PingTimeout = 3 * time.Second
	cfg.Engine.AllowEIO3 = opt.legacy
	cfg.Engine.InitialHeaders = func(h http.Header, r *http.Request) {
		h.Add("Set-Cookie", "e2e-handshake=1; Path=/")
	}
	cfg.Engine.Headers = func(h http.Header, r *http.Request) {
		h.Set("X-E2E", "every")
	}
	if opt.msgpack {
		cfg.Parser = msgpackparser.Parser
	}
	if opt.deflate {
		cfg.Engine.PerMessageDeflate = &engineio.PerMessageDeflate{}
	}
	if opt.recovery {
		cfg.Recovery = &socketio.RecoveryConfig{MaxDisconnectionDuration: 2 * time.Minute}
	}
	srv, err := socketio.NewServer(cfg)
	if err != nil {
		t.Fatalf("socketio.NewServer: %v", err)
	}
	f.srv = srv
	f.setup(srv.Of("/"))
	srv.Of("/admin").Use(func(s *socketio.Socket) error {
		return &socketio.ConnectError{Message: "forbidden", Data: map[string]string{"code": "admin_only"}}
	})
	srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`), f.setup)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", f)
	ts := httptest.NewUnstartedServer(mux)
	ts.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	if opt.deflate {
		ts.Listener = &countingListener{Listener: ts.Listener, f: f}
	}
	ts.Start()
	f.ts = ts
	f.url = ts.URL
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("socketio Shutdown: %v", err)
		}
		ts.Close()
	})
	return f
}

// ServeHTTP records which connection carries which Engine.IO session (for "drop
// transport") and aborts requests of a dropped session, then hands over to the engine.
func (f *fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, _ := r.Context().Value(connKey{}).(net.Conn)
	q := r.URL.Query()
	sid := q.Get("sid")
	f.mu.Lock()
	if sid != "" && f.blocked[sid] {
		f.mu.Unlock()
		panic(http.ErrAbortHandler) // the client sees the connection cut, as in a network failure
	}
	if conn != nil {
		f.connSid[conn] = sid
		if sid == "" && q.Get("transport") == "websocket" {
			f.wsByAddr[r.RemoteAddr] = conn
		}
	}
	f.mu.Unlock()
	f.srv.ServeHTTP(w, r)
}

// drop cuts the transport of Engine.IO session sid: it closes every connection whose latest
// request was for sid (and the WebSocket opened without sid from remoteAddr) and aborts any
// later request for sid.
func (f *fixture) drop(sid, remoteAddr string) {
	var victims []net.Conn
	f.mu.Lock()
	f.blocked[sid] = true
	for c, s := range f.connSid {
		if s == sid {
			victims = append(victims, c)
			delete(f.connSid, c)
		}
	}
	if c, ok := f.wsByAddr[remoteAddr]; ok {
		victims = append(victims, c)
		delete(f.wsByAddr, remoteAddr)
	}
	f.mu.Unlock()
	for _, c := range victims {
		_ = c.Close()
	}
}

func (f *fixture) setup(n *socketio.Namespace) {
	n.Use(f.auth)
	n.OnConnection(func(s *socketio.Socket) { f.onConnection(n, s) })
}

// auth is the namespace middleware: it admits {"token":"good"} only.
func (f *fixture) auth(s *socketio.Socket) error {
	hs := s.Handshake()
	var a struct {
		Token string `json:"token"`
	}
	if len(hs.Auth) > 0 {
		_ = json.Unmarshal(hs.Auth, &a)
	}
	tok := a.Token
	if f.legacy && tok == "" {
		tok = hs.Query.Get("token")
	}
	if tok != "good" {
		return &socketio.ConnectError{Message: "unauthorized", Data: map[string]string{"code": "invalid_token"}}
	}
	f.mu.Lock()
	f.auths[s] = append(json.RawMessage(nil), hs.Auth...)
	f.mu.Unlock()
	return nil
}

type broadcastReq struct {
	Room   string            `json:"room"`
	Except string            `json:"except"`
	Event  string            `json:"event"`
	Args   []json.RawMessage `json:"args"`
	Self   bool              `json:"self"`
}

// upload is the argument of "nested binary": binary at several depths.
type upload struct {
	Name  string   `json:"name"`
	File  []byte   `json:"file"`
	Parts [][]byte `json:"parts"`
	Meta  struct {
		Thumb []byte `json:"thumb"`
	} `json:"meta"`
}

type askReq struct {
	TimeoutMs int               `json:"timeoutMs"`
	Args      []json.RawMessage `json:"args"`
	Binary    *struct {
		Size int `json:"size"`
		Seed int `json:"seed"`
	} `json:"binary"`
}

func (f *fixture) onConnection(n *socketio.Namespace, s *socketio.Socket) {
	s.OnDisconnect(func(reason socketio.DisconnectReason) {
		f.mu.Lock()
		f.reasons[s.ID()] = string(reason)
		delete(f.auths, s)
		f.mu.Unlock()
	})
	s.On("whoami", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		if ack == nil {
			return
		}
		f.mu.Lock()
		auth := f.auths[s]
		f.mu.Unlock()
		if len(auth) == 0 {
			auth = json.RawMessage("null")
		}
		protocol := 4
		if s.Handshake().Query.Get("EIO") == "3" {
			protocol = 3
		}
		_ = ack(map[string]any{
			"id":        s.ID(),
			"nsp":       n.Name(),
			"auth":      auth,
			"recovered": s.Recovered(),
			"rooms":     s.Rooms(),
			"protocol":  protocol,
		})
	})
	s.On("echo", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		_ = s.Emit("echo", args)
	})
	s.On("handshake", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		if ack != nil {
			_ = ack(s.Handshake())
		}
	})
	s.On("nested binary", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		var u upload
		if err := args.Decode(0, &u); err != nil {
			_ = ack("error", err.Error())
			return
		}
		_ = s.Emit("nested binary", map[string]any{"echo": u, "list": []any{u.File, u.Meta.Thumb}})
		if ack != nil {
			_ = ack(u)
		}
	})
	s.On("ack echo", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		if ack != nil {
			_ = ack(args)
		}
	})
	s.On("binary echo", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		if ack != nil {
			_ = ack(args)
			return
		}
		_ = s.Emit("binary echo", args)
	})
	s.On("give binary", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		var req struct{ Size, Seed int }
		if err := args.Decode(0, &req); err != nil || req.Size < 0 || req.Size > 1<<20 {
			return
		}
		b := pattern(req.Size, req.Seed)
		_ = s.Emit("binary", b, map[string]int{"size": req.Size})
		if ack != nil {
			_ = ack(b)
		}
	})
	s.On("join", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		room, ok := args.String(0)
		if !ok {
			return
		}
		err := s.Join(room)
		if ack != nil {
			if err != nil {
				_ = ack(map[string]any{"ok": false, "error": err.Error()})
				return
			}
			_ = ack(map[string]any{"ok": true, "rooms": s.Rooms()})
		}
	})
	s.On("leave", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		room, ok := args.String(0)
		if !ok {
			return
		}
		s.Leave(room)
		if ack != nil {
			_ = ack(map[string]any{"ok": true, "rooms": s.Rooms()})
		}
	})
	s.On("broadcast", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		var req broadcastReq
		if err := args.Decode(0, &req); err != nil {
			return
		}
		op := s.To(req.Room)
		if req.Self {
			op = n.To(req.Room)
		}
		if req.Except != "" {
			op = op.Except(req.Except)
		}
		out := make([]any, len(req.Args))
		for i, a := range req.Args {
			out[i] = a
		}
		err := op.Emit(req.Event, out...)
		if ack != nil {
			if err != nil {
				_ = ack(map[string]any{"ok": false, "error": err.Error()})
				return
			}
			_ = ack(map[string]any{"ok": true})
		}
	})
	s.On("ask", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		var req askReq
		if err := args.Decode(0, &req); err != nil || ack == nil {
			return
		}
		q := make([]any, 0, len(req.Args)+1)
		for _, a := range req.Args {
			q = append(q, a)
		}
		if req.Binary != nil {
			q = append(q, pattern(req.Binary.Size, req.Binary.Seed))
		}
		// the answer arrives through this socket's read loop, so wait outside the handler
		go func() {
			ctx, cancel := context.WithTimeout(s.Context(), time.Duration(req.TimeoutMs)*time.Millisecond)
			defer cancel()
			res, err := s.EmitWithAck(ctx, "question", q...)
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				_ = ack("timeout")
			case err != nil:
				_ = ack("error", err.Error())
			default:
				_ = ack("ok", res)
			}
		}()
	})
	s.On("no ack", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {})
	s.On("kick me", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		s.Disconnect(false)
	})
	s.On("kick me hard", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		s.Disconnect(true)
	})
	s.On("drop transport", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		sid, ok := args.String(0)
		if !ok {
			return
		}
		f.drop(sid, s.Handshake().RemoteAddr)
	})
	s.On("echo uncompressed", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		_ = s.Compress(false).Emit("echo", args)
	})
	s.On("wire bytes", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		if ack != nil {
			_ = ack(map[string]int64{"read": f.wireRead.Load(), "written": f.wireWritten.Load()})
		}
	})
	s.On("reason of", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		id, ok := args.String(0)
		if !ok || ack == nil {
			return
		}
		f.mu.Lock()
		reason, found := f.reasons[id]
		f.mu.Unlock()
		if !found {
			_ = ack(nil)
			return
		}
		_ = ack(reason)
	})
}

// pattern returns n deterministic bytes, the same as pattern() in helpers.mjs.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed)
	}
	return b
}

// countingListener counts the bytes through its connections into the fixture.
type countingListener struct {
	net.Listener
	f *fixture
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, f: l.f}, nil
}

type countingConn struct {
	net.Conn
	f *fixture
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.f.wireRead.Add(int64(n))
	return n, err
}

// Write counts b before writing it: the peer may read the last byte, and ask for the
// count, before a Write that counted afterwards has returned (a loaded CI machine once
// reported a 180,000-byte message as 4,140 bytes written that way).
func (c *countingConn) Write(b []byte) (int, error) {
	c.f.wireWritten.Add(int64(len(b)))
	n, err := c.Conn.Write(b)
	c.f.wireWritten.Add(int64(n - len(b)))
	return n, err
}
