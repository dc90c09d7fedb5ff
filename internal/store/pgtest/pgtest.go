// Package pgtest starts throwaway PostgreSQL servers for tests.
//
// A [Server] is a fresh cluster (initdb) in a temporary directory, served
// by its own postgres process on 127.0.0.1 and a free port, with trust
// authentication for the superuser "postgres" and fsync off: nothing in it
// is meant to survive. Tests create one database per test on it
// ([Server.CreateDatabase]), which costs milliseconds where a new cluster
// costs about a second.
//
// PostgreSQL refuses to run as root. When the test runs as root, the
// cluster belongs to the "postgres" system user (or "nobody" when there is
// none), and initdb and postgres run under that user's ids.
//
// The binaries are looked up in $PGTEST_BINDIR, then in Debian's
// /usr/lib/postgresql/<version>/bin (newest first), then on $PATH. [New]
// skips the test when they are missing, or fails it when CI=true, so that
// CI cannot pass without running the PostgreSQL tests.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled means that initdb and postgres were not found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found; install them with `apt-get install postgresql` or set PGTEST_BINDIR")

const (
	// startTimeout bounds the wait for a new server to accept connections.
	startTimeout = 60 * time.Second
	// stopTimeout is how long Stop waits after each signal before it
	// sends a stronger one.
	stopTimeout = 10 * time.Second
	// startTries is how often Start picks a new port when postgres
	// could not bind the one it was given (another process took it
	// between our probe and postgres's bind).
	startTries = 5
)

// Server is a running throwaway PostgreSQL server. Stop it with Stop.
type Server struct {
	dir  string // the temporary directory: data/, the socket, postgres.log
	port int
	cmd  *exec.Cmd
	// exited is closed once cmd.Wait returned.
	exited chan struct{}
	dbSeq  atomic.Int64

	stopOnce sync.Once
	stopErr  error
}

// New starts a server for tb and stops it when tb ends. When the binaries
// are missing it skips tb, or fails it when the environment has CI=true.
func New(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(tb.Context())
	if errors.Is(err, ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI=true: %v", err)
		}
		tb.Skipf("skipping PostgreSQL test: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("pgtest: stop: %v", err)
		}
	})
	return s
}

// NewDatabase creates a new empty database on s for tb and returns its
// URL; it goes with the server.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	u, err := s.CreateDatabase(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// BinDir returns the directory holding initdb and postgres, or
// ErrNotInstalled.
func BinDir() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("PGTEST_BINDIR"); dir != "" {
		if has(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("PGTEST_BINDIR=%s: %w", dir, ErrNotInstalled)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest version first: sort by the numeric version directory.
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, dir := range dirs {
		if has(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", ErrNotInstalled
}

// Start creates a cluster in a new temporary directory and starts a
// server on it. ctx bounds the start only. The caller must call Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are 0700 root directories, which the
	// postgres user could not enter. The socket path also has to stay
	// short (at most 107 bytes).
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	var initOut bytes.Buffer
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.Stdout, initdb.Stderr = &initOut, &initOut
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := initdb.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, initOut.Bytes())
	}
	for try := 1; ; try++ {
		s, err := start(ctx, bin, dir, cred)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// errPortTaken is start's error when postgres could not bind its port.
var errPortTaken = errors.New("pgtest: port taken")

// start runs postgres on the cluster in dir and waits until it accepts
// connections.
func start(ctx context.Context, bin, dir string, cred *syscall.Credential) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	// Not CommandContext: ctx bounds the start, not the server's life.
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(dir, "data"), "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// Its own process group, so that a Ctrl-C meant for go test does
		// not reach it before Stop; Pdeathsig stops it (immediate
		// shutdown) if the test binary dies without calling Stop.
		Setpgid:   true,
		Pdeathsig: syscall.SIGQUIT,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		err := s.ping(ctx)
		if err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			if bytes.Contains(log, []byte("could not bind")) || bytes.Contains(log, []byte("already in use")) {
				return nil, errPortTaken
			}
			return nil, fmt.Errorf("pgtest: postgres exited: %v\n%s", cmd.ProcessState, log)
		case <-ctx.Done():
			s.kill()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("pgtest: postgres not ready: %v (last: %v)\n%s", ctx.Err(), err, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// credential returns the ids to run initdb and postgres as: nil (our own)
// unless we are root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pgtest: running as root and found neither user postgres nor nobody to run PostgreSQL as")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the URL of database db on s, as the superuser.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// ping connects to the postgres database once.
func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// CreateDatabase creates a new empty database (db1, db2, …) and returns
// its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("db%d", s.dbSeq.Add(1))
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.URL(name), nil
}

// Stop shuts the server down (fast shutdown, then immediate, then
// SIGKILL, each after stopTimeout) and removes its directory. Calling it
// again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
			// The postmaster stops its own children; only it was ours.
			if err := s.cmd.Process.Signal(sig); err != nil {
				break // exited already
			}
			select {
			case <-s.exited:
			case <-time.After(stopTimeout):
				continue
			}
			break
		}
		s.kill()
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("pgtest: %w", err)
		}
	})
	return s.stopErr
}

// kill ends the postmaster if it still runs, and waits for it.
func (s *Server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exited
}
