package identity

import (
	"context"
	"slices"
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
