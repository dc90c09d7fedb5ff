package auth_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"rtserver/internal/identity/auth"
)

// TestSecurityHugeTokensRejectedBeforeParsing: a token over MaxTokenLen
// (even one correctly signed) and one made of 100k dots are refused as
// invalid_token before any base64 or JSON decoding: refusing them allocates well
// under 1 KiB, not buffers the size of the token.
// It is not parallel, so other tests do not add to the bytes it counts.
func TestSecurityHugeTokensRejectedBeforeParsing(t *testing.T) {
	f := newFixture(t, nil)
	signed := sign(t, jwt.SigningMethodHS256, secret, with(good(), "name", strings.Repeat("x", auth.MaxTokenLen)), nil)
	tests := map[string]string{
		"over 8 KB, well signed": signed,
		"8 KB + 1 of letters":    strings.Repeat("a", auth.MaxTokenLen+1),
		"100k dots":              strings.Repeat(".", 100_000),
		"a.b.c.d… 50k segments":  strings.Repeat("a.", 50_000),
		"8 KB with four dots":    strings.Repeat("a", auth.MaxTokenLen-4) + "....",
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := f.verifier.Verify(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
			if n := bytesPerVerify(f.verifier, tok); n > 1024 {
				t.Fatalf("%d bytes allocated to refuse a %d-byte token: it was decoded", n, len(tok))
			}
		})
	}
	// A normal token takes the full path (the bound above is meaningful).
	own, _, _ := f.issuer.Issue(auth.User{ID: "alice"})
	if n := bytesPerVerify(f.verifier, own); n <= 1024 {
		t.Fatalf("a valid token verified with %d bytes allocated: the bound proves nothing", n)
	}
}

// bytesPerVerify returns the bytes Verify allocates for tok, averaged.
func bytesPerVerify(v *auth.Verifier, tok string) uint64 {
	const runs = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		_, _ = v.Verify(context.Background(), tok)
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}
