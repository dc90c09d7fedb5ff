package socketio

import (
	"context"
	"strings"
	"testing"
	"time"

	"rtserver/socketio/parser"
)

// clusterAdapter is a fake cluster adapter: the local part is a MemoryAdapter, and
// nodes-1 other nodes (with no sockets) answer every non-local broadcast with ack.
type clusterAdapter struct {
	*MemoryAdapter
	nodes int
}

func (a *clusterAdapter) ServerCount(context.Context) (int, error) { return a.nodes, nil }

func (a *clusterAdapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions,
	onCount func(int), onAck func(string, Args)) error {
	if !opts.Local {
		for range a.nodes - 1 {
			onCount(0)
		}
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, onCount, onAck)
}

// Local().EmitWithAck asks this node's sockets only, so it must not wait for the
// other nodes: it returns as soon as every local socket has answered.
func TestLocalEmitWithAckInCluster(t *testing.T) {
	srv, base := newTestServer(t, Config{NewAdapter: func(n AdapterHost) Adapter {
		return &clusterAdapter{MemoryAdapter: NewMemoryAdapter(n), nodes: 3}
	}}, nil)
	clients := []*rawClient{dial(t, base, "websocket"), dial(t, base, "polling")}
	for _, c := range clients {
		c.connect("/", "")
	}
	for _, local := range []bool{true, false} {
		op := srv.main.Timeout(2 * time.Second)
		if local {
			op = op.Local()
		}
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			r, err := op.EmitWithAck(context.Background(), "ping")
			done <- result{len(r), err}
		}()
		for _, c := range clients {
			data := c.expectPrefix("2")
			id := data[1:strings.IndexByte(data, '[')]
			c.send("3" + id + `["ok"]`)
		}
		if r := <-done; r.err != nil || r.n != 2 {
			t.Fatalf("local=%v: %d responses, err %v", local, r.n, r.err)
		}
	}
}
