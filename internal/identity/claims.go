package identity

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Claims is who a connection or request acts for, as established by a
// verified bearer token or a live session cookie. It is a value: copies are
// independent and it is safe to share read-only.
type Claims struct {
	UserID string
	Name   string
	Teams  []string
	Roles  []string
	// TokenID is the token's jti; empty when the session cookie was used.
	TokenID string
	// SessionID is the server-side session the credential belongs to; empty
	// for a token minted elsewhere without one.
	SessionID string
	// IssuedAt is when the credential was issued (zero: unknown).
	IssuedAt time.Time
	// Expires is when the credential stops being valid (zero: never known).
	Expires time.Time
}

// Owner names who the claims act for, to bind server state to them (a
// connection state recovery session): the user and, when there is one, the
// server session. Every credential of one login (a refreshed token, the
// session cookie) has the same owner; another user, or another login of the
// same user, has another. The session id is itself a credential (the cookie
// value), so only its SHA-256 is part of the result, which can be kept and
// compared but not used to sign in. "" when UserID is empty: nobody.
func (c Claims) Owner() string {
	if c.UserID == "" {
		return ""
	}
	// The length prefix keeps "user + session" unambiguous whatever bytes
	// the user id holds.
	owner := strconv.Itoa(len(c.UserID)) + ":" + c.UserID
	if c.SessionID == "" {
		return owner
	}
	h := sha256.Sum256([]byte(c.SessionID))
	return owner + ":" + base64.RawURLEncoding.EncodeToString(h[:])
}

// HasRole reports whether the claims carry role.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// Verifier checks credentials. Errors carry an apierr code (MissingToken,
// InvalidToken, TokenExpired, Revoked); any other error is treated as
// internal and logged, never shown.
type Verifier interface {
	// VerifyToken checks a bearer token (signature with a pinned algorithm,
	// exp required, iss, aud, revocation) and returns its claims.
	VerifyToken(ctx context.Context, token string) (Claims, error)
	// VerifySession checks a session cookie value against the session store.
	VerifySession(ctx context.Context, sessionID string) (Claims, error)
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header value (scheme case-insensitive).
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
