package socketio

import (
	"errors"
	"testing"
	"time"
)

// plainAdapter is an adapter with the required methods only: no SessionAdapter.
type plainAdapter struct{ Adapter }

// TestAdapterWithoutSessions: recovery is configured but the adapter keeps no
// sessions, so a client presenting its pid gets a fresh socket, and nothing fails.
func TestAdapterWithoutSessions(t *testing.T) {
	hosts := make(chan AdapterHost, 4)
	cfg := Config{
		Recovery: &RecoveryConfig{MaxDisconnectionDuration: time.Minute},
		NewAdapter: func(h AdapterHost) Adapter {
			hosts <- h
			return plainAdapter{NewMemoryAdapter(h)}
		},
	}
	_, base := newTestServer(t, cfg, nil)
	if h := <-hosts; h.Name() != "/" {
		t.Fatalf("host of %q", h.Name())
	}
	c := dial(t, base, "websocket")
	c.send("0")
	first := readConnect(t, c, "")
	c.close()
	c2 := dial(t, base, "websocket")
	c2.send(`0{"pid":"` + first.PID + `","offset":"` + first.Offset + `"}`)
	if second := readConnect(t, c2, ""); second.SID == first.SID {
		t.Fatal("restored without a SessionAdapter")
	}
}

// TestReceiveServerSideEmit: every handler runs in order and sees the event; the
// first answer is the node's, later ones get ErrAckSent; without an ack the
// handlers get nil.
func TestReceiveServerSideEmit(t *testing.T) {
	srv, _ := newTestServer(t, Config{}, nil)
	n := srv.Of("/")
	var order []string
	var second error
	n.OnServerSideEmit(func(event string, args Args, ack Ack) {
		order = append(order, "a:"+event)
		if ack != nil {
			_ = ack("first")
		}
	})
	n.OnServerSideEmit(func(event string, args Args, ack Ack) {
		order = append(order, "b:"+event)
		if ack != nil {
			second = ack("second")
		}
	})
	n.OnServerSideEmit(func(string, Args, Ack) { panic("recovered") })
	var replies []string
	args, _ := ParseArgs([]byte(`[1]`), nil, 0)
	host := namespaceHost{n}
	host.ReceiveServerSideEmit("e", args, func(a Args) {
		s, _ := a.String(0)
		replies = append(replies, s)
	})
	host.ReceiveServerSideEmit("f", args, nil)
	if len(replies) != 1 || replies[0] != "first" || !errors.Is(second, ErrAckSent) {
		t.Fatalf("replies %q, second %v", replies, second)
	}
	if got := order; len(got) != 4 || got[0] != "a:e" || got[1] != "b:e" || got[2] != "a:f" || got[3] != "b:f" {
		t.Fatalf("order %q", got)
	}
}
