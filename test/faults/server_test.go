//go:build e2e

package faults

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/test/harness"
)

// jwtSecret is the HS256 secret every server of the suite runs with (JWT_SECRET), so
// the suite mints its own tokens for as many distinct users as it needs.
const jwtSecret = "faults-suite-secret-0123456789-abcdefghij"

// serverBin is the cmd/server binary built once by TestMain.
var serverBin string

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

// server is one running server process; stats and metrics read its figures.
type server struct {
	*harness.Server
}

// startServer runs serverBin with env and returns once /readyz answers 200. The
// process is killed (by PID) at cleanup if still running: the scenarios that test the
// shutdown do it themselves with Term and Wait.
func startServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	return &server{harness.Start(t, serverBin, env, harness.KillAtCleanup())}
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

// metrics scrapes the metrics listener (Prometheus text); false when the server has
// none.
func (s *server) metrics() (map[string]float64, bool) {
	if s.MetricsURL == "" {
		return nil, false
	}
	// No keep-alive: an idle scrape connection would count as a server socket.
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := hc.Get(s.MetricsURL)
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

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

// withTimeout is context.WithTimeout on Background, for the many bounded waits.
func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
