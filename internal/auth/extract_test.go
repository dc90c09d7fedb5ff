package auth_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rtserver/internal/auth"
)

func TestParseSources(t *testing.T) {
	t.Parallel()
	all, err := auth.ParseSources(nil)
	if err != nil || all != auth.AllSources {
		t.Fatalf("nil: %v %v", all, err)
	}
	s, err := auth.ParseSources([]string{" Header", "cookie", ""})
	if err != nil || !s.Has(auth.SourceHeader) || !s.Has(auth.SourceCookie) || s.Has(auth.SourceAuth) || s.Has(auth.SourceQuery) {
		t.Fatalf("header,cookie: %v %v", s.List(), err)
	}
	if got := s.List(); len(got) != 2 || got[0] != auth.SourceHeader || got[1] != auth.SourceCookie {
		t.Fatalf("List = %v", got)
	}
	if _, err := auth.ParseSources([]string{"auth", "body"}); err == nil {
		t.Fatal("unknown source accepted")
	}
	if auth.SourceCookie.Kind() != auth.KindSession || auth.SourceQuery.Kind() != auth.KindJWT {
		t.Fatal("kinds")
	}
}

func TestExtractToken(t *testing.T) {
	t.Parallel()
	hdr := func(vals ...string) http.Header { return http.Header{"Authorization": vals} }
	q := func(vals ...string) url.Values { return url.Values{"token": vals} }
	long := strings.Repeat("a", auth.MaxTokenLen+1)
	all := auth.AllSources
	only := func(names ...string) auth.Sources {
		s, err := auth.ParseSources(names)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name    string
		sources auth.Sources
		in      auth.HandshakeInput
		token   string
		source  auth.Source
		err     error
	}{
		{"nothing", all, auth.HandshakeInput{}, "", "", auth.ErrMissingToken},
		{"auth payload", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"a.b.c"}`)}, "a.b.c", auth.SourceAuth, nil},
		{"auth payload other keys", all, auth.HandshakeInput{Auth: json.RawMessage(` {"x":[1,{"y":2}],"token":"a.b.c","z":null} `)}, "a.b.c", auth.SourceAuth, nil},
		{"auth beats header, query, cookie", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"A"}`), Header: hdr("Bearer H"), Query: q("Q"), Cookie: "C", OriginAllowed: true}, "A", auth.SourceAuth, nil},
		{"header beats query", all, auth.HandshakeInput{Header: hdr("Bearer H"), Query: q("Q")}, "H", auth.SourceHeader, nil},
		{"bearer any case", all, auth.HandshakeInput{Header: hdr("bEaReR  H ")}, "H", auth.SourceHeader, nil},
		{"query beats cookie", all, auth.HandshakeInput{Query: q("Q"), Cookie: "C", OriginAllowed: true}, "Q", auth.SourceQuery, nil},
		{"cookie", all, auth.HandshakeInput{Cookie: "C", OriginAllowed: true}, "C", auth.SourceCookie, nil},
		{"cookie from a foreign origin", all, auth.HandshakeInput{Cookie: "C"}, "", "", auth.ErrMissingToken},
		{"disabled auth source skipped", only("header"), auth.HandshakeInput{Auth: json.RawMessage(`{"token":"A"}`), Header: hdr("Bearer H")}, "H", auth.SourceHeader, nil},
		{"disabled malformed source not read", only("query"), auth.HandshakeInput{Auth: json.RawMessage(`[1]`), Header: hdr("Basic x"), Query: q("Q")}, "Q", auth.SourceQuery, nil},
		{"only cookie enabled", only("cookie"), auth.HandshakeInput{Auth: json.RawMessage(`{"token":"A"}`), Query: q("Q")}, "", "", auth.ErrMissingToken},
		{"null payload moves on", all, auth.HandshakeInput{Auth: json.RawMessage(`null`), Query: q("Q")}, "Q", auth.SourceQuery, nil},
		{"no token key moves on", all, auth.HandshakeInput{Auth: json.RawMessage(`{}`), Query: q("Q")}, "Q", auth.SourceQuery, nil},
		{"empty token moves on", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":""}`), Query: q("Q")}, "Q", auth.SourceQuery, nil},
		{"empty query moves on", all, auth.HandshakeInput{Query: q("")}, "", "", auth.ErrMissingToken},
		{"empty bearer moves on", all, auth.HandshakeInput{Header: hdr("Bearer ")}, "", "", auth.ErrMissingToken},

		{"payload array", all, auth.HandshakeInput{Auth: json.RawMessage(`["a.b.c"]`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"payload string", all, auth.HandshakeInput{Auth: json.RawMessage(`"a.b.c"`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"payload number", all, auth.HandshakeInput{Auth: json.RawMessage(`42`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"payload broken", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"a"`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"payload trailing", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"a"} {}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token number", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":42}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token null", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":null}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token object", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":{"toString":"x"}}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token repeated", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"a","token":"b"}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"payload oversized", all, auth.HandshakeInput{Auth: json.RawMessage(`{"pad":"` + strings.Repeat("x", auth.MaxAuthPayloadLen) + `"}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token oversized", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"` + long + `"}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"token control char", all, auth.HandshakeInput{Auth: json.RawMessage(`{"token":"a\nb"}`)}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"malformed payload, no fallback", all, auth.HandshakeInput{Auth: json.RawMessage(`[]`), Header: hdr("Bearer H")}, "", auth.SourceAuth, auth.ErrInvalidToken},
		{"basic scheme", all, auth.HandshakeInput{Header: hdr("Basic YWxpY2U6cHc=")}, "", auth.SourceHeader, auth.ErrInvalidToken},
		{"scheme only moves on", all, auth.HandshakeInput{Header: hdr("Bearer")}, "", "", auth.ErrMissingToken},
		{"two Authorization headers", all, auth.HandshakeInput{Header: hdr("Bearer a", "Bearer b")}, "", auth.SourceHeader, auth.ErrInvalidToken},
		{"header oversized", all, auth.HandshakeInput{Header: hdr("Bearer " + long)}, "", auth.SourceHeader, auth.ErrInvalidToken},
		{"two token params", all, auth.HandshakeInput{Query: q("a", "b")}, "", auth.SourceQuery, auth.ErrInvalidToken},
		{"query oversized", all, auth.HandshakeInput{Query: q(long)}, "", auth.SourceQuery, auth.ErrInvalidToken},
		{"cookie oversized", all, auth.HandshakeInput{Cookie: long, OriginAllowed: true}, "", auth.SourceCookie, auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, src, err := auth.ExtractToken(tt.sources, tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err = %v; want %v", err, tt.err)
			}
			if src != tt.source {
				t.Fatalf("source = %q; want %q", src, tt.source)
			}
			if err == nil && tok != tt.token {
				t.Fatalf("token = %q; want %q", tok, tt.token)
			}
		})
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("alice-pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$10$") {
		t.Fatalf("hash %q: want bcrypt cost 10", h)
	}
	if err := auth.CheckPassword(h, "alice-pass"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]string{
		"wrong password": {h, "alice-pasS"},
		"unknown user":   {"", "alice-pass"},
		"malformed hash": {"plaintext", "plaintext"},
		"dummy hash":     {auth.DummyHash(), ""},
	} {
		if err := auth.CheckPassword(c[0], c[1]); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := auth.HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Error("73-byte password hashed")
	}
	if _, err := auth.HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
}

// TestCheckPasswordTiming checks that an unknown user costs a bcrypt
// comparison like a wrong password does (not a fast path).
func TestCheckPasswordTiming(t *testing.T) {
	h, err := auth.HashPassword("bob-pass")
	if err != nil {
		t.Fatal(err)
	}
	measure := func(hash string) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 2 {
			start := time.Now()
			_ = auth.CheckPassword(hash, "guess")
			best = min(best, time.Since(start))
		}
		return best
	}
	wrong, unknown := measure(h), measure("")
	if unknown < wrong/4 || wrong < unknown/4 { // a fast path would be ~1000x faster
		t.Fatalf("wrong password %v, unknown user %v: want similar", wrong, unknown)
	}
}
