//go:build e2e

package adminui

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtserver/socketio/redisadapter/redistest"
	"rtserver/test/harness"
)

const nodeTimeout = 2 * time.Minute

// adminEnv is rtserver with the demo users and the Admin UI on.
func adminEnv(extra ...string) map[string]string {
	env := map[string]string{"DEMO": "1", "ADMIN_UI": "1", "LOG_LEVEL": "debug",
		"JWT_SECRET": "adminui-e2e-secret-0123456789abcdef0123"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// TestProtocol runs protocol.test.mjs against rtserver (read-write and read-only)
// and against the Node reference.
func TestProtocol(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client", "socket.io", "@socket.io/admin-ui")
	bin := harness.Build(t)
	rw := harness.Start(t, bin, adminEnv())
	ro := harness.Start(t, bin, adminEnv("ADMIN_UI_READONLY", "1"))
	ref := startReference(t)
	for _, target := range []struct{ name, url, ro string }{
		{"go", rw.URL, ro.URL},
		{"node-reference", ref["E2E_URL"], ref["E2E_READONLY_URL"]},
	} {
		t.Run(target.name, func(t *testing.T) {
			harness.RunNodeTest(t, harness.NodeTest{File: "protocol.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
				"E2E_URL": strings.TrimSuffix(target.url, "/"), "E2E_READONLY_URL": strings.TrimSuffix(target.ro, "/"),
			}})
		})
	}
}

// sessionTTL is the short SESSION_TTL of TestSession's server.
const sessionTTL = 4 * time.Second

// TestSession runs session.test.mjs: the session id the UI reconnects with
// ends with SESSION_TTL, on POST /logout and on /admin revoke, and each
// disconnects the UI.
func TestSession(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client")
	bin := harness.Build(t)
	srv := harness.Start(t, bin, adminEnv("TOKEN_TTL", "2s", "SESSION_TTL", sessionTTL.String()))
	harness.RunNodeTest(t, harness.NodeTest{File: "session.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
		"E2E_URL": strings.TrimSuffix(srv.URL, "/"), "E2E_SESSION_MS": strconv.Itoa(int(sessionTTL.Milliseconds())),
	}})
}

// TestBrowser drives the real Admin UI at /admin-ui/ in headless Chromium
// (browser.mjs): the connection form, alice's socket and rooms on the sockets
// page, and disconnecting it from the UI. Screenshots go to test/artifacts/;
// RT_DOCS_SCREENSHOT=path also writes the sockets page there (docs/adminui.png
// was made so).
func TestBrowser(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client", "playwright-core")
	harness.RequireTools(t, "chromium")
	root := harness.RepoRoot(t)
	bin := harness.Build(t)
	srv := harness.Start(t, bin, adminEnv())
	artifacts := filepath.Join(root, "test", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := map[string]string{
		"RT_BASE_URL":  strings.TrimSuffix(srv.URL, "/"),
		"RT_ARTIFACTS": artifacts,
	}
	if p := os.Getenv("RT_DOCS_SCREENSHOT"); p != "" {
		env["RT_DOCS_SCREENSHOT"] = p
	}
	harness.Node(t, ctx, filepath.Join(root, "test", "adminui"), env, "browser.mjs")
}

// TestCluster runs protocol.test.mjs's cluster case on two nodes sharing a
// redis-server (REDIS_URL, the pub/sub adapter): the UI connected to node a
// gets server_stats from a and b, lists in all_sockets a socket connected to
// b, and hears b's socket_connected. Each node has its own SQLite (both seed
// the demo users) and the same JWT_SECRET.
func TestCluster(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client")
	harness.RequireTools(t, "redis-server")
	bin := harness.Build(t)
	rs := redistest.Start(t)
	a := harness.Start(t, bin, adminEnv("REDIS_URL", rs.URL()+"/0", "NODE_ID", "a"))
	b := harness.Start(t, bin, adminEnv("REDIS_URL", rs.URL()+"/0", "NODE_ID", "b"))
	harness.RunNodeTest(t, harness.NodeTest{File: "protocol.test.mjs", Timeout: nodeTimeout, Pattern: "second node", Env: map[string]string{
		"E2E_URL": strings.TrimSuffix(a.URL, "/"), "E2E_READONLY_URL": strings.TrimSuffix(a.URL, "/"),
		"E2E_URL2": strings.TrimSuffix(b.URL, "/"),
	}})
}

// startReference starts reference-fixture.mjs (Node's instrument()) and returns the
// URLs it prints; it is stopped by its PID when the test ends.
func startReference(t *testing.T) map[string]string {
	t.Helper()
	return harness.StartNodeScript(t, "", "reference-fixture.mjs", "E2E_URL", "E2E_READONLY_URL")
}
