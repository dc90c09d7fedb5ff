package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User is who a token is issued for.
type User struct {
	ID    string
	Name  string
	Teams []string
	Roles []string
	// SessionID, when set, is written as the sid claim so that revoking
	// the session can end the token's sockets.
	SessionID string
	// NotAfter, when set, caps the token's exp (a token never outlives
	// the session it belongs to).
	NotAfter time.Time
}

// Issuer mints HS256 tokens. It is immutable and safe for concurrent use.
type Issuer struct {
	secret   []byte
	kid      string
	ttl      time.Duration
	issuer   string
	audience string
	now      func() time.Time
}

// NewIssuer returns an Issuer signing with secret (at least
// [MinSecretLen] bytes; copied) for tokens valid for ttl (> 0). issuer and
// audience, when not empty, become the iss and aud claims. now is the
// clock; nil means time.Now.
func NewIssuer(secret []byte, ttl time.Duration, issuer, audience string, now func() time.Time) (*Issuer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: secret of %d bytes; want at least %d", len(secret), MinSecretLen)
	}
	if ttl <= 0 {
		return nil, errors.New("auth: token TTL must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{
		secret:   slices.Clone(secret),
		kid:      secretKeyID(secret),
		ttl:      ttl,
		issuer:   issuer,
		audience: audience,
		now:      now,
	}, nil
}

// TTL returns how long issued tokens are valid.
func (i *Issuer) TTL() time.Duration { return i.ttl }

// Issue mints a token for u with a fresh random jti, iat now and exp
// now+TTL (whole seconds, as JWT encodes them). It returns the token and
// the claims it carries.
func (i *Issuer) Issue(u User) (token string, claims Claims, err error) {
	if u.ID == "" {
		return "", Claims{}, errors.New("auth: issue: empty user id")
	}
	jti, err := randomID()
	if err != nil {
		return "", Claims{}, err
	}
	now := i.now()
	w := &wireClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   u.ID,
			ID:        jti,
			Issuer:    i.issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expiry(now, i.ttl, u.NotAfter)),
		},
		Name:      u.Name,
		Teams:     slices.Clone(u.Teams),
		Roles:     slices.Clone(u.Roles),
		SessionID: u.SessionID,
	}
	if i.audience != "" {
		w.Audience = jwt.ClaimStrings{i.audience}
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, w)
	t.Header["kid"] = i.kid
	token, err = t.SignedString(i.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: sign: %w", err)
	}
	return token, w.claims(), nil
}

// randomID returns 16 random bytes, base64url encoded.
func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// expiry is now+ttl, or notAfter when that is earlier.
func expiry(now time.Time, ttl time.Duration, notAfter time.Time) time.Time {
	exp := now.Add(ttl)
	if !notAfter.IsZero() && notAfter.Before(exp) {
		return notAfter
	}
	return exp
}
