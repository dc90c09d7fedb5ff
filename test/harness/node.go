package harness

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
)

// RequireTools fails the test when a program the suite drives is missing:
// the end-to-end suites treat a missing tool as an error, not a skip.
func RequireTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for the end-to-end suites (make setup-apt / make setup-node): %v", tool, err)
		}
	}
}

// RequireNodeModules fails the test when node is missing or test/node_modules
// lacks one of pkgs.
func RequireNodeModules(t testing.TB, pkgs ...string) {
	t.Helper()
	RequireTools(t, "node")
	dir := filepath.Join(RepoRoot(t), "test", "node_modules")
	for _, pkg := range pkgs {
		if _, err := os.Stat(filepath.Join(dir, pkg, "package.json")); err != nil {
			t.Fatalf("test/node_modules/%s is missing: run `make setup-node` (or `cd test && npm ci`): %v", pkg, err)
		}
	}
}

// Node runs `node args...` in dir with extra env, streaming its output to
// the test log, and fails the test when node is missing or exits non-zero.
func Node(t testing.TB, ctx context.Context, dir string, env map[string]string, args ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the end-to-end suites: %v", err)
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out syncBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	t.Logf("node %s:\n%s", strings.Join(args, " "), out.String())
	if err != nil {
		t.Fatalf("node %s: %v", strings.Join(args, " "), err)
	}
}

// NodeTest is one `node --test` run.
type NodeTest struct {
	// File is the test file, relative to Dir.
	File string
	// Dir is where node runs; empty means the test's package directory.
	Dir string
	// Env is added to the test process's environment.
	Env map[string]string
	// Pattern, when set, is passed as --test-name-pattern; so is
	// E2E_TEST_NAME_PATTERN from the environment.
	Pattern string
	// Serial passes --test-concurrency=1.
	Serial bool
	// Timeout is a hang guard for the whole run (the cases bound their own
	// waits); zero means 2 minutes.
	Timeout time.Duration
}

// RunNodeTest runs `node --test --test-reporter=spec` for r, writes its
// output to the test log line by line, and fails the test when node is
// missing, exits non-zero or outlives r.Timeout. node --test runs each file
// in a child process, so node is started in its own process group and that
// group (only processes this test started) is killed on a hang.
func RunNodeTest(t testing.TB, r NodeTest) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for the end-to-end suites (install Node 20+): %v", err)
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"--test"}
	if r.Serial {
		args = append(args, "--test-concurrency=1")
	}
	args = append(args, "--test-reporter=spec")
	if r.Pattern != "" {
		args = append(args, "--test-name-pattern="+r.Pattern)
	}
	if p := os.Getenv("E2E_TEST_NAME_PATTERN"); p != "" {
		args = append(args, "--test-name-pattern="+p)
	}
	args = append(args, r.File)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = r.Dir
	cmd.Env = os.Environ()
	for k, v := range r.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	t.Logf("running %s %s", node, strings.Join(args, " "))
	err = cmd.Run()
	out.flush()
	if ctx.Err() != nil {
		t.Fatalf("node --test %s did not finish within %v", r.File, timeout)
	}
	if err != nil {
		t.Fatalf("node --test %s failed: %v (the failing cases are in the log above)", r.File, err)
	}
}

// lineLogger writes each complete line of a child process's output to the test log.
type lineLogger struct {
	t   testing.TB
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
