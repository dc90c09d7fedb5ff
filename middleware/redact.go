package middleware

import (
	"net/url"
	"strings"

	"rtserver/socketio/engineio"
)

// redacted replaces secret query values in logs.
const redacted = "REDACTED"

// RedactQuery returns rawQuery as it may be logged. It splits parameters on
// "&" and on ";" (which some servers and proxies also accept) and reads each
// name the way the most lenient server would: percent-escapes decoded, up to
// three times, a bad escape kept as is, case folded, everything but letters
// and digits ignored. Then:
//   - a credential-like parameter (isSecretName) becomes name=REDACTED, or
//     just REDACTED when its decoded name is not a plain word;
//   - any parameter whose name or value holds a JWT becomes REDACTED;
//   - the Engine.IO sid, which alone is a polling session, becomes its
//     engineio.LogID, so one session's requests can still be grouped.
//
// Everything else, separators included, is kept byte for byte so logs stay
// useful for debugging.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(rawQuery))
	for rest := rawQuery; ; {
		i := strings.IndexAny(rest, "&;")
		if i < 0 {
			b.WriteString(redactParam(rest))
			break
		}
		b.WriteString(redactParam(rest[:i]))
		b.WriteByte(rest[i])
		rest = rest[i+1:]
	}
	return b.String()
}

// redactParam is RedactQuery for one name[=value] part.
func redactParam(part string) string {
	if part == "" {
		return ""
	}
	rawName, rawValue, _ := strings.Cut(part, "=")
	name := lenientUnescape(rawName)
	if strings.EqualFold(name, "sid") {
		v, err := url.QueryUnescape(rawValue) // as the engine reads it
		if err != nil {
			v = rawValue
		}
		return "sid=" + engineio.LogID(v)
	}
	if hasJWT(name) {
		return redacted
	}
	if isSecretName(name) || hasJWT(lenientUnescape(rawValue)) {
		if plainName(name) {
			return strings.ToLower(name) + "=" + redacted
		}
		return redacted
	}
	return part
}

// isSecretName reports whether a query parameter name carries a credential.
// It matches on the name's letters and digits only, lower-cased, so
// separators, case and stray bytes ("API-Key", "tok\x00en") change nothing;
// a name that merely contains a secret word ("mytoken") counts, as an
// over-redacted log line costs little and a leaked credential a lot.
func isSecretName(name string) bool {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	n := b.String()
	for _, w := range []string{"token", "secret", "passw", "jwt", "auth", "session", "sessid", "credential", "apikey", "signature", "cookie", "bearer", "privatekey"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, w := range []string{"key", "sid", "pwd", "pass"} {
		if strings.HasSuffix(n, w) {
			return true
		}
	}
	return n == "sig" || n == "code"
}

// plainName reports whether a decoded name is a short word of lower-case
// letters, digits, "_", "-" and "." (after case folding) and so safe to
// print in place of the raw bytes it came from.
func plainName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range strings.ToLower(name) {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// hasJWT reports whether s holds something shaped like a JWT: "eyJ" (the
// base64url of `{"`) and more base64url characters up to a dot.
func hasJWT(s string) bool {
	for {
		i := strings.Index(s, "eyJ")
		if i < 0 {
			return false
		}
		s = s[i+3:]
		j := 0
		for j < len(s) && isBase64URL(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '.' {
			return true
		}
	}
}

func isBase64URL(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// lenientUnescape decodes "+" and every valid percent-escape of s, keeping
// invalid ones as they are, and repeats up to three times so a name
// encoded twice is still recognised.
func lenientUnescape(s string) string {
	for range 3 {
		if !strings.ContainsAny(s, "%+") {
			return s
		}
		d := unescapeOnce(s)
		if d == s {
			return s
		}
		s = d
	}
	return s
}

// unescapeOnce is one round of lenientUnescape.
func unescapeOnce(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// hasSID reports whether rawQuery carries an Engine.IO sid, cheaply, for
// choosing the level of a request's record before building it.
func hasSID(rawQuery string) bool {
	for rest := rawQuery; rest != ""; {
		part := rest
		if i := strings.IndexAny(rest, "&;"); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		name, _, _ := strings.Cut(part, "=")
		if strings.EqualFold(name, "sid") || len(name) <= 9 && strings.Contains(name, "%") && strings.EqualFold(lenientUnescape(name), "sid") {
			return true
		}
	}
	return false
}
