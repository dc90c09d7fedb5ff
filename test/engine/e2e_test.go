//go:build e2e

package engine

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
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// nodeTimeout bounds one `node --test` run (a hang guard; the Node cases bound their own waits).
const nodeTimeout = 8 * time.Minute

// TestE2E starts the fixture servers in process and runs the Node suites against them:
// v4.test.mjs (socket.io-client 4.8.x; plain and recovery-enabled fixtures) and
// v2.test.mjs (socket.io-client 2.x; the legacy fixture with AllowEIO3).
func TestE2E(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the end-to-end suites (install Node 20+): %v", err)
	}
	for _, pkg := range []string{"socket.io-client", "socket.io-client-v2"} {
		if _, err := os.Stat(filepath.Join("..", "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("test/node_modules/%s is missing: run `make setup-node` (or `cd test && npm ci`): %v", pkg, err)
		}
	}

	plain := startFixture(t, fixtureOptions{})
	recovery := startFixture(t, fixtureOptions{recovery: true})
	legacy := startFixture(t, fixtureOptions{legacy: true})

	t.Run("socket.io-client-4.8", func(t *testing.T) {
		runNode(t, node, "v4.test.mjs",
			"E2E_URL="+plain.url,
			"E2E_RECOVERY_URL="+recovery.url,
		)
	})
	t.Run("socket.io-client-2.x", func(t *testing.T) {
		runNode(t, node, "v2.test.mjs", "E2E_LEGACY_URL="+legacy.url)
	})
}

// runNode runs `node --test file` in this directory with env added, streams its output to
// the test log line by line, and fails the test when node exits non-zero. node --test runs
// the file in a child process, so node is started in its own process group and the whole
// group (only processes this test started) is killed if the run outlives nodeTimeout.
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

// lineLogger writes each complete line of a child process's output to the test log.
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
