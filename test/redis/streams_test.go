//go:build e2e

package redise2e

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio/redisadapter/redistest"
	"rtserver/socketio/redisadapter/streams"
	"rtserver/test/harness"
)

// TestStreamsInterop runs interop.test.mjs with @socket.io/redis-streams-adapter on
// the Node node and the streams adapter on the Go node.
func TestStreamsInterop(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io", "socket.io-client", "@socket.io/redis-streams-adapter", "redis")
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	cl, err := streams.New(context.Background(), streams.Config{Client: rdb})
	if err != nil {
		t.Fatal(err)
	}
	g := startGoNodeWith(t, rdb, cl.NewAdapter, cl.Close)
	harness.RunNodeTest(t, harness.NodeTest{File: "interop.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
		"E2E_GO_URL":    g.url,
		"E2E_REDIS_URL": rs.URL(),
		"E2E_ADAPTER":   "streams",
	}})
}
