package socketio

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type connectReply struct {
	SID    string `json:"sid"`
	PID    string `json:"pid"`
	Offset string `json:"offset"`
}

func readConnect(t *testing.T, c *rawClient, prefix string) connectReply {
	t.Helper()
	data := c.expectPrefix("0" + prefix + "{")
	var r connectReply
	if err := json.Unmarshal([]byte(data[1+len(prefix):]), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConnectionStateRecovery(t *testing.T) {
	var middlewareRuns atomic.Int32
	var revoked atomic.Bool
	disconnected := make(chan DisconnectReason, 4)
	sockets := make(chan *Socket, 4)
	srv, base := newTestServer(t, Config{Recovery: &RecoveryConfig{MaxDisconnectionDuration: 5 * time.Second}}, func(s *Server) {
		s.Use(func(so *Socket) error {
			middlewareRuns.Add(1)
			if revoked.Load() {
				return &ConnectError{Message: "unauthorized", Data: map[string]string{"code": "revoked"}}
			}
			return nil
		})
		s.OnConnection(func(so *Socket) {
			if !so.Recovered() {
				_ = so.Join("r")
				so.SetData("claims")
			}
			so.OnDisconnect(func(r DisconnectReason) { disconnected <- r })
			sockets <- so
		})
	})
	c := dial(t, base, "websocket")
	c.send("0")
	first := readConnect(t, c, "")
	if first.PID == "" || first.Offset == "" || first.SID == "" {
		t.Fatalf("connect reply %+v", first)
	}
	<-sockets
	if err := srv.To("r").Emit("m", 1); err != nil {
		t.Fatal(err)
	}
	data := c.expectPrefix(`2["m",1,"`)
	offset1 := strings.TrimSuffix(strings.TrimPrefix(data, `2["m",1,"`), `"]`)
	// Socket-level emits carry no offset.
	c.close()
	if r := <-disconnected; r != ReasonTransportClose {
		t.Fatalf("reason %q", r)
	}
	_ = srv.To("r").Emit("m", 2)
	_ = srv.Except("r").Emit("not-for-you")
	_ = srv.Volatile().Emit("volatile")

	c2 := dial(t, base, "polling")
	c2.send(`0{"pid":"` + first.PID + `","offset":"` + offset1 + `"}`)
	second := readConnect(t, c2, "")
	if second.SID != first.SID || second.PID != first.PID {
		t.Fatalf("not recovered: %+v vs %+v", second, first)
	}
	c2.expectPrefix(`2["m",2,"`)
	so := <-sockets
	if !so.Recovered() || !so.In("r") || so.Data() != "claims" {
		t.Fatalf("recovered %v rooms %v data %v", so.Recovered(), so.Rooms(), so.Data())
	}
	if n := middlewareRuns.Load(); n != 2 {
		t.Fatalf("middleware ran %d times", n)
	}
	c2.expectSilence(50 * time.Millisecond)

	// A server-side disconnect is not recoverable.
	so.Disconnect(false)
	c2.expect("1")
	<-disconnected
	c3 := dial(t, base, "websocket")
	c3.send(`0{"pid":"` + first.PID + `","offset":"` + offset1 + `"}`)
	if third := readConnect(t, c3, ""); third.SID == first.SID {
		t.Fatal("recovered after a server disconnect")
	}
	so3 := <-sockets

	// Middleware re-runs for a recovering handshake, before anything is restored,
	// and may refuse it.
	revoked.Store(true)
	pid := so3.pid
	c3.close()
	<-disconnected
	c4 := dial(t, base, "websocket")
	c4.send(`0{"pid":"` + pid + `"}`)
	c4.expect(`4{"message":"unauthorized","data":{"code":"revoked"}}`)
}

func TestRecoveryStoreBounds(t *testing.T) {
	srv, err := NewServer(Config{Recovery: &RecoveryConfig{MaxPackets: 3, MaxSessions: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Engine().Shutdown(t.Context())
	a := srv.main.adapter.(*MemoryAdapter)
	start := a.Offset()
	a.PersistSession(PersistedSession{SID: "s1", PID: "p1", Rooms: []string{"s1"}, Offset: start, DisconnectedAt: time.Now()})
	a.PersistSession(PersistedSession{SID: "s2", PID: "p2", Offset: start, DisconnectedAt: time.Now()})
	if len(a.store.sessions) != 1 {
		t.Fatalf("sessions %d", len(a.store.sessions))
	}
	for i := 0; i < 5; i++ {
		_ = srv.Emit("e", i)
	}
	if len(a.store.packets) != 3 {
		t.Fatalf("packets %d", len(a.store.packets))
	}
	// p1 missed packets 1..5 but 1 and 2 are gone: not recoverable.
	if rs, _ := a.RestoreSession("p1", "", ""); rs != nil {
		t.Fatal("restored with a gap")
	}
	if rs, _ := a.RestoreSession("p1", "", ""); rs != nil {
		t.Fatal("restored twice")
	}
	a.PersistSession(PersistedSession{SID: "s3", PID: "p3", Rooms: []string{"s3"}, Offset: a.Offset(), DisconnectedAt: time.Now()})
	_ = srv.Emit("late", 1)
	rs, _ := a.RestoreSession("p3", "bogus", "")
	if rs == nil || len(rs.Missed) != 1 || !strings.HasPrefix(string(rs.Missed[0].Packet.Data), `["late",1,"`) {
		t.Fatalf("restore %+v", rs)
	}
}
