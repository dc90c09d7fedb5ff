package socketio

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// obsRecorder is an Observer that writes each call as a line.
type obsRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *obsRecorder) add(format string, a ...any) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf(format, a...))
	r.mu.Unlock()
}

func (r *obsRecorder) SessionOpened()                        { r.add("open") }
func (r *obsRecorder) SessionClosed(reason DisconnectReason) { r.add("close %s", reason) }
func (r *obsRecorder) SocketConnected(s *Socket)             { r.add("connected %s", s.Namespace().Name()) }
func (r *obsRecorder) TransportUpgraded(s *Socket)           { r.add("upgraded %s", s.Transport()) }
func (r *obsRecorder) RoomJoined(n *Namespace, room, _ string) {
	if room != "" && room[0] != '_' && len(room) < 15 {
		r.add("joined %s %s", n.Name(), room)
	}
}
func (r *obsRecorder) RoomLeft(n *Namespace, room, _ string) {
	if len(room) < 15 {
		r.add("left %s %s", n.Name(), room)
	}
}
func (r *obsRecorder) SocketDisconnected(s *Socket, reason DisconnectReason) {
	r.add("disconnected %s %s", s.Namespace().Name(), reason)
}
func (r *obsRecorder) EventReceived(_ *Socket, ev string, a Args) { r.add("in %s %s", ev, a.Raw(0)) }
func (r *obsRecorder) EventSent(_ *Socket, ev string, a Args)     { r.add("out %s %s", ev, a.Raw(0)) }

func (r *obsRecorder) waitFor(t *testing.T, line string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		ok := slices.Contains(r.lines, line)
		r.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("no %q in %q", line, r.lines)
}

func TestObserverSeesSocketsRoomsEventsAndUpgrades(t *testing.T) {
	rec := &obsRecorder{}
	var stop func()
	_, base := newTestServer(t, Config{}, func(srv *Server) {
		stop = srv.Observe(rec)
		srv.Of("/chat").OnConnection(func(s *Socket) {
			_ = s.Join("lobby")
			s.On("hello", func(s *Socket, a Args, _ Ack) {
				_ = s.Emit("hi", a.Raw(0))
				_ = s.Namespace().To("lobby").Emit("all", 1)
				_ = s.Leave("lobby")
			})
		})
	})
	c := dial(t, base, "polling")
	c.connect("/chat", "")
	rec.waitFor(t, "open")
	rec.waitFor(t, "connected /chat")
	rec.waitFor(t, "joined /chat lobby")
	c.send(`2/chat,["hello",7]`)
	rec.waitFor(t, "in hello 7")
	rec.waitFor(t, "out hi 7")
	rec.waitFor(t, "out all 1")
	rec.waitFor(t, "left /chat lobby")

	w := dial(t, base, "websocket")
	w.connect("/chat", "")
	w.send(`1/chat,`)
	rec.waitFor(t, "disconnected /chat client namespace disconnect")
	w.close()
	rec.waitFor(t, "close transport close")

	c.expect(`2/chat,["hi",7]`)
	c.expect(`2/chat,["all",1]`)
	stop()
	stop() // twice is harmless
	rec.mu.Lock()
	n := len(rec.lines)
	rec.mu.Unlock()
	c.send(`2/chat,["hello",8]`)
	c.expect(`2/chat,["hi",8]`)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.lines) != n {
		t.Fatalf("observer called after stop: %q", rec.lines[n:])
	}
}
