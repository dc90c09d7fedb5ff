package pgtest

import (
	"context"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStartStop starts a server, creates two databases on it, and checks
// that Stop ends the process and removes the directory.
func TestStartStop(t *testing.T) {
	s := New(t)
	a, b := s.NewDatabase(t), s.NewDatabase(t)
	if a == b {
		t.Fatalf("same database twice: %s", a)
	}
	for _, u := range []string{a, b} {
		conn, err := pgx.Connect(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n)
		conn.Close(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("%s: %d tables, %v; want an empty database", u, n, err)
		}
	}
	pid := s.cmd.Process.Pid
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("postmaster %d still runs", pid)
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Errorf("%s: %v; want it removed", s.dir, err)
	}
}

// fakeTB records how New ended a test, standing in for the *testing.T
// whose fate is checked.
type fakeTB struct {
	testing.TB // nil: calling anything not overridden panics
	ctx        context.Context
	skipped    string
	failed     string
}

func (f *fakeTB) Helper()                  {}
func (f *fakeTB) Context() context.Context { return f.ctx }
func (f *fakeTB) Cleanup(func())           { panic("cleanup registered without a server") }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = format
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
	runtime.Goexit()
}

// TestNewWithoutBinaries checks that a missing PostgreSQL skips a test,
// but fails it under CI=true.
func TestNewWithoutBinaries(t *testing.T) {
	t.Setenv("PGTEST_BINDIR", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		f := &fakeTB{ctx: t.Context()}
		done := make(chan struct{})
		go func() {
			defer close(done)
			New(f)
			t.Errorf("CI=%q: New returned without a server", ci)
		}()
		<-done
		if ci == "true" && (f.failed == "" || f.skipped != "") {
			t.Errorf("CI=true: failed %q, skipped %q; want a failure", f.failed, f.skipped)
		}
		if ci == "" && (f.skipped == "" || f.failed != "") {
			t.Errorf("CI unset: failed %q, skipped %q; want a skip", f.failed, f.skipped)
		}
	}
	if _, err := BinDir(); err == nil || !strings.Contains(err.Error(), "PGTEST_BINDIR") {
		t.Errorf("BinDir: %v", err)
	}
}
