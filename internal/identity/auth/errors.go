package auth

import "errors"

// Sentinel errors. Verify returns errors for which
// errors.Is reports exactly one of these, except for failures of the
// [Revocations] store, which are returned wrapped as they are (an
// internal error, not the client's fault).
var (
	// ErrMissingToken: no credential was presented.
	ErrMissingToken = errors.New("auth: missing token")
	// ErrInvalidToken: the credential is malformed, oversized, signed
	// with a wrong key or algorithm, or has invalid claims (iss, aud,
	// iat/nbf in the future, no exp, unknown kid).
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired: a correctly signed, otherwise valid token whose
	// exp has passed. A token that is expired and has a bad signature
	// is ErrInvalidToken.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrRevoked: a valid token whose jti was revoked (logout).
	ErrRevoked = errors.New("auth: token revoked")
	// ErrInvalidCredentials: wrong password or unknown user.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
)
