package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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
	// External is true for a token verified with the configured public key:
	// minted by another service, so its sid (if any) names no session of
	// ours. Tokens signed with the server secret have External false.
	External bool
}

// HasRole reports whether the claims carry role.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// InTeam reports whether the claims list team.
func (c Claims) InTeam(team string) bool { return slices.Contains(c.Teams, team) }

// wireClaims is the JSON form of Claims. Its UnmarshalJSON is strict; see
// there.
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

// claimNames are the claims the server reads, by their exact names.
var claimNames = []string{"sub", "name", "teams", "roles", "sid", "jti", "iss", "aud", "iat", "nbf", "exp"}

// UnmarshalJSON decodes a token's payload strictly. encoding/json, which
// golang-jwt decodes with, matches names case-insensitively, lets the last
// of two equal keys win and reads "123" into a date; a token could then say
// "ROLES":["admin"], or "sub":"alice","Sub":"admin", and mean something its
// issuer's own checks never saw. Here:
//   - the payload is one JSON object and nothing after it;
//   - a top-level key given twice refuses the token;
//   - a key that names a claim in another case ("Sub", "ROLES") refuses
//     the token: it is either a mistake or an attempt;
//   - claim names are exact, and each claim has one type: strings for
//     sub, name, sid, jti and iss; a string or an array of strings for aud;
//     arrays of strings for teams and roles; JSON numbers for iat, nbf and
//     exp (a date as a string is refused).
//
// Other keys are ignored. Nested objects are not claims and are not looked
// into.
func (w *wireClaims) UnmarshalJSON(b []byte) error {
	*w = wireClaims{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("claims: not a JSON object")
	}
	seen := make(map[string]bool)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if seen[key] {
			return fmt.Errorf("claims: key %q given twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if !slices.Contains(claimNames, key) {
			if slices.ContainsFunc(claimNames, func(n string) bool { return strings.EqualFold(n, key) }) {
				return fmt.Errorf("claims: key %q names a claim in another case", key)
			}
			continue
		}
		if err := w.set(key, raw); err != nil {
			return fmt.Errorf("claims: %s: %w", key, err)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return errors.New("claims: unterminated object")
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("claims: data after the object")
	}
	return nil
}

// set decodes one claim, by its exact name, with its one type.
func (w *wireClaims) set(key string, raw json.RawMessage) error {
	switch key {
	case "sub":
		return decodeString(raw, &w.Subject)
	case "name":
		return decodeString(raw, &w.Name)
	case "sid":
		return decodeString(raw, &w.SessionID)
	case "jti":
		return decodeString(raw, &w.ID)
	case "iss":
		return decodeString(raw, &w.Issuer)
	case "teams":
		return decodeStrings(raw, &w.Teams)
	case "roles":
		return decodeStrings(raw, &w.Roles)
	case "aud":
		if len(raw) > 0 && raw[0] == '"' {
			var a string
			if err := decodeString(raw, &a); err != nil {
				return err
			}
			w.Audience = jwt.ClaimStrings{a}
			return nil
		}
		var a []string
		if err := decodeStrings(raw, &a); err != nil {
			return err
		}
		w.Audience = a
		return nil
	case "iat":
		return decodeDate(raw, &w.IssuedAt)
	case "nbf":
		return decodeDate(raw, &w.NotBefore)
	case "exp":
		return decodeDate(raw, &w.ExpiresAt)
	}
	return nil
}

func decodeString(raw json.RawMessage, v *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return errors.New("not a string")
	}
	return json.Unmarshal(raw, v)
}

func decodeStrings(raw json.RawMessage, v *[]string) error {
	if len(raw) == 0 || raw[0] != '[' {
		return errors.New("not an array of strings")
	}
	return json.Unmarshal(raw, v) // an element that is not a string fails
}

// decodeDate reads a NumericDate: seconds since the epoch as a JSON
// number, never a string.
func decodeDate(raw json.RawMessage, v **jwt.NumericDate) error {
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return errors.New("not a number")
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return err
	}
	if math.Abs(f) > 1e12 { // beyond year 33658: nonsense, and time.Unix would overflow sooner or later
		return errors.New("out of range")
	}
	sec, frac := math.Modf(f)
	*v = jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9)))
	return nil
}
