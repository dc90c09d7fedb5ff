package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"rtserver/internal/auth"
	"rtserver/internal/store"
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

func TestUsers(t *testing.T) {
	t.Parallel()
	st := openTemp(t, newClock())
	alice := store.User{ID: "alice", Username: "alice", DisplayName: "Alice", PasswordHash: "h", Teams: []string{"red"}, Roles: []string{"admin"}}
	if err := st.CreateUser(ctx(t), alice); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx(t), store.User{ID: "bob", Username: "bob", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]store.User{
		"same id":             {ID: "alice", Username: "alice2", PasswordHash: "h"},
		"same username":       {ID: "a2", Username: "alice", PasswordHash: "h"},
		"same username, case": {ID: "a3", Username: "ALICE", PasswordHash: "h"},
	} {
		if err := st.CreateUser(ctx(t), u); !errors.Is(err, store.ErrExists) {
			t.Errorf("%s: %v; want ErrExists", name, err)
		}
	}
	if err := st.CreateUser(ctx(t), store.User{Username: "x"}); err == nil || errors.Is(err, store.ErrExists) {
		t.Errorf("no id: %v", err)
	}
	for _, get := range []func() (store.User, error){
		func() (store.User, error) { return st.UserByID(ctx(t), "alice") },
		func() (store.User, error) { return st.UserByName(ctx(t), "alice") },
		func() (store.User, error) { return st.UserByName(ctx(t), "Alice") },
	} {
		u, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != "alice" || u.DisplayName != "Alice" || u.PasswordHash != "h" || !slices.Equal(u.Teams, []string{"red"}) ||
			!slices.Equal(u.Roles, []string{"admin"}) || !u.CreatedAt.Equal(t0) {
			t.Fatalf("got %+v", u)
		}
	}
	bob, _ := st.UserByID(ctx(t), "bob")
	if bob.Teams == nil || len(bob.Teams) != 0 {
		t.Fatalf("bob teams %#v; want empty, not nil", bob.Teams)
	}
	if _, err := st.UserByID(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := st.UserByName(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown name: %v", err)
	}
	users, err := st.ListUsers(ctx(t))
	if err != nil || len(users) != 2 || users[0].ID != "alice" || users[1].ID != "bob" {
		t.Fatalf("ListUsers = %+v, %v", users, err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := openTemp(t, c)
	if err := st.CreateUser(ctx(t), store.User{ID: "alice", Username: "alice", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	sess, err := st.CreateSession(ctx(t), store.Session{UserID: "alice", JTI: "j1", ExpiresAt: t0.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.ID) != 43 || !sess.CreatedAt.Equal(t0) {
		t.Fatalf("session %+v", sess)
	}
	got, err := st.Session(ctx(t), sess.ID)
	if err != nil || got != sess || got.Revoked() || !got.Active(t0) || got.Active(t0.Add(15*time.Minute)) {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, sess)
	}
	if _, err := st.CreateSession(ctx(t), store.Session{ID: sess.ID, UserID: "alice", ExpiresAt: t0.Add(time.Minute)}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := st.CreateSession(ctx(t), store.Session{UserID: "ghost", ExpiresAt: t0.Add(time.Minute)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if _, err := st.CreateSession(ctx(t), store.Session{UserID: "alice"}); err == nil {
		t.Fatal("no expiry accepted")
	}
	if _, err := st.Session(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}

	// Revoking marks the session and revokes its jti.
	if revoked, _ := st.IsRevoked(ctx(t), "j1"); revoked {
		t.Fatal("j1 revoked before logout")
	}
	c.Add(time.Minute)
	if err := st.RevokeSession(ctx(t), sess.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Session(ctx(t), sess.ID)
	if !got.Revoked() || !got.RevokedAt.Equal(t0.Add(time.Minute)) || got.Active(t0) {
		t.Fatalf("after revoke: %+v", got)
	}
	if revoked, err := st.IsRevoked(ctx(t), "j1"); err != nil || !revoked {
		t.Fatalf("j1 after logout: %v %v", revoked, err)
	}
	// A second revocation keeps the first time.
	c.Add(time.Minute)
	if err := st.RevokeSession(ctx(t), sess.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.Session(ctx(t), sess.ID); !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("revoked_at moved: %v", got.RevokedAt)
	}
	if err := st.RevokeSession(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestRevokedTokens(t *testing.T) {
	t.Parallel()
	st := openTemp(t, newClock())
	var _ auth.Revocations = st // the verifier can use the store directly
	if revoked, err := st.IsRevoked(ctx(t), "j"); err != nil || revoked {
		t.Fatalf("fresh: %v %v", revoked, err)
	}
	if err := st.RevokeJTI(ctx(t), "j", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeJTI(ctx(t), "j", t0.Add(time.Minute)); err != nil { // idempotent; keeps the later expiry
		t.Fatal(err)
	}
	if err := st.RevokeJTI(ctx(t), "", t0); err == nil {
		t.Fatal("empty jti accepted")
	}
	if revoked, err := st.IsRevoked(ctx(t), "j"); err != nil || !revoked {
		t.Fatalf("after revoke: %v %v", revoked, err)
	}
	if n, err := st.DeleteExpired(ctx(t), t0.Add(30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("purge before expiry: %d %v", n, err)
	}
	if n, err := st.DeleteExpired(ctx(t), t0.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge after expiry: %d %v", n, err)
	}
	if revoked, _ := st.IsRevoked(ctx(t), "j"); revoked {
		t.Fatal("still revoked after purge")
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

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	st := openTemp(t, newClock())
	if err := st.CreateUser(ctx(t), store.User{ID: "alice", Username: "alice", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 10 {
				s, err := st.CreateSession(ctx(t), store.Session{UserID: "alice", JTI: fmt.Sprintf("j%d-%d", i, j), ExpiresAt: t0.Add(time.Hour)})
				if err != nil {
					t.Error(err)
					return
				}
				if err := st.RevokeSession(ctx(t), s.ID); err != nil {
					t.Error(err)
					return
				}
				if r, err := st.IsRevoked(ctx(t), s.JTI); err != nil || !r {
					t.Errorf("%s: %v %v", s.JTI, r, err)
				}
			}
		})
	}
	wg.Wait()
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
