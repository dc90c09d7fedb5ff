//go:build e2e

package engine

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"rtserver/test/harness"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// nodeTimeout bounds one `node --test` run (a hang guard; the Node cases bound their own waits).
const nodeTimeout = 8 * time.Minute

// TestE2E starts the fixture servers in process and runs the Node suites against them:
// v4.test.mjs (socket.io-client 4.8.x; plain and recovery-enabled fixtures) and
// msgpack.test.mjs (socket.io-client 4.8.x with socket.io-msgpack-parser; the msgpack
// fixture), deflate.test.mjs (socket.io-client 4.8.x over WebSocket with
// permessage-deflate; the deflate fixture, which counts its TCP bytes) and v2.test.mjs (socket.io-client 2.x; the legacy fixture with AllowEIO3).
func TestE2E(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client", "socket.io-client-v2", "socket.io-msgpack-parser")

	plain := startFixture(t, fixtureOptions{})
	recovery := startFixture(t, fixtureOptions{recovery: true})
	legacy := startFixture(t, fixtureOptions{legacy: true})
	msgpack := startFixture(t, fixtureOptions{msgpack: true})
	deflate := startFixture(t, fixtureOptions{deflate: true})

	t.Run("socket.io-client-4.8", func(t *testing.T) {
		harness.RunNodeTest(t, harness.NodeTest{File: "v4.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
			"E2E_URL":          plain.url,
			"E2E_RECOVERY_URL": recovery.url,
		}})
	})
	t.Run("socket.io-msgpack-parser", func(t *testing.T) {
		harness.RunNodeTest(t, harness.NodeTest{File: "msgpack.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
			"E2E_MSGPACK_URL": msgpack.url,
		}})
	})
	t.Run("permessage-deflate", func(t *testing.T) {
		harness.RunNodeTest(t, harness.NodeTest{File: "deflate.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
			"E2E_DEFLATE_URL": deflate.url,
		}})
	})
	t.Run("socket.io-client-2.x", func(t *testing.T) {
		harness.RunNodeTest(t, harness.NodeTest{File: "v2.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
			"E2E_LEGACY_URL": legacy.url,
		}})
	})
}
