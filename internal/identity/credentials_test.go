package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
)

// fakeVerifier accepts "good" tokens and session "s1"; other fixed values
// give each error code.
type fakeVerifier struct{}

func (fakeVerifier) VerifyToken(_ context.Context, t string) (identity.Claims, error) {
	switch t {
	case "good":
		return identity.Claims{UserID: "u1", TokenID: "j1"}, nil
	case "expired":
		return identity.Claims{}, apierr.New(apierr.TokenExpired)
	case "revoked":
		return identity.Claims{}, apierr.New(apierr.Revoked)
	case "boom":
		return identity.Claims{}, errors.New("database is locked")
	}
	return identity.Claims{}, apierr.New(apierr.InvalidToken)
}

func (fakeVerifier) VerifySession(_ context.Context, id string) (identity.Claims, error) {
	if id == "s1" {
		return identity.Claims{UserID: "u1", SessionID: "s1"}, nil
	}
	return identity.Claims{}, apierr.New(apierr.Revoked)
}

func TestFind(t *testing.T) {
	origins := middleware.NewOrigins([]string{"https://app.example.com"}).HasAllowedOrigin
	tests := []struct {
		name    string
		sources string
		auth    string
		url     string
		hdr     map[string]string
		want    string
		src     identity.Source
		code    apierr.Code
	}{
		{name: "nothing", url: "/"},
		{name: "auth payload", auth: `{"token":"a"}`, want: "a", src: identity.SourceAuth},
		{name: "auth payload null", auth: `null`, url: "/?token=q", want: "q", src: identity.SourceQuery},
		{name: "auth without token", auth: `{"x":1}`, hdr: map[string]string{"Authorization": "Bearer h"}, want: "h", src: identity.SourceHeader},
		{name: "auth token number", auth: `{"token":42}`, code: apierr.InvalidToken, src: identity.SourceAuth},
		{name: "auth token empty", auth: `{"token":""}`, code: apierr.InvalidToken, src: identity.SourceAuth},
		{name: "auth array", auth: `["a"]`, code: apierr.InvalidToken, src: identity.SourceAuth},
		{name: "auth string", auth: `"a"`, code: apierr.InvalidToken, src: identity.SourceAuth},
		{name: "auth broken", auth: `{"token":`, code: apierr.InvalidToken, src: identity.SourceAuth},
		{name: "auth wins over query", auth: `{"token":"a"}`, url: "/?token=q", want: "a", src: identity.SourceAuth},
		{name: "header", hdr: map[string]string{"Authorization": "bearer h"}, want: "h", src: identity.SourceHeader},
		{name: "header basic", hdr: map[string]string{"Authorization": "Basic xx"}, code: apierr.InvalidToken, src: identity.SourceHeader},
		{name: "query", url: "/?EIO=4&token=q", want: "q", src: identity.SourceQuery},
		{name: "query twice", url: "/?token=a&token=b", code: apierr.InvalidToken, src: identity.SourceQuery},
		{name: "query empty", url: "/?token=", code: apierr.InvalidToken, src: identity.SourceQuery},
		{name: "cookie allowed origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://app.example.com"}, want: "c", src: identity.SourceCookie},
		{name: "cookie same origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "http://example.com"}, want: "c", src: identity.SourceCookie},
		{name: "cookie without origin", hdr: map[string]string{"Cookie": "session=c"}},
		{name: "cookie foreign origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://evil.example"}},
		{name: "disabled auth source", sources: "header,query", auth: `{"token":"a"}`, url: "/?token=q", want: "q", src: identity.SourceQuery},
		{name: "disabled query", sources: "auth", url: "/?token=q"},
		{name: "disabled cookie", sources: "auth,header,query", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://app.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources, err := identity.ParseSources(tt.sources)
			if err != nil {
				t.Fatal(err)
			}
			if tt.url == "" {
				tt.url = "/"
			}
			r := httptest.NewRequest(http.MethodGet, "http://example.com"+tt.url, nil)
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			got, src, code := identity.NewCredentials(sources, origins, "session").Find(json.RawMessage(tt.auth), r)
			if got != tt.want || src != tt.src || code != tt.code {
				t.Errorf("Find = %q, %q, %q; want %q, %q, %q", got, src, code, tt.want, tt.src, tt.code)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	if _, err := identity.ParseSources("auth,cookies"); err == nil {
		t.Error("unknown source accepted")
	}
	s, err := identity.ParseSources(" Auth , query ")
	if err != nil || len(s) != 2 || s[0] != identity.SourceAuth || s[1] != identity.SourceQuery {
		t.Errorf("ParseSources = %v, %v", s, err)
	}
	if s, _ := identity.ParseSources(""); len(s) != 4 {
		t.Errorf("empty = %v", s)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		cred string
		src  identity.Source
		code apierr.Code
	}{
		{"good", identity.SourceAuth, ""},
		{"expired", identity.SourceQuery, apierr.TokenExpired},
		{"revoked", identity.SourceHeader, apierr.Revoked},
		{"tampered", identity.SourceAuth, apierr.InvalidToken},
		{"boom", identity.SourceAuth, apierr.Internal},
		{strings.Repeat("a.", 50_000), identity.SourceAuth, apierr.InvalidToken},
		{"s1", identity.SourceCookie, ""},
		{"gone", identity.SourceCookie, apierr.Revoked},
	}
	for _, tt := range tests {
		c, code := identity.Verify(context.Background(), nil, fakeVerifier{}, tt.cred, tt.src)
		if code != tt.code {
			t.Errorf("Verify(%.10q) code %q, want %q", tt.cred, code, tt.code)
		}
		if code == "" && c.UserID != "u1" {
			t.Errorf("claims %+v", c)
		}
	}
}

func FuzzAuthPayloadToken(f *testing.F) {
	for _, s := range []string{``, `null`, `{"token":"abc"}`, `{"token":1}`, `[`, `{"token":"a","x":[[[[]]]]}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tok, present, ok := identity.AuthPayloadToken(raw)
		if tok != "" && (!present || !ok) {
			t.Fatalf("token %q with present=%v ok=%v", tok, present, ok)
		}
		if ok && present && tok == "" {
			t.Fatal("empty token accepted")
		}
	})
}
