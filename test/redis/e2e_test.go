//go:build e2e

package redise2e

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"rtserver/socketio/redisadapter/redistest"
	"rtserver/test/harness"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// nodeTimeout bounds the `node --test` run (a hang guard; the cases bound their waits).
const nodeTimeout = 4 * time.Minute

// TestInterop starts redis-server and the Go node, then runs interop.test.mjs, which
// starts the Node node on the same redis and drives clients on both.
func TestInterop(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io", "socket.io-client", "@socket.io/redis-adapter", "@socket.io/redis-emitter", "redis")
	rs := redistest.Start(t)
	g := startGoNode(t, rs.Addr())
	harness.RunNodeTest(t, harness.NodeTest{File: "interop.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
		"E2E_GO_URL":    g.url,
		"E2E_REDIS_URL": rs.URL(),
	}})
}
