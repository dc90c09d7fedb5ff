package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"rtserver/internal/identity/auth"
	"rtserver/internal/store"
	"rtserver/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time        { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration)   { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func newClock() *clock                 { return &clock{now: t0} }
func ctx(t *testing.T) context.Context { return t.Context() }
func openTemp(t *testing.T, c *clock) *store.SQLite {
	t.Helper()
	st, err := store.Open(ctx(t), filepath.Join(t.TempDir(), "data"), store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// TestConformance runs the storetest suite on SQLite, each subtest in its
// own data directory.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := filepath.Join(t.TempDir(), "data")
		return func(opts store.Options) (store.Store, error) {
			st, err := store.Open(t.Context(), dir, opts)
			if err != nil {
				return nil, err // not a nil *SQLite in a non-nil Store
			}
			return st, nil
		}
	})
}

func TestOpenFilesAndReopen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	st, err := store.Open(ctx(t), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx(t), store.User{ID: "u1", Username: "u1", DisplayName: "U", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, store.FileName): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v; want %v", path, fi.Mode().Perm(), want)
			}
		}
	}
	// Reopening keeps the data and does not re-run migrations.
	st, err = store.Open(ctx(t), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByID(ctx(t), "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName+"-wal")); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	if _, err := store.Open(ctx(t), "", store.Options{}); err == nil {
		t.Error("empty dir accepted")
	}
	if _, err := store.Open(ctx(t), filepath.Join(t.TempDir(), "a?b"), store.Options{}); err == nil {
		t.Error("? in path accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := store.Open(ctx(t), file, store.Options{}); err == nil {
		t.Error("a file as data dir accepted")
	}
}

func TestVerifierUsesStoreRevocations(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := openTemp(t, c)
	secret := []byte("0123456789abcdef0123456789abcdef")
	iss, _ := auth.NewIssuer(secret, 15*time.Minute, "", "", c.Now)
	v, _ := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Revocations: st, Now: c.Now})
	tok, claims, err := iss.Issue(auth.User{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx(t), tok); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeJTI(ctx(t), claims.ID, claims.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx(t), tok); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	st := openTemp(t, newClock())
	seeded, err := store.SeedDemo(ctx(t), st)
	if err != nil || !seeded {
		t.Fatalf("first seed: %v %v", seeded, err)
	}
	want := map[string]struct{ team, role string }{
		"alice": {"red", ""}, "bob": {"red", ""}, "carol": {"blue", ""}, "admin": {"", "admin"},
	}
	users, _ := st.ListUsers(ctx(t))
	if len(users) != len(want) {
		t.Fatalf("%d users", len(users))
	}
	for _, u := range users {
		w := want[u.ID]
		if u.Username != u.ID || (w.team != "" && !slices.Equal(u.Teams, []string{w.team})) ||
			(w.role != "" && !slices.Equal(u.Roles, []string{w.role})) || (w.role == "" && len(u.Roles) != 0) {
			t.Errorf("user %+v", u)
		}
		if err := auth.CheckPassword(u.PasswordHash, u.ID+"-pass"); err != nil {
			t.Errorf("%s: password: %v", u.ID, err)
		}
	}
	seeded, err = store.SeedDemo(ctx(t), st)
	if err != nil || seeded {
		t.Fatalf("second seed: %v %v", seeded, err)
	}
}

func TestSeedDemoLeavesNonEmptyStore(t *testing.T) {
	t.Parallel()
	st := openTemp(t, newClock())
	if err := st.CreateUser(ctx(t), store.User{ID: "zed", Username: "zed", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if seeded, err := store.SeedDemo(ctx(t), st); err != nil || seeded {
		t.Fatalf("seed: %v %v", seeded, err)
	}
	if _, err := st.UserByID(ctx(t), "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("alice seeded into a non-empty store")
	}
}
