//go:build e2e

package redise2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"rtserver/socketio/redisadapter/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// nodeTimeout bounds the `node --test` run (a hang guard; the cases bound their waits).
const nodeTimeout = 4 * time.Minute

// TestInterop starts redis-server and the Go node, then runs interop.test.mjs, which
// starts the Node node on the same redis and drives clients on both.
func TestInterop(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the end-to-end suites (install Node 20+): %v", err)
	}
	for _, pkg := range []string{"socket.io", "socket.io-client", "@socket.io/redis-adapter", "@socket.io/redis-emitter", "redis"} {
		if _, err := os.Stat(filepath.Join("..", "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("test/node_modules/%s is missing: run `make setup-node` (or `cd test && npm ci`): %v", pkg, err)
		}
	}
	rs := redistest.Start(t)
	g := startGoNode(t, rs.Addr())
	runNode(t, node, "interop.test.mjs", "E2E_GO_URL="+g.url, "E2E_REDIS_URL="+rs.URL())
}

// runNode runs `node --test file` here with env added, streams its output to the test
// log, and fails when node exits non-zero. node runs in its own process group so the
// whole group (only processes this test started) is killed on a hang.
func runNode(t *testing.T, node, file string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	args := []string{"--test", "--test-reporter=spec"}
	if p := os.Getenv("E2E_TEST_NAME_PATTERN"); p != "" {
		args = append(args, "--test-name-pattern="+p)
	}
	args = append(args, file)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	t.Logf("running %s %s", node, strings.Join(args, " "))
	err := cmd.Run()
	out.flush()
	if ctx.Err() != nil {
		t.Fatalf("node --test %s did not finish within %v", file, nodeTimeout)
	}
	if err != nil {
		t.Fatalf("node --test %s failed: %v (the failing cases are in the log above)", file, err)
	}
}

// lineLogger writes each complete line of a child's output to the test log.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}
