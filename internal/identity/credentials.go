package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"rtserver/internal/apierr"
	"rtserver/internal/identity/auth"
)

// Source is a place the socket auth middleware reads a credential from.
type Source string

// The credential sources, in the order they are tried.
const (
	SourceAuth   Source = "auth"   // CONNECT auth payload {token}
	SourceHeader Source = "header" // Authorization: Bearer on the handshake request
	SourceQuery  Source = "query"  // ?token= on the handshake URL (never logged)
	SourceCookie Source = "cookie" // the session cookie, only with an allowed Origin
)

// AllSources returns every source in precedence order (the default of
// AUTH_SOURCES).
func AllSources() []Source { return []Source{SourceAuth, SourceHeader, SourceQuery, SourceCookie} }

// ValidSources reports whether every element of s is a known source.
func ValidSources(s []Source) bool {
	for _, src := range s {
		if !slices.Contains(AllSources(), src) {
			return false
		}
	}
	return true
}

// MaxTokenLen bounds a credential before any parsing: a longer one is
// invalid_token without reaching the JWT parser (CVE-2025-30204 pattern).
// It is the verifier's own bound, so there is one limit.
const MaxTokenLen = auth.MaxTokenLen

// ParseSources parses a comma-separated AUTH_SOURCES value; empty means all.
func ParseSources(v string) ([]Source, error) {
	named := make(map[Source]bool)
	for _, f := range strings.Split(v, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(AllSources(), Source(f)) {
			return nil, fmt.Errorf("unknown auth source %q (want auth, header, query, cookie)", f)
		}
		named[Source(f)] = true
	}
	if len(named) == 0 {
		return AllSources(), nil
	}
	// The result is in precedence order, whatever order v names them in.
	out := slices.DeleteFunc(AllSources(), func(s Source) bool { return !named[s] })
	return out, nil
}

// Credentials finds a handshake's credential among enabled sources.
// It is immutable after NewCredentials and safe for concurrent use.
type Credentials struct {
	enabled       map[Source]bool
	originAllowed func(*http.Request) bool
	cookieName    string
}

// NewCredentials returns the lookup for the given sources (nil: all). The
// cookie is read only when originAllowed reports that r carries an allowed
// Origin (cross-site WebSocket hijacking); a nil originAllowed never reads
// the cookie.
func NewCredentials(sources []Source, originAllowed func(*http.Request) bool, cookieName string) *Credentials {
	if len(sources) == 0 {
		sources = AllSources()
	}
	c := &Credentials{enabled: make(map[Source]bool), originAllowed: originAllowed, cookieName: cookieName}
	for _, s := range sources {
		c.enabled[s] = true
	}
	return c
}

// Find returns the first credential present, in the order auth payload,
// Authorization header, token query parameter, session cookie; only enabled
// sources are read. A present but malformed one (auth payload not an
// object, token not a string, a non-Bearer Authorization, an empty or
// repeated token parameter) is invalid_token: there is no fallback to a
// later source. An empty credential with no code means none was sent.
func (c *Credentials) Find(auth json.RawMessage, r *http.Request) (string, Source, apierr.Code) {
	if c.enabled[SourceAuth] {
		tok, present, ok := AuthPayloadToken(auth)
		if !ok {
			return "", SourceAuth, apierr.InvalidToken
		}
		if present {
			return tok, SourceAuth, ""
		}
	}
	if c.enabled[SourceHeader] {
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := BearerToken(h)
			if !ok {
				return "", SourceHeader, apierr.InvalidToken
			}
			return tok, SourceHeader, ""
		}
	}
	if c.enabled[SourceQuery] && r.URL != nil {
		if vals, ok := r.URL.Query()["token"]; ok {
			if len(vals) != 1 || vals[0] == "" {
				return "", SourceQuery, apierr.InvalidToken
			}
			return vals[0], SourceQuery, ""
		}
	}
	if c.enabled[SourceCookie] && c.originAllowed != nil && c.originAllowed(r) {
		if ck, err := r.Cookie(c.cookieName); err == nil && ck.Value != "" {
			return ck.Value, SourceCookie, ""
		}
	}
	return "", "", ""
}

// AuthPayloadToken reads {token} from a CONNECT auth payload. present is
// false when there is no payload, it is null, or it has no token key; ok
// is false when the payload is not an object or token is not a non-empty
// string.
func AuthPayloadToken(raw json.RawMessage) (token string, present, ok bool) {
	if token, ok := plainTokenPayload(raw); ok {
		return token, true, true
	}
	return authPayloadTokenJSON(raw)
}

// plainTokenPayload reads the payload every client sends,
// {"token":"<JWS>"} exactly (JSON.stringify of {token}), without a JSON
// decoder, which spent about 10 µs of a connect scanning the token twice.
// ok is false for any other payload (whitespace, other keys, escapes, any
// byte outside base64url and '.'), which authPayloadTokenJSON then reads:
// where ok is true, both give the same token.
func plainTokenPayload(raw []byte) (string, bool) {
	const prefix, suffix = `{"token":"`, `"}`
	if len(raw) <= len(prefix)+len(suffix) || len(raw) > 2*MaxTokenLen ||
		!bytes.HasPrefix(raw, []byte(prefix)) || !bytes.HasSuffix(raw, []byte(suffix)) {
		return "", false
	}
	tok := raw[len(prefix) : len(raw)-len(suffix)]
	for _, c := range tok {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", false
		}
	}
	return string(tok), true
}

// authPayloadTokenJSON is AuthPayloadToken for any payload.
func authPayloadTokenJSON(raw json.RawMessage) (token string, present, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false, true
	}
	if len(raw) > 2*MaxTokenLen || raw[0] != '{' {
		return "", false, false
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", false, false
	}
	t, has := p["token"]
	if !has {
		return "", false, true
	}
	if err := json.Unmarshal(t, &token); err != nil || token == "" {
		return "", true, false
	}
	return token, true, true
}

// Verify checks a credential from src and maps any failure onto the
// catalogue; "" means success. Oversized credentials are refused before
// parsing. Unexpected errors are logged (never the credential) and become
// Internal.
func Verify(ctx context.Context, log *slog.Logger, v Verifier, cred string, src Source) (Claims, apierr.Code) {
	if len(cred) > MaxTokenLen {
		return Claims{}, apierr.InvalidToken
	}
	var (
		c   Claims
		err error
	)
	if src == SourceCookie {
		c, err = v.VerifySession(ctx, cred)
	} else {
		c, err = v.VerifyToken(ctx, cred)
	}
	if err == nil {
		return c, ""
	}
	switch code := apierr.CodeOf(err); code {
	case apierr.MissingToken, apierr.InvalidToken, apierr.TokenExpired, apierr.Revoked:
		return Claims{}, code
	}
	if log != nil {
		log.ErrorContext(ctx, "verify credential", "source", string(src), "err", err)
	}
	return Claims{}, apierr.Internal
}
