package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Source is where a handshake credential was found.
type Source string

// The credential sources, in the order ExtractToken tries them.
const (
	SourceAuth   Source = "auth"   // CONNECT auth payload {"token": "..."}
	SourceHeader Source = "header" // Authorization: Bearer <token>
	SourceQuery  Source = "query"  // ?token=<token> (never log the URL unredacted)
	SourceCookie Source = "cookie" // session cookie; only with an allowed Origin
)

// Kind tells what a credential is.
type Kind int

// The credential kinds.
const (
	// KindJWT: a token for [Verifier.Verify].
	KindJWT Kind = iota
	// KindSession: a session id to look up in the session store.
	KindSession
)

// Kind returns what a credential from s is: a session id for the cookie,
// a JWT otherwise.
func (s Source) Kind() Kind {
	if s == SourceCookie {
		return KindSession
	}
	return KindJWT
}

// Sources is a set of enabled credential sources.
type Sources uint8

// AllSources enables every source.
const AllSources = sourceAuthBit | sourceHeaderBit | sourceQueryBit | sourceCookieBit

const (
	sourceAuthBit Sources = 1 << iota
	sourceHeaderBit
	sourceQueryBit
	sourceCookieBit
)

func (s Source) bit() Sources {
	switch s {
	case SourceAuth:
		return sourceAuthBit
	case SourceHeader:
		return sourceHeaderBit
	case SourceQuery:
		return sourceQueryBit
	case SourceCookie:
		return sourceCookieBit
	}
	return 0
}

// ParseSources returns the set of the named sources ("auth", "header",
// "query", "cookie"; case and surrounding space ignored, empty names
// skipped). No names at all means AllSources; an unknown name is an error.
func ParseSources(names []string) (Sources, error) {
	var set Sources
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		b := Source(n).bit()
		if b == 0 {
			return 0, fmt.Errorf("unknown auth source %q (want auth, header, query or cookie)", n)
		}
		set |= b
	}
	if set == 0 {
		return AllSources, nil
	}
	return set, nil
}

// Has reports whether src is enabled.
func (s Sources) Has(src Source) bool { b := src.bit(); return b != 0 && s&b != 0 }

// List returns the enabled sources in precedence order.
func (s Sources) List() []Source {
	var out []Source
	for _, src := range []Source{SourceAuth, SourceHeader, SourceQuery, SourceCookie} {
		if s.Has(src) {
			out = append(out, src)
		}
	}
	return out
}

// MaxAuthPayloadLen bounds the CONNECT auth payload in bytes; a larger one
// is ErrInvalidToken without being decoded.
const MaxAuthPayloadLen = 2 * MaxTokenLen

// maxSessionIDLen bounds a session cookie value.
const maxSessionIDLen = 256

// HandshakeInput is what a socket handshake offers for authentication.
type HandshakeInput struct {
	// Auth is the CONNECT packet's auth payload, {"token": "..."}; empty
	// or null when the client sent none.
	Auth json.RawMessage
	// Header is the handshake request's headers (Authorization: Bearer).
	Header http.Header
	// Query is the handshake URL's query (token).
	Query url.Values
	// Cookie is the session cookie's value; "" when absent.
	Cookie string
	// OriginAllowed reports whether the request carried an Origin on the
	// allowlist. The cookie is ignored without it (cross-site WebSocket
	// hijacking).
	OriginAllowed bool
}

// ExtractToken returns the first credential among the enabled sources, in
// the order auth payload, Authorization header, token query parameter,
// session cookie, with the source it came from; source.Kind() tells a
// session id from a JWT.
//
// An absent or empty credential moves on to the next source; none at all
// is ErrMissingToken. A malformed one is ErrInvalidToken with no fallback
// to later sources: an auth payload that is not a JSON object, larger than
// MaxAuthPayloadLen or with a repeated or non-string token; an
// Authorization header that is repeated or not Bearer; a repeated token
// parameter; any credential over MaxTokenLen bytes or with control
// characters or spaces.
func ExtractToken(sources Sources, in HandshakeInput) (token string, source Source, err error) {
	if sources.Has(SourceAuth) {
		tok, err := authPayloadToken(in.Auth)
		if err != nil {
			return "", SourceAuth, err
		}
		if tok != "" {
			return tok, SourceAuth, checkToken(tok, MaxTokenLen)
		}
	}
	if sources.Has(SourceHeader) {
		if vals := in.Header.Values("Authorization"); len(vals) > 0 {
			if len(vals) > 1 {
				return "", SourceHeader, invalid("repeated Authorization header")
			}
			scheme, tok, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
			if !strings.EqualFold(scheme, "Bearer") {
				return "", SourceHeader, invalid("Authorization scheme is not Bearer")
			}
			if tok = strings.TrimSpace(tok); tok != "" {
				return tok, SourceHeader, checkToken(tok, MaxTokenLen)
			}
		}
	}
	if sources.Has(SourceQuery) {
		if vals := in.Query["token"]; len(vals) > 0 {
			if len(vals) > 1 {
				return "", SourceQuery, invalid("repeated token parameter")
			}
			if vals[0] != "" {
				return vals[0], SourceQuery, checkToken(vals[0], MaxTokenLen)
			}
		}
	}
	if sources.Has(SourceCookie) && in.OriginAllowed && in.Cookie != "" {
		return in.Cookie, SourceCookie, checkToken(in.Cookie, maxSessionIDLen)
	}
	return "", "", ErrMissingToken
}

// checkToken refuses oversized credentials and ones with bytes outside
// printable ASCII.
func checkToken(tok string, max int) error {
	if len(tok) > max {
		return invalid("credential too long")
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return invalid("credential has non-printable bytes")
		}
	}
	return nil
}

// authPayloadToken reads the token of a CONNECT auth payload: "" with no
// error when there is no payload, it is null, it has no token member or
// the token is "". Anything else that is not an object whose token is a
// string is ErrInvalidToken. Duplicate token members are refused rather
// than resolved, since parsers disagree on which one wins.
func authPayloadToken(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if len(raw) > MaxAuthPayloadLen {
		return "", invalid("auth payload too large")
	}
	if raw[0] != '{' {
		return "", invalid("auth payload is not an object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return "", invalid("auth payload is not JSON")
	}
	var (
		token string
		seen  bool
	)
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", invalid("auth payload is not JSON")
		}
		key, _ := k.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return "", invalid("auth payload is not JSON")
		}
		if key != "token" {
			continue
		}
		if seen {
			return "", invalid("repeated token in auth payload")
		}
		seen = true
		if err := json.Unmarshal(val, &token); err != nil || val[0] != '"' {
			return "", invalid("token in auth payload is not a string")
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return "", invalid("auth payload is not JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", invalid("trailing data after auth payload")
	}
	return token, nil
}
