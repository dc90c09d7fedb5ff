package auth

import (
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what a verified token says about its holder. It is a value:
// copies are independent.
type Claims struct {
	// Subject is the user id (sub).
	Subject string
	// Name is the display name (name).
	Name string
	// Teams and Roles are the user's teams and roles (teams, roles).
	Teams []string
	Roles []string
	// SessionID is the server-side session the token belongs to (sid);
	// empty for tokens minted elsewhere.
	SessionID string
	// ID is the token id (jti); empty only for external tokens without one,
	// which then cannot be revoked individually.
	ID string
	// Issuer and Audience are iss and aud, when present.
	Issuer   string
	Audience []string
	// IssuedAt, NotBefore and ExpiresAt are iat, nbf and exp; the zero time
	// when absent (exp is never absent in a verified token).
	IssuedAt  time.Time
	NotBefore time.Time
	ExpiresAt time.Time
}

// HasRole reports whether the claims carry role.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// InTeam reports whether the claims list team.
func (c Claims) InTeam(team string) bool { return slices.Contains(c.Teams, team) }

// wireClaims is the JSON form of Claims. Decoding is strict about types:
// teams given as a string, say, fails and the token is invalid.
type wireClaims struct {
	jwt.RegisteredClaims
	Name      string   `json:"name,omitempty"`
	Teams     []string `json:"teams,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	SessionID string   `json:"sid,omitempty"`
}

func (w *wireClaims) claims() Claims {
	c := Claims{
		Subject:   w.Subject,
		Name:      w.Name,
		Teams:     w.Teams,
		Roles:     w.Roles,
		SessionID: w.SessionID,
		ID:        w.ID,
		Issuer:    w.Issuer,
		Audience:  []string(w.Audience),
	}
	if w.IssuedAt != nil {
		c.IssuedAt = w.IssuedAt.Time
	}
	if w.NotBefore != nil {
		c.NotBefore = w.NotBefore.Time
	}
	if w.ExpiresAt != nil {
		c.ExpiresAt = w.ExpiresAt.Time
	}
	return c
}
