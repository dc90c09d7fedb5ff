package socketio

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// recorder collects what listeners saw, in order.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
}

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.got, " ")
	r.got = nil
	return s
}

// TestSeveralListenersPerEvent: every listener of an event runs in registration
// order (On used to replace the previous one), Once runs once, the function On
// returns removes that listener only, and Off removes them all.
func TestSeveralListenersPerEvent(t *testing.T) {
	rec := &recorder{}
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		srv.OnConnection(func(s *Socket) {
			s.On("e", func(*Socket, Args, Ack) { rec.add("a") })
			removeB := s.On("e", func(*Socket, Args, Ack) { rec.add("b") })
			s.Once("e", func(*Socket, Args, Ack) { rec.add("once") })
			s.On("e", func(_ *Socket, _ Args, ack Ack) { rec.add("c"); _ = ack("done") })
			s.On("remove b", func(_ *Socket, _ Args, ack Ack) { removeB(); removeB(); _ = ack() })
			s.On("off", func(s *Socket, _ Args, ack Ack) { s.Off("e"); _ = ack() })
		})
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send(`21["e"]`)
	c.expect(`31["done"]`)
	if got := rec.take(); got != "a b once c" {
		t.Fatalf("first event: %q", got)
	}
	c.send(`22["e"]`)
	c.expect(`32["done"]`)
	if got := rec.take(); got != "a b c" {
		t.Fatalf("second event: %q", got)
	}
	c.send(`23["remove b"]`)
	c.expect(`33[]`)
	c.send(`24["e"]`)
	c.expect(`34["done"]`)
	if got := rec.take(); got != "a c" {
		t.Fatalf("after remove: %q", got)
	}
	c.send(`25["off"]`)
	c.expect(`35[]`)
	c.send(`26["e"]`)
	c.send(`27["off"]`) // a marker: "e" has no listener left
	c.expect(`37[]`)
	if got := rec.take(); got != "" {
		t.Fatalf("after Off: %q", got)
	}
}

// TestCatchAllListeners: PrependAny runs before OnAny, both before the event's
// listeners; the returned function removes one, OffAny all.
func TestCatchAllListeners(t *testing.T) {
	rec := &recorder{}
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		srv.OnConnection(func(s *Socket) {
			var removeFirst func()
			removeFirst = s.OnAny(func(_ *Socket, ev string, _ Args, _ Ack) { rec.add("any1:" + ev) })
			s.PrependAny(func(_ *Socket, ev string, _ Args, _ Ack) { rec.add("pre:" + ev) })
			s.On("e", func(_ *Socket, _ Args, ack Ack) { rec.add("e"); _ = ack() })
			s.On("remove", func(_ *Socket, _ Args, ack Ack) { removeFirst(); _ = ack() })
			s.On("offany", func(s *Socket, _ Args, ack Ack) { s.OffAny(); _ = ack() })
		})
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send(`21["e"]`)
	c.expect(`31[]`)
	if got := rec.take(); got != "pre:e any1:e e" {
		t.Fatalf("order: %q", got)
	}
	c.send(`22["remove"]`)
	c.expect(`32[]`)
	rec.take()
	c.send(`23["e"]`)
	c.expect(`33[]`)
	if got := rec.take(); got != "pre:e e" {
		t.Fatalf("after remove: %q", got)
	}
	c.send(`24["offany"]`)
	c.expect(`34[]`)
	rec.take()
	c.send(`25["e"]`)
	c.expect(`35[]`)
	if got := rec.take(); got != "e" {
		t.Fatalf("after OffAny: %q", got)
	}
}

