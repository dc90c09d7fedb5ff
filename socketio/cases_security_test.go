package socketio

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"rtserver/socketio/engineio"
)

// Rows of SECURITY_CASES.md not already in security_test.go: acks for ids the
// server never issued, and a full 1 MiB of "[" that reaches the parser (the
// payload cap is raised so the depth cap, not the size cap, must stop it).

// TestSecurityUnknownAckIDsIgnored: ACK packets for ids the server never
// issued (including the largest valid id, and one answered twice) are
// ignored: no handler runs, the socket's ack table stays empty, the session
// keeps working.
func TestSecurityUnknownAckIDsIgnored(t *testing.T) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			socks := make(chan *Socket, 1)
			var ran atomic.Int32
			srv, base := newTestServer(t, Config{}, func(s *Server) {
				s.OnConnection(func(so *Socket) {
					so.OnAny(func(_ *Socket, ev string, _ Args, _ Ack) {
						if ev != "ok" {
							ran.Add(1)
						}
					})
					so.On("ok", func(_ *Socket, _ Args, ack Ack) { _ = ack("ok") })
					socks <- so
				})
			})
			c := dial(t, base, tr)
			c.connect("/", "")
			so := <-socks
			acks := []string{`30[]`, `31["x"]`, `39007199254740991[]`, `3123456[{"a":1}]`}
			for i := range 200 {
				acks = append(acks, "3"+strings.Repeat("7", 1+i%12)+"[]")
			}
			for _, a := range acks {
				c.send(a)
			}
			c.send(`21["ok"]`)
			c.expect(`31["ok"]`)
			if n := so.PendingAcks(); n != 0 {
				t.Fatalf("ack table holds %d entries", n)
			}
			if n := ran.Load(); n != 0 {
				t.Fatalf("%d handlers ran for acks", n)
			}
			if st := srv.Stats(); st.ProtocolErrors != 0 {
				t.Fatalf("unknown acks counted as protocol errors: %+v", st)
			}
		})
	}
}

// TestSecurityAckIDOutOfRangeCloses: an ACK (not an EVENT) whose id is
// above 2^53-1 or not an integer closes the session; nothing is added to
// the ack table.
func TestSecurityAckIDOutOfRangeCloses(t *testing.T) {
	t.Parallel()
	for _, pkt := range []string{`39007199254740992[]`, `3` + strings.Repeat("9", 40) + `[]`, `31.5[]`, `31e3[]`, `3-1[]`} {
		for _, tr := range transports {
			t.Run(tr+"/"+pkt[:min(len(pkt), 12)], func(t *testing.T) {
				t.Parallel()
				srv, base := newTestServer(t, Config{}, nil)
				c := dial(t, base, tr)
				c.connect("/", "")
				c.send(pkt)
				c.expectClosed()
				if srv.Stats().ProtocolErrors == 0 {
					t.Fatalf("no protocol error counted: %+v", srv.Stats())
				}
			})
		}
	}
}

// TestSecurityMegabyteOfBrackets: 1 MiB of "[" inside an event (and as
// the whole payload) closes the session through the depth cap without
// recursion, in bounded time, even when MaxPayload lets it through.
func TestSecurityMegabyteOfBrackets(t *testing.T) {
	t.Parallel()
	payloads := map[string]string{
		"argument": `2["x",` + strings.Repeat("[", 1<<20),
		"payload":  `2` + strings.Repeat("[", 1<<20),
		"object":   `2["x",` + strings.Repeat(`{"a":`, 1<<18),
	}
	for name, p := range payloads {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var ran atomic.Int32
			srv, base := newTestServer(t, Config{Engine: engineio.Config{MaxPayload: 4 << 20}}, func(s *Server) {
				s.OnConnection(func(so *Socket) {
					so.OnAny(func(*Socket, string, Args, Ack) { ran.Add(1) })
				})
			})
			c := dial(t, base, "websocket")
			c.connect("/", "")
			began := time.Now()
			c.send(p)
			c.expectClosed()
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("took %v to refuse", d)
			}
			if ran.Load() != 0 || srv.Stats().ProtocolErrors == 0 {
				t.Fatalf("handlers %d, stats %+v", ran.Load(), srv.Stats())
			}
		})
	}
}
