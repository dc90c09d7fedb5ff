//go:build e2e

package faults

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtSecret is the HS256 secret every server of the suite runs with (JWT_SECRET), so
// the suite mints its own tokens for as many distinct users as it needs.
const jwtSecret = "faults-suite-secret-0123456789-abcdefghij"

// serverBin is the cmd/server binary built once by TestMain.
var serverBin string

// buildServer compiles ./cmd/server into dir.
func buildServer(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/server: %w\n%s", err, out)
	}
	return bin, nil
}

// mint returns a token for user id valid for an hour.
func mint(t testing.TB, id string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": id, "name": id, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": fmt.Sprintf("%s-%d", id, now.UnixNano()),
	})
	s, err := tok.SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// baseEnv is the configuration every scenario starts from: high event rates (the
// suite measures faults, not the rate limiter), no per-user socket cap, history long
// enough to hold every message of a run.
func baseEnv(dataDir string) map[string]string {
	return map[string]string{
		"ADDR":                 "127.0.0.1:0",
		"DATA_DIR":             dataDir,
		"JWT_SECRET":           jwtSecret,
		"EVENT_RATE":           "10000",
		"EVENT_BURST":          "10000",
		"MAX_SOCKETS_PER_USER": "0",
		"HISTORY_LIMIT":        "1000000",
		"LOG_LEVEL":            "warn",
		"SHUTDOWN_TIMEOUT":     "10s",
	}
}

// server is one running server process.
type server struct {
	URL  string
	Port int
	PID  int

	cmd     *exec.Cmd
	logs    *syncBuffer
	started time.Time
	listen  time.Time // the URL line was printed
	ready   time.Time // /readyz answered 200
	done    chan struct{}
	exitErr error
	exitAt  time.Time
	once    sync.Once
}

var urlLine = regexp.MustCompile(`http://127\.0\.0\.1:([0-9]+)/`)

// startServer runs the binary with env and returns once /readyz answers 200. The
// process is killed (by PID) at cleanup if still running.
func startServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(serverBin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.logs
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s.PID = cmd.Process.Pid
	t.Cleanup(func() { s.kill() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.logs.Write(append(append([]byte{}, line...), '\n'))
			if m := urlLine.FindSubmatch(line); m != nil {
				select {
				case urls <- string(m[1]):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.exitErr = cmd.Wait()
		s.exitAt = time.Now()
		close(s.done)
	}()
	select {
	case port := <-urls:
		s.listen = time.Now()
		s.Port, _ = strconv.Atoi(port)
		s.URL = "http://127.0.0.1:" + port
	case <-s.done:
		t.Fatalf("server exited before printing its URL: %v\n%s", s.exitErr, tail(s.logs.String(), 4000))
	case <-time.After(30 * time.Second):
		t.Fatalf("server printed no URL within 30 s:\n%s", tail(s.logs.String(), 4000))
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.ready = time.Now()
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200:\n%s", s.URL, tail(s.logs.String(), 4000))
	return nil
}

// term sends SIGTERM to the process.
func (s *server) term(t testing.TB) time.Time {
	t.Helper()
	at := time.Now()
	if err := syscall.Kill(s.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("SIGTERM %d: %v", s.PID, err)
	}
	return at
}

// wait waits up to d for the process to exit and fails the test on a non-zero exit
// or a timeout (the graceful shutdown is part of what is tested).
func (s *server) wait(t testing.TB, d time.Duration) time.Time {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		t.Fatalf("server %d did not exit within %s of SIGTERM", s.PID, d)
	}
	if s.exitErr != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", s.exitErr, tail(s.logs.String(), 4000))
	}
	return s.exitAt
}

// stop is term plus wait.
func (s *server) stop(t testing.TB) {
	t.Helper()
	select {
	case <-s.done:
		return
	default:
	}
	s.term(t)
	s.wait(t, 30*time.Second)
}

// alive reports whether the process has not exited.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL (by PID) if it is still running.
func (s *server) kill() {
	s.once.Do(func() {
		if s.alive() {
			_ = syscall.Kill(s.PID, syscall.SIGKILL)
			<-s.done
		}
	})
}

// procStats are the server figures read from /proc and, when the server exposes
// Prometheus metrics, from /metrics.
type procStats struct {
	RSS        int64 // bytes (VmRSS)
	Threads    int
	FDs        int
	Sockets    int   // fds that are sockets
	Files      int   // fds that are regular files (the SQLite database, its WAL)
	Goroutines int   // -1 without /metrics
	HeapInuse  int64 // -1 without /metrics
}

func (p procStats) String() string {
	s := fmt.Sprintf("rss=%s threads=%d fds=%d (sockets %d, files %d)", mib(p.RSS), p.Threads, p.FDs, p.Sockets, p.Files)
	if p.Goroutines >= 0 {
		s += fmt.Sprintf(" goroutines=%d", p.Goroutines)
	}
	if p.HeapInuse >= 0 {
		s += " heap_inuse=" + mib(p.HeapInuse)
	}
	return s
}

// stats reads the process's VmRSS and Threads from /proc/<pid>/status, counts
// /proc/<pid>/fd and scrapes /metrics (go_goroutines, go_memstats_heap_inuse_bytes)
// when it exists.
func (s *server) stats(t testing.TB) procStats {
	t.Helper()
	p := procStats{Goroutines: -1, HeapInuse: -1}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID))
	if err != nil {
		t.Fatalf("read /proc status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			p.RSS = kb << 10
		case "Threads:":
			p.Threads, _ = strconv.Atoi(f[1])
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.PID))
	if err != nil {
		t.Fatalf("read /proc fd: %v", err)
	}
	p.FDs = len(fds)
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", s.PID, fd.Name()))
		switch {
		case err != nil:
		case strings.HasPrefix(target, "socket:"):
			p.Sockets++
		case strings.HasPrefix(target, "/"):
			p.Files++
		}
	}
	if m, ok := s.metrics(); ok {
		if v, ok := m["go_goroutines"]; ok {
			p.Goroutines = int(v)
		}
		if v, ok := m["go_memstats_heap_inuse_bytes"]; ok {
			p.HeapInuse = int64(v)
		}
	}
	return p
}

// metrics scrapes GET /metrics (Prometheus text); false when the server has none.
func (s *server) metrics() (map[string]float64, bool) {
	// No keep-alive: an idle scrape connection would count as a server socket.
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := hc.Get(s.URL + "/metrics")
	if err != nil {
		return nil, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, false
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.Contains(line, "{") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			out[f[0]] = v
		}
	}
	return out, len(out) > 0
}

// rssSampler samples the server's VmRSS every 100 ms and keeps the maximum.
type rssSampler struct {
	mu   sync.Mutex
	max  int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	r := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			if v := readRSS(pid); v > 0 {
				r.mu.Lock()
				r.max = max(r.max, v)
				r.mu.Unlock()
			}
			select {
			case <-r.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return r
}

// peak returns the highest RSS seen so far and starts a new window.
func (r *rssSampler) peak() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.max
	r.max = 0
	return v
}

func (r *rssSampler) close() {
	close(r.stop)
	<-r.done
}

func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("VmRSS:"))
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+len("VmRSS:"):]))
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(f[0], 10, 64)
	return kb << 10
}

// waitPortFree waits until nothing listens on port (the old process is gone).
func waitPortFree(port int, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
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

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

// withTimeout is context.WithTimeout on Background, for the many bounded waits.
func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
