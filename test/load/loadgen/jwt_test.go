package main

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtserver/internal/identity/auth"
)

// TestMintTokenVerifies checks a minted token with the product's own verifier: what
// cmd/server does with the token of a load client before the revocation lookup.
func TestMintTokenVerifies(t *testing.T) {
	secret, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 48 {
		t.Fatalf("secret of %d characters, want 48", len(secret))
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := mintToken([]byte(secret), 42, "run-42", now, time.Hour)
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Subject != "load-u42" || c.Name != "U42" || c.ID != "run-42" || !slices.Equal(c.Roles, []string{"user"}) {
		t.Errorf("claims %+v", c)
	}
	if c.SessionID != "" || c.External {
		t.Errorf("SessionID %q, External %v: want a shared-secret token without a session", c.SessionID, c.External)
	}
	if got, want := c.ExpiresAt.Unix(), now.Add(time.Hour).Unix(); got != want {
		t.Errorf("exp %d, want %d", got, want)
	}
	if got := c.IssuedAt.Unix(); got != now.Unix() {
		t.Errorf("iat %d, want %d", got, now.Unix())
	}

	// another secret, an expired token and a tampered payload are refused
	other, _ := newSecret()
	if _, err := v.Verify(context.Background(), mintToken([]byte(other), 1, "x", now, time.Hour)); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("other secret: %v, want ErrInvalidToken", err)
	}
	if _, err := v.Verify(context.Background(), mintToken([]byte(secret), 1, "x", now.Add(-2*time.Hour), time.Hour)); !errors.Is(err, auth.ErrTokenExpired) {
		t.Errorf("expired: %v, want ErrTokenExpired", err)
	}
	// client 42's signature on client 43's payload
	forged := strings.Split(mintToken([]byte(secret), 43, "run-43", now, time.Hour), ".")
	forged[2] = strings.Split(tok, ".")[2]
	if _, err := v.Verify(context.Background(), strings.Join(forged, ".")); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("payload swapped: %v, want ErrInvalidToken", err)
	}
}

// TestMintTokenUnique: every client gets its own user and jti.
func TestMintTokenUnique(t *testing.T) {
	seen := map[string]bool{}
	now := time.Now()
	for i := range 100 {
		tok := mintToken([]byte(strings.Repeat("s", 48)), i, "r-"+strconv.Itoa(i), now, time.Hour)
		if seen[tok] {
			t.Fatalf("token %d repeats", i)
		}
		seen[tok] = true
	}
}
