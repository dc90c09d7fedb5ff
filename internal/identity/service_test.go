package identity

import (
	"context"
	"testing"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity/auth"
	"rtserver/internal/store"
)

// newTestIdentity wires identity over a fresh SQLite store with the demo
// users, as build does.
func newTestIdentity(t *testing.T) *Service {
	t.Helper()
	id, _ := newTestIdentityWith(t, nil)
	return id
}

// newTestIdentityWith is newTestIdentity with the verifier's revocation
// lookups going through wrap (when not nil); it also returns the store.
func newTestIdentityWith(t *testing.T, wrap func(auth.Revocations) auth.Revocations) (*Service, *store.SQLite) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := store.SeedDemo(ctx, st); err != nil {
		t.Fatal(err)
	}
	secret := []byte("identity-test-secret-0123456789abcdef")
	iss, err := auth.NewIssuer(secret, time.Minute, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var revs auth.Revocations = st
	if wrap != nil {
		revs = wrap(st)
	}
	ver, err := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Revocations: revs})
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: st, Issuer: iss, Verifier: ver}), st
}

func wantCode(t *testing.T, err error, code apierr.Code) {
	t.Helper()
	if err == nil || apierr.CodeOf(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func TestIdentityLoginVerifyRevoke(t *testing.T) {
	ctx := context.Background()
	id := newTestIdentity(t)

	res, err := id.Login(ctx, "alice", "alice-pass")
	if err != nil {
		t.Fatal(err)
	}
	if res.Token == "" || res.SessionID == "" || res.Claims.TokenID == "" || res.Claims.SessionID != res.SessionID {
		t.Fatalf("login result incomplete: %+v", res.Claims)
	}
	c, err := id.VerifyToken(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != "alice" || c.Name != "Alice" || len(c.Teams) != 1 || c.Teams[0] != "red" || c.SessionID != res.SessionID {
		t.Errorf("token claims = %+v", c)
	}
	sc, err := id.VerifySession(ctx, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sc.UserID != "alice" || sc.SessionID != res.SessionID || sc.TokenID != "" {
		t.Errorf("session claims = %+v", sc)
	}

	// A second login of the same user is a separate session.
	other, err := id.Login(ctx, "alice", "alice-pass")
	if err != nil {
		t.Fatal(err)
	}

	if err := id.Revoke(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err = id.VerifyToken(ctx, res.Token)
	wantCode(t, err, apierr.Revoked)
	_, err = id.VerifySession(ctx, res.SessionID)
	wantCode(t, err, apierr.Revoked)

	if _, err := id.VerifyToken(ctx, other.Token); err != nil {
		t.Errorf("the other session's token: %v", err)
	}
	if _, err := id.VerifySession(ctx, other.SessionID); err != nil {
		t.Errorf("the other session: %v", err)
	}
}

func TestIdentityRevokeBySessionEndsItsToken(t *testing.T) {
	ctx := context.Background()
	id := newTestIdentity(t)
	res, err := id.Login(ctx, "bob", "bob-pass")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := id.VerifySession(ctx, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Revoke(ctx, sc); err != nil {
		t.Fatal(err)
	}
	_, err = id.VerifyToken(ctx, res.Token)
	wantCode(t, err, apierr.Revoked)
}

func TestIdentityRefusals(t *testing.T) {
	ctx := context.Background()
	id := newTestIdentity(t)

	_, err := id.Login(ctx, "alice", "wrong")
	wantCode(t, err, apierr.InvalidCredentials)
	_, err = id.Login(ctx, "nobody", "alice-pass")
	wantCode(t, err, apierr.InvalidCredentials)

	_, err = id.VerifyToken(ctx, "")
	wantCode(t, err, apierr.MissingToken)
	_, err = id.VerifyToken(ctx, "a.b.c")
	wantCode(t, err, apierr.InvalidToken)
	_, err = id.VerifySession(ctx, "no-such-session")
	wantCode(t, err, apierr.InvalidToken)

	// An expired session is token_expired.
	expired := &Service{st: id.st, issuer: id.issuer, verifier: id.verifier, now: func() time.Time { return time.Now().Add(time.Hour) }}
	res, err := id.Login(ctx, "carol", "carol-pass")
	if err != nil {
		t.Fatal(err)
	}
	_, err = expired.VerifySession(ctx, res.SessionID)
	wantCode(t, err, apierr.TokenExpired)
}

// gone hides sessions and users of a real store, as if their rows had been
// deleted (the janitor purged a session, an operator removed a user).
type gone struct {
	Store
	sessions map[string]bool
	users    map[string]bool
}

func (g gone) Session(ctx context.Context, id string) (store.Session, error) {
	if g.sessions[id] {
		return store.Session{}, store.ErrNotFound
	}
	return g.Store.Session(ctx, id)
}

func (g gone) UserByID(ctx context.Context, id string) (store.User, error) {
	if g.users[id] {
		return store.User{}, store.ErrNotFound
	}
	return g.Store.UserByID(ctx, id)
}

// TestIdentityTokenNeedsItsSessionAndUser: a token of ours is only as good
// as the session and the user behind it. A token whose sid names no live
// session is revoked (the session row is gone: purged after a logout, or
// deleted); a session of another user is invalid_token; a user removed
// from the store is refused, by token and by cookie.
func TestIdentityTokenNeedsItsSessionAndUser(t *testing.T) {
	ctx := context.Background()
	id := newTestIdentity(t)
	alice, err := id.Login(ctx, "alice", "alice-pass")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := id.Login(ctx, "bob", "bob-pass")
	if err != nil {
		t.Fatal(err)
	}
	hide := gone{Store: id.st, sessions: map[string]bool{alice.SessionID: true}, users: map[string]bool{"bob": true}}
	g := New(Config{Store: hide, Issuer: id.issuer, Verifier: id.verifier})

	_, err = g.VerifyToken(ctx, alice.Token)
	wantCode(t, err, apierr.Revoked)
	_, err = g.VerifySession(ctx, alice.SessionID)
	wantCode(t, err, apierr.InvalidToken) // an unknown cookie value is just invalid

	_, err = g.VerifyToken(ctx, bob.Token)
	wantCode(t, err, apierr.Revoked)
	_, err = g.VerifySession(ctx, bob.SessionID)
	wantCode(t, err, apierr.Revoked)

	// Carol's token naming bob's session: signed with the server's key,
	// but the session is not hers.
	forged, _, err := id.issuer.Issue(auth.User{ID: "carol", Name: "Carol", SessionID: bob.SessionID})
	if err != nil {
		t.Fatal(err)
	}
	_, err = id.VerifyToken(ctx, forged)
	wantCode(t, err, apierr.InvalidToken)

	// A token without a session is minted elsewhere (a service with the
	// shared secret, for users this server may not store): no session or
	// user to check, only its jti revocation.
	bare, _, err := id.issuer.Issue(auth.User{ID: "svc-user", Name: "From elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.VerifyToken(ctx, bare); err != nil {
		t.Fatalf("sessionless token: %v", err)
	}
}

// countedRevocations counts the jti lookups.
type countedRevocations struct {
	auth.Revocations
	n int
}

func (c *countedRevocations) IsRevoked(ctx context.Context, jti string) (bool, error) {
	c.n++
	return c.Revocations.IsRevoked(ctx, jti)
}

// TestIdentityJTILookupOnlyWithoutSession: a token of a login is checked
// against its session and user, not its jti (a revoked jti always comes
// with its session revoked, so the lookup adds nothing and costs a query
// per connect), and it is refused once logged out; a token signed with
// the secret but without a session is looked up by jti, and refused
// revoked once its jti is.
func TestIdentityJTILookupOnlyWithoutSession(t *testing.T) {
	ctx := context.Background()
	var revs *countedRevocations
	id, st := newTestIdentityWith(t, func(r auth.Revocations) auth.Revocations {
		revs = &countedRevocations{Revocations: r}
		return revs
	})

	res, err := id.Login(ctx, "alice", "alice-pass")
	if err != nil {
		t.Fatal(err)
	}
	c, err := id.VerifyToken(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if revs.n != 0 {
		t.Errorf("%d jti lookups for a token with a session, want 0", revs.n)
	}
	if err := id.Revoke(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err = id.VerifyToken(ctx, res.Token)
	wantCode(t, err, apierr.Revoked)

	bare, bc, err := id.issuer.Issue(auth.User{ID: "bob", Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	revs.n = 0
	if _, err := id.VerifyToken(ctx, bare); err != nil {
		t.Fatal(err)
	}
	if revs.n != 1 {
		t.Errorf("%d jti lookups for a token without a session, want 1", revs.n)
	}
	if err := st.RevokeJTI(ctx, bc.ID, bc.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	_, err = id.VerifyToken(ctx, bare)
	wantCode(t, err, apierr.Revoked)
}
