package engineio

import (
	"crypto/sha256"
	"encoding/hex"
)

// LogID returns the form in which a session id may be written to a log:
// the first 12 hex digits of its SHA-256, or "" for "". For a polling
// client the sid alone is the session (whoever reads it can post as its
// owner), so no log may hold it in clear; the digest still groups the
// records of one session. Socket ids go through it too, because a legacy
// client's socket is named by its engine sid.
func LogID(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}
