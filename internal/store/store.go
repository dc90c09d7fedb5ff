package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"
)

// Sentinel errors.
var (
	// ErrNotFound: no such user, session, message or notification.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a user with that id or username, or a session, message
	// or notification with that id, already exists.
	ErrExists = errors.New("store: already exists")
	// ErrClosed: the store was closed before the call.
	ErrClosed = errors.New("store: closed")
)

// Store is the persistence the server needs. Implementations are safe for
// concurrent use.
type Store interface {
	Messages
	Notifications

	// CreateUser adds u. ID and Username are required; usernames are
	// unique regardless of case. ErrExists on a duplicate.
	CreateUser(ctx context.Context, u User) error
	// UserByName finds a user by username, ignoring case.
	UserByName(ctx context.Context, username string) (User, error)
	// UserByID finds a user by id.
	UserByID(ctx context.Context, id string) (User, error)
	// ListUsers returns every user ordered by username.
	ListUsers(ctx context.Context) ([]User, error)

	// CreateSession stores s and returns it as stored. An empty ID gets a
	// fresh one (see NewSessionID), a zero CreatedAt the current time.
	// ExpiresAt is required. ErrNotFound when the user does not exist.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// Session returns the session with id, revoked or expired ones
	// included: the caller decides (see Session.Active).
	Session(ctx context.Context, id string) (Session, error)
	// RevokeSession marks the session revoked (keeping the first
	// revocation time) and revokes its token's jti until the session
	// expires. ErrNotFound for an unknown id.
	RevokeSession(ctx context.Context, id string) error
	// RevokeUserSessions revokes every session of userID not yet revoked
	// (and their tokens' jtis), as RevokeSession does for one, and returns
	// how many it revoked. An unknown user has none.
	RevokeUserSessions(ctx context.Context, userID string) (int, error)

	// RevokeJTI records the token id jti as revoked until exp, after which
	// the token is expired anyway and the record may be purged.
	RevokeJTI(ctx context.Context, jti string, exp time.Time) error
	// IsRevoked reports whether jti was revoked. It implements
	// auth.Revocations.
	IsRevoked(ctx context.Context, jti string) (bool, error)
	// DeleteExpired removes sessions and revoked token ids that expired
	// before t, returning how many rows went. Run it now and then.
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
	// TrimNotifications applies the notification retention of Options:
	// it drops notifications older than NotificationRetention, and keeps
	// each user's newest NotificationLimit. It returns how many rows went.
	// It walks every inbox, so it runs in the background (the server's
	// janitor), never on a request's path.
	TrimNotifications(ctx context.Context) (int64, error)

	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Close stores the messages already accepted by AppendMessage, then
	// releases the database. AppendMessage after Close returns ErrClosed;
	// calling Close again returns the first result.
	Close() error
}

// User is an account.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	PasswordHash string // bcrypt, see auth.HashPassword
	Teams        []string
	Roles        []string
	CreatedAt    time.Time
}

// Session is a login: the server side of a session cookie and of the
// token (jti) issued with it.
type Session struct {
	ID        string
	UserID    string
	JTI       string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is when the session was revoked; zero if it was not.
	RevokedAt time.Time
}

// Revoked reports whether the session was revoked.
func (s Session) Revoked() bool { return !s.RevokedAt.IsZero() }

// Active reports whether the session is neither revoked nor expired at now.
func (s Session) Active(now time.Time) bool { return !s.Revoked() && now.Before(s.ExpiresAt) }

// NewSessionID returns 32 random bytes, base64url encoded (43 characters).
// Callers that put the session id into a token (claim sid) generate it
// first, issue the token, then store the session with the token's jti.
func NewSessionID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
