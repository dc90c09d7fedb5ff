package middleware

import (
	"net/url"
	"strings"
)

// redacted replaces secret query values in logs.
const redacted = "REDACTED"

// RedactQuery returns rawQuery with the value of every `token` parameter
// (however it is percent-encoded) replaced by REDACTED, keeping the other
// parameters byte for byte so logs stay useful for debugging.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if isSecretParam(key) {
			parts[i] = "token=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

// isSecretParam reports whether a query key carries a credential.
func isSecretParam(key string) bool {
	switch strings.ToLower(strings.TrimSpace(key)) {
	case "token", "access_token", "auth", "jwt":
		return true
	}
	return false
}
