package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/internal/auth"
)

// FuzzExtractToken feeds arbitrary CONNECT auth payloads: no panic, a
// result is either a bounded printable token or one of the sentinels.
func FuzzExtractToken(f *testing.F) {
	for _, s := range []string{
		``, `null`, `{}`, `{"token":"a.b.c"}`, `{"token":""}`, `{"token":null}`, `{"token":1}`,
		`{"token":"a","token":"b"}`, `[]`, `"x"`, `{"a":{"b":[{"c":"d"}]},"token":"t"}`,
		`{"token":"\u0000"}`, `{"token":"a"} x`, `{`, `{"token":"\ud800"}`, `[[[[[[[[[[`,
	} {
		f.Add([]byte(s), "Bearer x.y.z", "q.r.s")
	}
	f.Fuzz(func(t *testing.T, payload []byte, header, query string) {
		in := auth.HandshakeInput{
			Auth:          json.RawMessage(payload),
			Header:        http.Header{"Authorization": {header}},
			Query:         url.Values{"token": {query}},
			Cookie:        "sid",
			OriginAllowed: true,
		}
		tok, src, err := auth.ExtractToken(auth.AllSources, in)
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrMissingToken) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if tok == "" || len(tok) > auth.MaxTokenLen || src == "" {
			t.Fatalf("token %q from %q", tok, src)
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] <= ' ' || tok[i] >= 0x7f {
				t.Fatalf("token %q has byte %#x", tok, tok[i])
			}
		}
	})
}

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
