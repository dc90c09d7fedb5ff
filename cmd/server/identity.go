package main

import (
	"context"
	"errors"
	"time"

	"rtserver/handlers"
	"rtserver/handlers/apierr"
	"rtserver/internal/auth"
	"rtserver/internal/store"
	"rtserver/middleware"
	"rtserver/rooms"
)

// identity adapts internal/auth and internal/store to the interfaces the
// handlers and middleware consume: handlers.Authenticator,
// handlers.Revoker and middleware.Verifier. It holds no mutable state of
// its own and is safe for concurrent use.
type identity struct {
	st       store.Store
	issuer   *auth.Issuer
	verifier *auth.Verifier
	now      func() time.Time
	// sessionTTL is how long a login's session lasts (SESSION_TTL); zero
	// means as long as one token.
	sessionTTL time.Duration
}

// Login checks the password (a bcrypt comparison also for unknown users,
// against a dummy hash, so both cost the same), then opens a session and
// issues a token bound to it: NewSessionID, Issue with claim sid, then
// CreateSession with the token's jti.
func (id *identity) Login(ctx context.Context, username, password string) (handlers.LoginResult, error) {
	u, err := id.st.UserByName(ctx, username)
	hash := ""
	switch {
	case err == nil:
		hash = u.PasswordHash
	case !errors.Is(err, store.ErrNotFound):
		return handlers.LoginResult{}, err
	}
	if auth.CheckPassword(hash, password) != nil || err != nil {
		return handlers.LoginResult{}, apierr.New(apierr.InvalidCredentials)
	}
	sid, err := store.NewSessionID()
	if err != nil {
		return handlers.LoginResult{}, err
	}
	sessionEnd := id.now().Add(max(id.sessionTTL, id.issuer.TTL()))
	token, claims, err := id.issuer.Issue(auth.User{ID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles, SessionID: sid, NotAfter: sessionEnd})
	if err != nil {
		return handlers.LoginResult{}, err
	}
	if _, err := id.st.CreateSession(ctx, store.Session{ID: sid, UserID: u.ID, JTI: claims.ID, ExpiresAt: sessionEnd}); err != nil {
		return handlers.LoginResult{}, err
	}
	return handlers.LoginResult{Token: token, ExpiresAt: claims.ExpiresAt, SessionID: sid, SessionExpiresAt: sessionEnd, Claims: claimsOf(claims)}, nil
}

// Refresh issues a new token for the live session of c, with the user's
// current name, teams and roles (so a refresh also applies changes made
// since the login). A credential without a server session (a token minted
// elsewhere) cannot be refreshed here: invalid_token.
func (id *identity) Refresh(ctx context.Context, c middleware.Claims) (handlers.LoginResult, error) {
	if c.SessionID == "" {
		return handlers.LoginResult{}, apierr.New(apierr.InvalidToken)
	}
	s, err := id.st.Session(ctx, c.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return handlers.LoginResult{}, apierr.New(apierr.InvalidToken)
	case err != nil:
		return handlers.LoginResult{}, err
	case s.Revoked():
		return handlers.LoginResult{}, apierr.New(apierr.Revoked)
	case !id.now().Before(s.ExpiresAt):
		return handlers.LoginResult{}, apierr.New(apierr.TokenExpired)
	case s.UserID != c.UserID:
		return handlers.LoginResult{}, apierr.New(apierr.InvalidToken)
	}
	u, err := id.st.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return handlers.LoginResult{}, apierr.New(apierr.InvalidToken)
	} else if err != nil {
		return handlers.LoginResult{}, err
	}
	token, claims, err := id.issuer.Issue(auth.User{ID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles, SessionID: s.ID, NotAfter: s.ExpiresAt})
	if err != nil {
		return handlers.LoginResult{}, err
	}
	return handlers.LoginResult{Token: token, ExpiresAt: claims.ExpiresAt, SessionID: s.ID, SessionExpiresAt: s.ExpiresAt, Claims: claimsOf(claims)}, nil
}

