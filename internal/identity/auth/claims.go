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
	"unicode/utf8"

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
//
// A payload in the compact form issuers write (no whitespace, no escapes,
// integer dates: every token this server issues) is read by plainClaims
// without encoding/json, which cost about a tenth of a connect; any other
// payload, and every refusal, is decided by strictClaims.
func (w *wireClaims) UnmarshalJSON(b []byte) error {
	var fast wireClaims
	if fast.plainClaims(b) {
		*w = fast
		return nil
	}
	return w.strictClaims(b)
}

// strictClaims is UnmarshalJSON with encoding/json's tokenizer.
func (w *wireClaims) strictClaims(b []byte) error {
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

// plainClaims decodes b into the zero w when b is a compact JSON object
// that strictClaims would accept with the same result, and reports
// whether it did: keys and strings of printable ASCII or other valid
// UTF-8 without escapes or control characters, each key once and in no
// other case than a claim's, claims of their one type (dates as integers
// of at most 12 digits), other keys' values strings, integers, true,
// false or null. Anything else returns false, w then undefined, for
// strictClaims to decide.
func (w *wireClaims) plainClaims(b []byte) bool {
	p := plainScanner{b: b}
	if !p.byte('{') {
		return false
	}
	var seen [11]bool   // by index in claimNames
	var others []string // the other keys, each allowed once too
	for first := true; ; first = false {
		if p.byte('}') {
			return p.i == len(p.b)
		}
		if !first && !p.byte(',') {
			return false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		i := slices.Index(claimNames, key)
		if i < 0 {
			if slices.Contains(others, key) || slices.ContainsFunc(claimNames, func(n string) bool { return strings.EqualFold(n, key) }) || !p.skipScalar() {
				return false
			}
			others = append(others, key)
			continue
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		if !w.plainSet(key, &p) {
			return false
		}
	}
}

// plainSet reads the value of claim key at p.
func (w *wireClaims) plainSet(key string, p *plainScanner) bool {
	var ok bool
	switch key {
	case "sub":
		w.Subject, ok = p.str()
	case "name":
		w.Name, ok = p.str()
	case "sid":
		w.SessionID, ok = p.str()
	case "jti":
		w.ID, ok = p.str()
	case "iss":
		w.Issuer, ok = p.str()
	case "teams":
		w.Teams, ok = p.strs()
	case "roles":
		w.Roles, ok = p.strs()
	case "aud":
		if p.peek('"') {
			var a string
			a, ok = p.str()
			w.Audience = jwt.ClaimStrings{a}
		} else {
			var a []string
			a, ok = p.strs()
			w.Audience = a
		}
	case "iat":
		w.IssuedAt, ok = p.date()
	case "nbf":
		w.NotBefore, ok = p.date()
	case "exp":
		w.ExpiresAt, ok = p.date()
	}
	return ok
}

// plainScanner reads the compact JSON plainClaims accepts.
type plainScanner struct {
	b []byte
	i int
}

func (p *plainScanner) peek(c byte) bool { return p.i < len(p.b) && p.b[p.i] == c }

func (p *plainScanner) byte(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, of valid
// UTF-8 (which encoding/json would keep as it is).
func (p *plainScanner) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return string(s), utf8.Valid(s)
		case c < 0x20 || c == '\\':
			return "", false
		}
		p.i++
	}
	return "", false
}

// strs reads an array of strings; [] is an empty, non-nil slice, as
// encoding/json makes it.
func (p *plainScanner) strs() ([]string, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []string{}
	for first := true; ; first = false {
		if p.byte(']') {
			return out, true
		}
		if !first && !p.byte(',') {
			return nil, false
		}
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
}

// integer reads -?(0|[1-9][0-9]{0,11}).
func (p *plainScanner) integer() (int64, bool) {
	neg := p.byte('-')
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || len(digits) > 12 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	// A fraction or an exponent is left to encoding/json.
	if p.peek('.') || p.peek('e') || p.peek('E') {
		return 0, false
	}
	var v int64
	for _, d := range digits {
		v = v*10 + int64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// date reads a NumericDate of whole seconds (decodeDate's result for it).
func (p *plainScanner) date() (*jwt.NumericDate, bool) {
	v, ok := p.integer()
	if !ok {
		return nil, false
	}
	return jwt.NewNumericDate(time.Unix(v, 0)), true
}

// skipScalar skips the value of a key that is not a claim: a string, an
// integer, true, false or null.
func (p *plainScanner) skipScalar() bool {
	switch {
	case p.peek('"'):
		_, ok := p.str()
		return ok
	case p.peek('-') || p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9':
		_, ok := p.integer()
		return ok
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
			p.i += len(lit)
			return true
		}
	}
	return false
}
