package harness

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for the URL line and, after it, for /readyz.
const startTimeout = 30 * time.Second

// Server is a running server process.
type Server struct {
	// URL is the base URL the server printed, without a trailing slash:
	// https:// when it serves TLS (start it with RootCAs then).
	URL string
	// Port is the port of URL; pass ADDR=127.0.0.1:Port to restart on it.
	Port int
	// MetricsURL is the metrics endpoint the server printed
	// (http://127.0.0.1:N/metrics), or "" with METRICS_ADDR=off.
	MetricsURL string
	// PID is the process id, for /proc readings.
	PID int
	// Started, Listening and Ready are when the process was started, when it
	// printed its URL and when /readyz first answered 200.
	Started, Listening, Ready time.Time

	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{} // closed once the process has exited
	exitErr error         // set before done is closed
	exitAt  time.Time     // set before done is closed
	once    sync.Once     // the first of Stop, Kill, Wait ends the process's story
	err     error
}

// urlLine and metricsLine match the lines run prints on start: the public
// URL, and before it the metrics URL (unless METRICS_ADDR=off).
var (
	urlLine     = regexp.MustCompile(`rtserver listening on (https?)://127\.0\.0\.1:([0-9]+)/`)
	metricsLine = regexp.MustCompile(`rtserver metrics on (http://127\.0\.0\.1:[0-9]+/metrics)`)
)

// Option varies one Start.
type Option func(*startOptions)

type startOptions struct {
	killAtCleanup bool
	rootCAs       *x509.CertPool
}

// RootCAs is the pool the readiness check trusts when the server serves
// HTTPS (TLS_CERT_FILE): the suite's own test CA.
func RootCAs(pool *x509.CertPool) Option { return func(o *startOptions) { o.rootCAs = pool } }

// KillAtCleanup makes the cleanup SIGKILL a process still running instead of
// calling Stop, for suites that assert on the shutdown themselves (Term,
// Wait) or leave the server loaded when the test ends.
func KillAtCleanup() Option { return func(o *startOptions) { o.killAtCleanup = true } }

// Start runs bin with env (added to a minimal environment with defaults:
// ADDR and METRICS_ADDR 127.0.0.1:0, since suites run several servers at
// once; DATA_DIR a temp dir; HANDSHAKE_RATE=0, since every suite connects
// its hundreds or thousands of clients from the one address 127.0.0.1, so a
// suite that tests the handshake limit sets it) and returns once /readyz
// answers 200, waiting up to 30 s for each. The process is stopped at
// cleanup (Stop, or SIGKILL with KillAtCleanup).
func Start(t testing.TB, bin string, env map[string]string, opts ...Option) *Server {
	t.Helper()
	var o startOptions
	for _, opt := range opts {
		opt(&o)
	}
	vars := map[string]string{"ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0", "HANDSHAKE_RATE": "0", "DATA_DIR": t.TempDir()}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &Server{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.out
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s.PID = cmd.Process.Pid
	if o.killAtCleanup {
		t.Cleanup(func() { s.Kill(t) })
	} else {
		t.Cleanup(func() { s.Stop(t) })
	}
	ports := make(chan []string, 1)
	metrics := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.out.Write([]byte(line + "\n"))
			if m := metricsLine.FindStringSubmatch(line); m != nil {
				select {
				case metrics <- m[1]:
				default:
				}
			}
			if m := urlLine.FindStringSubmatch(line); m != nil {
				select {
				case ports <- m[1:]:
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
	case m := <-ports:
		scheme, port := m[0], m[1]
		s.Listening = time.Now()
		s.Port, _ = strconv.Atoi(port)
		s.URL = scheme + "://127.0.0.1:" + port
		// The metrics line comes before the URL line, when there is one.
		select {
		case s.MetricsURL = <-metrics:
		default:
		}
	case <-s.done:
		t.Fatalf("server exited before printing its URL: %v\n%s", s.exitErr, s.Logs())
	case <-time.After(startTimeout):
		t.Fatalf("server printed no URL within %s:\n%s", startTimeout, s.Logs())
	}
	s.waitReady(t, o.rootCAs)
	return s
}

// waitReady polls /readyz without keep-alive: an idle poll connection would
// count among the server's sockets in the suites that measure them.
func (s *Server) waitReady(t testing.TB, rootCAs *x509.CertPool) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	if rootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: rootCAs}
	}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		res, err := hc.Get(s.URL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				s.Ready = time.Now()
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200:\n%s", s.URL, s.Logs())
}

// Logs returns everything the process wrote so far (stdout and stderr).
func (s *Server) Logs() string { return s.out.String() }

// Alive reports whether the process has not exited.
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Term sends SIGTERM to the process (by PID) and returns when it was sent.
func (s *Server) Term(t testing.TB) time.Time {
	t.Helper()
	at := time.Now()
	if err := syscall.Kill(s.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("SIGTERM %d: %v", s.PID, err)
	}
	return at
}

// Wait waits up to d for the process to exit after Term and returns when it
// exited. A timeout or a non-zero exit fails the test: the graceful shutdown
// is part of what is tested. Stop after Wait does nothing.
func (s *Server) Wait(t testing.TB, d time.Duration) time.Time {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		t.Fatalf("server %d did not exit within %s of SIGTERM", s.PID, d)
	}
	s.once.Do(func() {}) // the exit is reported here, not again by Stop
	if s.exitErr != nil {
		t.Errorf("server exit after SIGTERM: %v\n%s", s.exitErr, s.Logs())
	}
	return s.exitAt
}

// Stop sends SIGTERM to the process (by PID) and waits up to 15 s for a
// clean exit, then kills it. A non-zero exit after SIGTERM fails the test:
// the graceful shutdown is part of what is tested. Idempotent; it does
// nothing after Kill or Wait.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.once.Do(func() {
		if err := syscall.Kill(s.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			s.err = err
		}
		select {
		case <-s.done:
			if s.exitErr != nil {
				s.err = fmt.Errorf("server exit after SIGTERM: %w", s.exitErr)
			}
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(s.PID, syscall.SIGKILL)
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
		if !s.Alive() {
			return
		}
		if err := syscall.Kill(s.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill server: %v", err)
		}
		<-s.done
	})
}
