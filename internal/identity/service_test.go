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
	ver, err := auth.NewVerifier(auth.VerifierConfig{Secret: secret, Revocations: st})
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Store: st, Issuer: iss, Verifier: ver})
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
