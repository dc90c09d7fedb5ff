package socketio

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// userKey is the Set key of the user the test middleware read from the auth
// payload {"user"}.
type userKey struct{}

// ownedServer serves "/" with recovery bound to the user the middleware found
// (Owner) and rooms kept by keep. Every connected socket is sent on the returned
// channel; a fresh one joins "user:<user>" and "shared".
func ownedServer(t *testing.T, keep func(s *Socket, room string) bool) (*Server, string, chan *Socket) {
	t.Helper()
	sockets := make(chan *Socket, 8)
	rc := &RecoveryConfig{
		MaxDisconnectionDuration: 5 * time.Second,
		Owner: func(s *Socket) string {
			u, _ := s.Get(userKey{}).(string)
			return u
		},
		KeepRoom: keep,
	}
	srv, base := newTestServer(t, Config{Recovery: rc}, func(srv *Server) {
		srv.Use(func(s *Socket) error {
			var a struct {
				User string `json:"user"`
			}
			_ = json.Unmarshal(s.Handshake().Auth, &a)
			if a.User != "" {
				s.Set(userKey{}, a.User)
			}
			return nil
		})
		srv.OnConnection(func(s *Socket) {
			if u, _ := s.Get(userKey{}).(string); u != "" && !s.Recovered() {
				_ = s.Join("user:"+u, "shared")
			}
			sockets <- s
		})
	})
	return srv, base, sockets
}

// recv returns the next socket from ch, bounded.
func recv(t *testing.T, ch chan *Socket) *Socket {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(waitTimeout):
		t.Fatal("no socket connected")
		return nil
	}
}

// waitGone waits until the namespace no longer has socket id (its disconnection
// was handled, so its session is persisted).
func waitGone(t *testing.T, n *Namespace, id string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for n.Socket(id) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("socket %s still connected", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRecoveryOtherOwnerGetsFreshSession: a handshake that presents another
// user's pid and offset gets a new socket: new id and pid, Recovered false, none
// of the rooms or missed packets, and no later broadcast to the other user. The
// session stays for its owner, who recovers it afterwards.
func TestRecoveryOtherOwnerGetsFreshSession(t *testing.T) {
	srv, base, sockets := ownedServer(t, nil)
	alice := dial(t, base, "websocket")
	alice.send(`0{"user":"alice"}`)
	first := readConnect(t, alice, "")
	recv(t, sockets)
	alice.close()
	waitGone(t, srv.main, first.SID)
	_ = srv.To("user:alice").Emit("for-alice", 1)

	for _, tc := range []struct{ name, auth string }{
		{"another user", `{"user":"carol","pid":"` + first.PID + `","offset":"` + first.Offset + `"}`},
		{"no user", `{"pid":"` + first.PID + `","offset":"` + first.Offset + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, base, "polling")
			c.send("0" + tc.auth)
			got := readConnect(t, c, "")
			s := recv(t, sockets)
			if got.SID == first.SID || got.PID == first.PID || s.Recovered() || s.In("user:alice") {
				t.Fatalf("took alice's session over: reply %+v, recovered %v, rooms %v", got, s.Recovered(), s.Rooms())
			}
			c.expectSilence(100 * time.Millisecond) // no missed packet
			_ = srv.To("user:alice").Emit("live", 2)
			c.expectSilence(50 * time.Millisecond)
		})
	}

	back := dial(t, base, "polling")
	back.send(`0{"user":"alice","pid":"` + first.PID + `","offset":"` + first.Offset + `"}`)
	if got := readConnect(t, back, ""); got.SID != first.SID {
		t.Fatalf("alice did not get her session back: %+v", got)
	}
	back.expectPrefix(`2["for-alice",1,"`)
	back.expectPrefix(`2["live",2,"`)
	back.expectPrefix(`2["live",2,"`)
	if s := recv(t, sockets); !s.Recovered() || !s.In("user:alice") || !s.In("shared") {
		t.Fatalf("recovered %v rooms %v", s.Recovered(), s.Rooms())
	}
	// The two refused takeovers are counted, alice's recovery too.
	if st := srv.Stats(); st.RecoveriesDenied != 2 || st.Recovered != 1 {
		t.Fatalf("Stats: %d recoveries denied, %d recovered; want 2 and 1", st.RecoveriesDenied, st.Recovered)
	}
}

