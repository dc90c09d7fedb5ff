// Package harness starts the server binary for end-to-end tests: it builds
// cmd/server once into a temp dir, starts it on 127.0.0.1:0 with a temp
// DATA_DIR, reads the bound URL from its stdout, waits for /readyz, keeps
// its output for log checks and stops it by PID. It also runs node scripts.
//
// A Server is used from one test goroutine; its log buffer is safe for the
// process's concurrent writes.
package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RepoRoot returns the module root (the directory of go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatal("not inside the module")
	}
	return filepath.Dir(mod)
}

// Build compiles ./cmd/server into a temp dir and returns the binary path.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/server")
	cmd.Dir = RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/server: %v\n%s", err, out)
	}
	return bin
}

// Server is a running server process.
type Server struct {
	// URL is the base URL the server printed, without a trailing slash.
	URL  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
	once sync.Once
	err  error
}

// urlLine matches the address line run prints on start.
var urlLine = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/`)

// Start runs bin with env (added to a minimal environment, ADDR and
// DATA_DIR defaulted) and returns once /readyz answers 200. The process is
// stopped at cleanup.
func Start(t testing.TB, bin string, env map[string]string) *Server {
	t.Helper()
	vars := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": t.TempDir()}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &Server{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { s.Stop(t) })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.out.Write([]byte(line + "\n"))
			if u := urlLine.FindString(line); u != "" {
				select {
				case urls <- strings.TrimSuffix(u, "/"):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
	}()
	select {
	case s.URL = <-urls:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("server exited before printing its URL: %v\n%s", err, s.out.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("server printed no URL within 20 s:\n%s", s.out.String())
	}
	s.waitReady(t)
	return s
}

func (s *Server) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200:\n%s", s.URL, s.out.String())
}

// Logs returns everything the process wrote so far (stdout and stderr).
func (s *Server) Logs() string { return s.out.String() }

// Stop sends SIGTERM to the process (by PID) and waits up to 15 s for a
// clean exit, then kills it. A non-zero exit after SIGTERM fails the test:
// the graceful shutdown is part of what is tested. Idempotent.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.once.Do(func() {
		if err := syscall.Kill(s.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			s.err = err
		}
		select {
		case err := <-s.done:
			if err != nil {
				s.err = fmt.Errorf("server exit after SIGTERM: %w", err)
			}
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
			s.err = errors.New("server did not stop within 15 s of SIGTERM")
		}
	})
	if s.err != nil {
		t.Errorf("%v\n%s", s.err, s.Logs())
	}
}

// Kill ends the process with SIGKILL (by PID), as a crash would, and
// waits for it. Stop after Kill does nothing.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.once.Do(func() {
		if err := syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill server: %v", err)
		}
		<-s.done
	})
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

// CheckSecretsAbsent fails the test for every line of the file at path
// (one secret per line) found in logs. The file must exist and list at
// least min secrets, so an empty check cannot pass silently.
func CheckSecretsAbsent(t testing.TB, path string, min int, logs ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read tokens file: %v", err)
	}
	all := strings.Join(logs, "\n")
	seen := map[string]bool{}
	for _, secret := range strings.Split(string(b), "\n") {
		secret = strings.TrimSpace(secret)
		if len(secret) < 8 || seen[secret] {
			continue
		}
		seen[secret] = true
		if strings.Contains(all, secret) {
			t.Errorf("a token used by the suite appears in the server log: %.24s…", secret)
		}
	}
	if len(seen) < min {
		t.Errorf("only %d distinct tokens recorded in %s, want at least %d", len(seen), path, min)
	}
	t.Logf("checked %d tokens against %d bytes of server log", len(seen), len(all))
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
