package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/internal/identity/auth"
)

// FuzzVerify feeds arbitrary tokens to the verifier: no panic, and every
// error is one of the sentinels. A random input verifying would mean a
// forged signature, so success fails the test too.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, nil)
	// HMAC signing of a fixed claim set is deterministic, so every fuzz
	// worker process computes the same valid seed.
	own := sign(f, jwt.SigningMethodHS256, secret, good(), nil)
	for _, s := range []string{"", ".", "..", "a.b.c", own, tamper(own), own + ".", "eyJhbGciOiJub25lIn0.e30.", "e30.e30.e30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.verifier.Verify(context.Background(), token)
		if token == own {
			return
		}
		if err == nil {
			t.Fatalf("forged token accepted: %q → %+v", token, c)
		}
		if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrMissingToken) &&
			!errors.Is(err, auth.ErrTokenExpired) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