// VerifyToken verifies signature, algorithm, exp, iss and aud and the jti
// revocation (auth, asking the store), then the session the token belongs
// to: a revoked session is revoked. auth's sentinel errors map onto apierr;
// anything else (a failing store) is returned as is and becomes internal.
func (id *identity) VerifyToken(ctx context.Context, token string) (middleware.Claims, error) {
	ac, err := id.verifier.Verify(ctx, token)
	if err != nil {
		return middleware.Claims{}, authError(err)
	}
	if ac.SessionID != "" {
		s, err := id.st.Session(ctx, ac.SessionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// A token minted elsewhere may carry its own sid: nothing to
			// check here, its jti revocation still applies.
		case err != nil:
			return middleware.Claims{}, err
		case s.Revoked():
			return middleware.Claims{}, apierr.New(apierr.Revoked)
		}
	}
	return claimsOf(ac), nil
}

// VerifySession looks up a session cookie: unknown → invalid_token,
// revoked → revoked, expired → token_expired.
func (id *identity) VerifySession(ctx context.Context, sid string) (middleware.Claims, error) {
	s, err := id.st.Session(ctx, sid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return middleware.Claims{}, apierr.New(apierr.InvalidToken)
	case err != nil:
		return middleware.Claims{}, err
	case s.Revoked():
		return middleware.Claims{}, apierr.New(apierr.Revoked)
	case !id.now().Before(s.ExpiresAt):
		return middleware.Claims{}, apierr.New(apierr.TokenExpired)
	}
	u, err := id.st.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return middleware.Claims{}, apierr.New(apierr.InvalidToken)
	} else if err != nil {
		return middleware.Claims{}, err
	}
	return middleware.Claims{UserID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles,
		SessionID: s.ID, IssuedAt: s.CreatedAt, Expires: s.ExpiresAt}, nil
}

// Revoke revokes the session (which also revokes its token's jti) and the
// presented token's jti until its exp. An unknown session (a token minted
// elsewhere) is not an error.
func (id *identity) Revoke(ctx context.Context, c middleware.Claims) error {
	if c.SessionID != "" {
		if err := id.st.RevokeSession(ctx, c.SessionID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if c.TokenID != "" {
		return id.st.RevokeJTI(ctx, c.TokenID, c.Expires)
	}
	return nil
}

// RevokeUser revokes every session of userID and their tokens (tokens
// minted elsewhere without a session stay valid until they expire).
func (id *identity) RevokeUser(ctx context.Context, userID string) (int, error) {
	return id.st.RevokeUserSessions(ctx, userID)
}

// authError maps auth's sentinel errors onto the catalogue; any other
// error (the revocation store failing) stays as it is, an internal error.
func authError(err error) error {
	switch {
	case errors.Is(err, auth.ErrMissingToken):
		return apierr.New(apierr.MissingToken)
	case errors.Is(err, auth.ErrTokenExpired):
		return apierr.New(apierr.TokenExpired)
	case errors.Is(err, auth.ErrRevoked):
		return apierr.New(apierr.Revoked)
	case errors.Is(err, auth.ErrInvalidToken):
		return apierr.New(apierr.InvalidToken)
	}
	return err
}

func claimsOf(ac auth.Claims) middleware.Claims {
	return middleware.Claims{UserID: ac.Subject, Name: ac.Name, Teams: ac.Teams, Roles: ac.Roles,
		TokenID: ac.ID, SessionID: ac.SessionID, IssuedAt: ac.IssuedAt, Expires: ac.ExpiresAt}
}

// roomPolicy adapts rooms.Policy to handlers.RoomPolicy.
type roomPolicy struct{ p rooms.Policy }

func (r roomPolicy) CanJoin(c middleware.Claims, room string) error {
	return r.p.CanJoin(rooms.Principal{ID: c.UserID, Teams: c.Teams, Roles: c.Roles}, room)
}
