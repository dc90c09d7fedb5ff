package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"rtserver/handlers/apierr"
	"rtserver/middleware"
)

// fakeVerifier accepts "good" tokens and session "s1"; other fixed values
// give each error code.
type fakeVerifier struct{}

func (fakeVerifier) VerifyToken(_ context.Context, t string) (middleware.Claims, error) {
	switch t {
	case "good":
		return middleware.Claims{UserID: "u1", TokenID: "j1"}, nil
	case "expired":
		return middleware.Claims{}, apierr.New(apierr.TokenExpired)
	case "revoked":
		return middleware.Claims{}, apierr.New(apierr.Revoked)
	case "boom":
		return middleware.Claims{}, errors.New("database is locked")
	}
	return middleware.Claims{}, apierr.New(apierr.InvalidToken)
}

func (fakeVerifier) VerifySession(_ context.Context, id string) (middleware.Claims, error) {
	if id == "s1" {
		return middleware.Claims{UserID: "u1", SessionID: "s1"}, nil
	}
	return middleware.Claims{}, apierr.New(apierr.Revoked)
}

func TestFind(t *testing.T) {
	origins := middleware.NewOrigins([]string{"https://app.example.com"})
	tests := []struct {
		name    string
		sources string
		auth    string
		url     string
		hdr     map[string]string
		want    string
		src     middleware.Source
		code    apierr.Code
	}{
		{name: "nothing", url: "/"},
		{name: "auth payload", auth: `{"token":"a"}`, want: "a", src: middleware.SourceAuth},
		{name: "auth payload null", auth: `null`, url: "/?token=q", want: "q", src: middleware.SourceQuery},
		{name: "auth without token", auth: `{"x":1}`, hdr: map[string]string{"Authorization": "Bearer h"}, want: "h", src: middleware.SourceHeader},
		{name: "auth token number", auth: `{"token":42}`, code: apierr.InvalidToken, src: middleware.SourceAuth},
		{name: "auth token empty", auth: `{"token":""}`, code: apierr.InvalidToken, src: middleware.SourceAuth},
		{name: "auth array", auth: `["a"]`, code: apierr.InvalidToken, src: middleware.SourceAuth},
		{name: "auth string", auth: `"a"`, code: apierr.InvalidToken, src: middleware.SourceAuth},
		{name: "auth broken", auth: `{"token":`, code: apierr.InvalidToken, src: middleware.SourceAuth},
		{name: "auth wins over query", auth: `{"token":"a"}`, url: "/?token=q", want: "a", src: middleware.SourceAuth},
		{name: "header", hdr: map[string]string{"Authorization": "bearer h"}, want: "h", src: middleware.SourceHeader},
		{name: "header basic", hdr: map[string]string{"Authorization": "Basic xx"}, code: apierr.InvalidToken, src: middleware.SourceHeader},
		{name: "query", url: "/?EIO=4&token=q", want: "q", src: middleware.SourceQuery},
		{name: "query twice", url: "/?token=a&token=b", code: apierr.InvalidToken, src: middleware.SourceQuery},
		{name: "query empty", url: "/?token=", code: apierr.InvalidToken, src: middleware.SourceQuery},
		{name: "cookie allowed origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://app.example.com"}, want: "c", src: middleware.SourceCookie},
		{name: "cookie same origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "http://example.com"}, want: "c", src: middleware.SourceCookie},
		{name: "cookie without origin", hdr: map[string]string{"Cookie": "session=c"}},
		{name: "cookie foreign origin", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://evil.example"}},
		{name: "disabled auth source", sources: "header,query", auth: `{"token":"a"}`, url: "/?token=q", want: "q", src: middleware.SourceQuery},
		{name: "disabled query", sources: "auth", url: "/?token=q"},
		{name: "disabled cookie", sources: "auth,header,query", hdr: map[string]string{"Cookie": "session=c", "Origin": "https://app.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources, err := middleware.ParseSources(tt.sources)
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
			got, src, code := middleware.NewCredentials(sources, origins, "session").Find(json.RawMessage(tt.auth), r)
			if got != tt.want || src != tt.src || code != tt.code {
				t.Errorf("Find = %q, %q, %q; want %q, %q, %q", got, src, code, tt.want, tt.src, tt.code)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	if _, err := middleware.ParseSources("auth,cookies"); err == nil {
		t.Error("unknown source accepted")
	}
	s, err := middleware.ParseSources(" Auth , query ")
	if err != nil || len(s) != 2 || s[0] != middleware.SourceAuth || s[1] != middleware.SourceQuery {
		t.Errorf("ParseSources = %v, %v", s, err)
	}
	if s, _ := middleware.ParseSources(""); len(s) != 4 {
		t.Errorf("empty = %v", s)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		cred string
		src  middleware.Source
		code apierr.Code
	}{
		{"good", middleware.SourceAuth, ""},
		{"expired", middleware.SourceQuery, apierr.TokenExpired},
		{"revoked", middleware.SourceHeader, apierr.Revoked},
		{"tampered", middleware.SourceAuth, apierr.InvalidToken},
		{"boom", middleware.SourceAuth, apierr.Internal},
		{strings.Repeat("a.", 50_000), middleware.SourceAuth, apierr.InvalidToken},
		{"s1", middleware.SourceCookie, ""},
		{"gone", middleware.SourceCookie, apierr.Revoked},
	}
	for _, tt := range tests {
		c, code := middleware.Verify(context.Background(), nil, fakeVerifier{}, tt.cred, tt.src)
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
		tok, present, ok := middleware.AuthPayloadToken(raw)
		if tok != "" && (!present || !ok) {
			t.Fatalf("token %q with present=%v ok=%v", tok, present, ok)
		}
		if ok && present && tok == "" {
			t.Fatal("empty token accepted")
		}
	})
}