// TestOutgoingListeners: Emit, EmitWithAck and broadcasts reaching the socket are
// shown with their arguments, acknowledgements are not; prepend order, remove and
// OffAnyOutgoing work like the incoming ones.
func TestOutgoingListeners(t *testing.T) {
	rec := &recorder{}
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		srv.OnConnection(func(s *Socket) {
			remove := s.OnAnyOutgoing(func(_ *Socket, ev string, args Args) {
				b, _ := args.MarshalJSON()
				rec.add("out:" + ev + string(b))
			})
			s.PrependAnyOutgoing(func(_ *Socket, ev string, _ Args) { rec.add("pre:" + ev) })
			s.On("go", func(s *Socket, _ Args, ack Ack) {
				_ = s.Emit("direct", 1)
				_ = s.Namespace().Emit("all", "x")
				_ = ack("not shown")
			})
			s.On("remove", func(_ *Socket, _ Args, ack Ack) { remove(); _ = ack() })
			s.On("off", func(s *Socket, _ Args, ack Ack) { s.OffAnyOutgoing(); _ = ack() })
		})
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send(`21["go"]`)
	c.expect(`2["direct",1]`)
	c.expect(`2["all","x"]`)
	c.expect(`31["not shown"]`)
	if got := rec.take(); got != `pre:direct out:direct[1] pre:all out:all["x"]` {
		t.Fatalf("outgoing: %q", got)
	}
	c.send(`22["remove"]`)
	c.expect(`32[]`)
	c.send(`23["go"]`)
	c.expect(`2["direct",1]`)
	c.expect(`2["all","x"]`)
	c.expect(`33["not shown"]`)
	if got := rec.take(); got != "pre:direct pre:all" {
		t.Fatalf("after remove: %q", got)
	}
	c.send(`24["off"]`)
	c.expect(`34[]`)
	c.send(`25["go"]`)
	c.expect(`2["direct",1]`)
	c.expect(`2["all","x"]`)
	c.expect(`35["not shown"]`)
	if got := rec.take(); got != "" {
		t.Fatalf("after OffAnyOutgoing: %q", got)
	}
}

// TestNamespaceOn: a namespace-wide handler runs for every socket, after the
// packet middleware (which can drop the event) and the catch-all listeners; a
// socket's own listeners of the event take its place; a second On replaces
// it, nil removes it; other namespaces do not see it.
func TestNamespaceOn(t *testing.T) {
	rec := &recorder{}
	var chat *Namespace
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		chat = srv.Of("/chat")
		chat.On("e", func(s *Socket, args Args, ack Ack) {
			var v string
			_ = args.Decode(0, &v)
			rec.add("nsp:" + v)
			_ = ack("nsp")
		})
		chat.OnConnection(func(s *Socket) {
			s.Use(func(_ *Socket, event string, args Args, ack Ack) error {
				if args.Len() > 0 && string(args.Raw(0)) == `"drop"` {
					rec.add("dropped")
					return errors.New("dropped")
				}
				return nil
			})
			s.OnAny(func(_ *Socket, event string, _ Args, _ Ack) { rec.add("any:" + event) })
			if s.Handshake().Auth != nil && strings.Contains(string(s.Handshake().Auth), "own") {
				s.On("e", func(_ *Socket, _ Args, ack Ack) { rec.add("own"); _ = ack("own") })
			}
		})
		srv.Of("/").On("sync", func(_ *Socket, _ Args, ack Ack) { _ = ack() })
	})
	c := dial(t, base, "websocket")
	c.connect("/chat", "")
	c.send(`2/chat,1["e","x"]`)
	c.expect(`3/chat,1["nsp"]`)
	if got := rec.take(); got != "any:e nsp:x" {
		t.Fatalf("namespace handler: %q", got)
	}
	c.send(`2/chat,2["e","drop"]`)
	c.send(`2/chat,3["e","y"]`)
	c.expect(`3/chat,3["nsp"]`)
	if got := rec.take(); got != "dropped any:e nsp:y" {
		t.Fatalf("after a dropped event: %q", got)
	}

	own := dial(t, base, "websocket")
	own.connect("/chat", `{"own":true}`)
	own.send(`2/chat,1["e","z"]`)
	own.expect(`3/chat,1["own"]`)
	if got := rec.take(); got != "any:e own" {
		t.Fatalf("socket's own listener: %q", got)
	}

	chat.On("e", func(_ *Socket, _ Args, ack Ack) { rec.add("second"); _ = ack("second") })
	c.send(`2/chat,4["e"]`)
	c.expect(`3/chat,4["second"]`)
	chat.On("e", nil)
	c.send(`2/chat,5["e"]`)
	c.send(`2/chat,6["f"]`)
	c.connect("/", "")
	c.send(`27["e"]`)
	c.send(`2/chat,8["e"]`)
	c.send(`29["sync"]`) // a socket's packets are handled in order
	c.expect(`39[]`)
	if got := rec.take(); got != "any:e second any:e any:f any:e" {
		t.Fatalf("replaced, removed, other namespace: %q", got)
	}
}
