package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"rtserver/internal/store"
)

func testUsers(t *testing.T, e *env) {
	st := e.store(store.Options{})
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
			!slices.Equal(u.Roles, []string{"admin"}) || !u.CreatedAt.Equal(t0()) {
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

func testSessions(t *testing.T, e *env) {
	st := e.store(store.Options{})
	if err := st.CreateUser(ctx(t), store.User{ID: "alice", Username: "alice", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	sess, err := st.CreateSession(ctx(t), store.Session{UserID: "alice", JTI: "j1", ExpiresAt: t0().Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.ID) != 43 || !sess.CreatedAt.Equal(t0()) {
		t.Fatalf("session %+v", sess)
	}
	got, err := st.Session(ctx(t), sess.ID)
	if err != nil || got != sess || got.Revoked() || !got.Active(t0()) || got.Active(t0().Add(15*time.Minute)) {
		t.Fatalf("Session = %+v, %v; want %+v", got, err, sess)
	}
	if _, err := st.CreateSession(ctx(t), store.Session{ID: sess.ID, UserID: "alice", ExpiresAt: t0().Add(time.Minute)}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	if _, err := st.CreateSession(ctx(t), store.Session{UserID: "ghost", ExpiresAt: t0().Add(time.Minute)}); !errors.Is(err, store.ErrNotFound) {
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
	e.clock.Add(time.Minute)
	if err := st.RevokeSession(ctx(t), sess.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Session(ctx(t), sess.ID)
	if !got.Revoked() || !got.RevokedAt.Equal(t0().Add(time.Minute)) || got.Active(t0()) {
		t.Fatalf("after revoke: %+v", got)
	}
	if revoked, err := st.IsRevoked(ctx(t), "j1"); err != nil || !revoked {
		t.Fatalf("j1 after logout: %v %v", revoked, err)
	}
	// A second revocation keeps the first time.
	e.clock.Add(time.Minute)
	if err := st.RevokeSession(ctx(t), sess.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.Session(ctx(t), sess.ID); !got.RevokedAt.Equal(t0().Add(time.Minute)) {
		t.Fatalf("revoked_at moved: %v", got.RevokedAt)
	}
	if err := st.RevokeSession(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func testRevokedTokens(t *testing.T, e *env) {
	st := e.store(store.Options{})
	if revoked, err := st.IsRevoked(ctx(t), "j"); err != nil || revoked {
		t.Fatalf("fresh: %v %v", revoked, err)
	}
	if err := st.RevokeJTI(ctx(t), "j", t0().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeJTI(ctx(t), "j", t0().Add(time.Minute)); err != nil { // idempotent; keeps the later expiry
		t.Fatal(err)
	}
	if err := st.RevokeJTI(ctx(t), "", t0()); err == nil {
		t.Fatal("empty jti accepted")
	}
	if revoked, err := st.IsRevoked(ctx(t), "j"); err != nil || !revoked {
		t.Fatalf("after revoke: %v %v", revoked, err)
	}
	if n, err := st.DeleteExpired(ctx(t), t0().Add(30*time.Minute)); err != nil || n != 0 {
		t.Fatalf("purge before expiry: %d %v", n, err)
	}
	if n, err := st.DeleteExpired(ctx(t), t0().Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge after expiry: %d %v", n, err)
	}
	if revoked, _ := st.IsRevoked(ctx(t), "j"); revoked {
		t.Fatal("still revoked after purge")
	}
}

func testConcurrentSessionWriters(t *testing.T, e *env) {
	st := e.store(store.Options{})
	if err := st.CreateUser(ctx(t), store.User{ID: "alice", Username: "alice", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 10 {
				s, err := st.CreateSession(ctx(t), store.Session{UserID: "alice", JTI: fmt.Sprintf("j%d-%d", i, j), ExpiresAt: t0().Add(time.Hour)})
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

func testRevokeUserSessions(t *testing.T, e *env) {
	st := e.store(store.Options{})
	for _, u := range []string{"alice", "bob"} {
		if err := st.CreateUser(ctx(t), store.User{ID: u, Username: u, PasswordHash: "h"}); err != nil {
			t.Fatal(err)
		}
	}
	var alice []store.Session
	for i, jti := range []string{"a1", "a2", ""} {
		s, err := st.CreateSession(ctx(t), store.Session{UserID: "alice", JTI: jti, ExpiresAt: t0().Add(time.Duration(i+1) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		alice = append(alice, s)
	}
	bob, err := st.CreateSession(ctx(t), store.Session{UserID: "bob", JTI: "b1", ExpiresAt: t0().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeSession(ctx(t), alice[0].ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	n, err := st.RevokeUserSessions(ctx(t), "alice")
	if err != nil || n != 2 {
		t.Fatalf("RevokeUserSessions = %d, %v; want the 2 not yet revoked", n, err)
	}
	for _, s := range alice {
		if got, _ := st.Session(ctx(t), s.ID); !got.Revoked() {
			t.Errorf("alice's session %s not revoked", s.ID)
		}
	}
	if got, _ := st.Session(ctx(t), alice[0].ID); !got.RevokedAt.Equal(t0()) {
		t.Errorf("an earlier revocation moved to %v", got.RevokedAt)
	}
	if revoked, _ := st.IsRevoked(ctx(t), "a2"); !revoked {
		t.Error("jti a2 not revoked")
	}
	if got, _ := st.Session(ctx(t), bob.ID); got.Revoked() {
		t.Error("bob's session revoked too")
	}
	if revoked, _ := st.IsRevoked(ctx(t), "b1"); revoked {
		t.Error("bob's jti revoked")
	}
	if n, err := st.RevokeUserSessions(ctx(t), "ghost"); err != nil || n != 0 {
		t.Errorf("unknown user: %d, %v", n, err)
	}
}
