package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost of new hashes.
const PasswordCost = 10

// MaxPasswordLen is the longest password bcrypt can hash, in bytes.
const MaxPasswordLen = 72

// dummyHash is a cost-10 bcrypt hash of a random password nobody knows.
// Comparing against it makes a login for an unknown user cost as much as
// one with a wrong password. It is a constant, not a secret.
const dummyHash = "$2a$10$Va5vj1UhiY1XtVTlN5r5X.O.v7nxaYIgv8QcgPZ0SolZridgz93S6"

// HashPassword returns the bcrypt hash (cost PasswordCost) of password.
// Empty passwords and ones over MaxPasswordLen bytes are refused rather
// than silently truncated.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("auth: empty password")
	}
	if len(password) > MaxPasswordLen {
		return "", fmt.Errorf("auth: password longer than %d bytes", MaxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// DummyHash returns a bcrypt hash that no password matches, for callers
// that prefer to pick the hash themselves; see [CheckPassword].
func DummyHash() string { return dummyHash }

// CheckPassword reports whether password matches hash: nil, or
// ErrInvalidCredentials. Pass hash "" for an unknown user: the password
// is then compared against a dummy hash of the same cost and the result
// is always ErrInvalidCredentials, so an unknown user and a wrong password
// take about the same time. A malformed stored hash is also
// ErrInvalidCredentials (after the same dummy comparison).
func CheckPassword(hash, password string) error {
	known := hash != ""
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		known = false
	}
	if !known {
		hash = dummyHash
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if err != nil || !known {
		return ErrInvalidCredentials
	}
	return nil
}