// TestRecoveryKeepRoomFilters: rooms KeepRoom refuses are not restored, and a
// missed packet addressed only to them is not sent; packets to a kept room, to
// several rooms one of which is kept, or to everyone still are.
func TestRecoveryKeepRoomFilters(t *testing.T) {
	var lost atomic.Bool
	var asked atomic.Int32
	srv, base, sockets := ownedServer(t, func(s *Socket, room string) bool {
		asked.Add(1)
		if room == s.ID() {
			t.Errorf("KeepRoom asked about the socket's own room")
		}
		return !(lost.Load() && room == "shared")
	})
	c := dial(t, base, "websocket")
	c.send(`0{"user":"alice"}`)
	first := readConnect(t, c, "")
	recv(t, sockets)
	c.close()
	waitGone(t, srv.main, first.SID)
	lost.Store(true) // the rules changed while alice was away
	_ = srv.To("shared").Emit("gone", 1)
	_ = srv.To("user:alice").Emit("kept", 2)
	_ = srv.To("shared", "user:alice").Emit("both", 3)
	_ = srv.Emit("all", 4)
	_ = srv.To("shared").Emit("gone", 5)

	back := dial(t, base, "polling")
	back.send(`0{"user":"alice","pid":"` + first.PID + `","offset":"` + first.Offset + `"}`)
	if got := readConnect(t, back, ""); got.SID != first.SID {
		t.Fatalf("not recovered: %+v", got)
	}
	for _, want := range []string{`2["kept",2,"`, `2["both",3,"`, `2["all",4,"`} {
		if got := back.expectPrefix("2"); !strings.HasPrefix(got, want) {
			t.Fatalf("missed packet %q, want %s...", got, want)
		}
	}
	s := recv(t, sockets)
	if !s.Recovered() || s.In("shared") || !s.In("user:alice") || !s.In(s.ID()) {
		t.Fatalf("recovered %v rooms %v", s.Recovered(), s.Rooms())
	}
	if asked.Load() == 0 {
		t.Fatal("KeepRoom never asked")
	}
	_ = srv.To("shared").Emit("after", 6)
	back.expectSilence(50 * time.Millisecond)
}

// TestRecoverySkipMiddlewares: with SkipMiddlewares (and so no Owner) the pid
// alone restores the session and the middleware does not run, as in Node.
func TestRecoverySkipMiddlewares(t *testing.T) {
	var runs atomic.Int32
	sockets := make(chan *Socket, 4)
	srv, base := newTestServer(t, Config{Recovery: &RecoveryConfig{SkipMiddlewares: true}}, func(srv *Server) {
		srv.Use(func(*Socket) error { runs.Add(1); return nil })
		srv.OnConnection(func(s *Socket) {
			if !s.Recovered() {
				_ = s.Join("r")
			}
			sockets <- s
		})
	})
	c := dial(t, base, "websocket")
	c.send("0")
	first := readConnect(t, c, "")
	recv(t, sockets)
	c.close()
	waitGone(t, srv.main, first.SID)
	_ = srv.To("r").Emit("m", 1)

	back := dial(t, base, "polling")
	back.send(`0{"pid":"` + first.PID + `","offset":"` + first.Offset + `"}`)
	if got := readConnect(t, back, ""); got.SID != first.SID {
		t.Fatalf("not recovered: %+v", got)
	}
	back.expectPrefix(`2["m",1,"`)
	if s := recv(t, sockets); !s.Recovered() || !s.In("r") || runs.Load() != 1 {
		t.Fatalf("recovered %v rooms %v middleware runs %d", s.Recovered(), s.Rooms(), runs.Load())
	}
}
