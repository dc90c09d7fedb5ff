package identity

import (
	"context"
	"errors"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity/auth"
	"rtserver/internal/store"
)

// Store is what the Service keeps in the database: users, sessions and
// revoked token ids (internal/store implements it).
type Store interface {
	UserByName(ctx context.Context, name string) (store.User, error)
	UserByID(ctx context.Context, id string) (store.User, error)
	CreateSession(ctx context.Context, s store.Session) (store.Session, error)
	Session(ctx context.Context, id string) (store.Session, error)
	RevokeSession(ctx context.Context, id string) error
	RevokeJTI(ctx context.Context, jti string, until time.Time) error
	RevokeUserSessions(ctx context.Context, userID string) (int, error)
}

// Config is what New needs.
type Config struct {
	Store    Store
	Issuer   *auth.Issuer
	Verifier *auth.Verifier
	// SessionTTL is how long a login's session lasts (SESSION_TTL); zero
	// means as long as one token.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the one place that decides who a credential belongs to: it
// logs users in (sessions and tokens), verifies tokens and session
// cookies, refreshes and revokes. It holds no mutable state of its own and
// is safe for concurrent use.
type Service struct {
	st         Store
	issuer     *auth.Issuer
	verifier   *auth.Verifier
	now        func() time.Time
	sessionTTL time.Duration
}

// New returns the Service over cfg.
func New(cfg Config) *Service {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Service{st: cfg.Store, issuer: cfg.Issuer, verifier: cfg.Verifier, now: now, sessionTTL: cfg.SessionTTL}
}

// LoginResult is a successful login or refresh: a signed token and the
// session it belongs to.
type LoginResult struct {
	Token     string
	ExpiresAt time.Time
	SessionID string
	// SessionExpiresAt is when the session (and its cookie) ends; POST
	// /token issues new tokens until then.
	SessionExpiresAt time.Time
	Claims           Claims
}

// Login checks the password (a bcrypt comparison also for unknown users,
// against a dummy hash, so both cost the same), then opens a session and
// issues a token bound to it: NewSessionID, Issue with claim sid, then
// CreateSession with the token's jti.
func (id *Service) Login(ctx context.Context, username, password string) (LoginResult, error) {
	u, err := id.st.UserByName(ctx, username)
	hash := ""
	switch {
	case err == nil:
		hash = u.PasswordHash
	case !errors.Is(err, store.ErrNotFound):
		return LoginResult{}, err
	}
	if auth.CheckPassword(hash, password) != nil || err != nil {
		return LoginResult{}, apierr.New(apierr.InvalidCredentials)
	}
	sid, err := store.NewSessionID()
	if err != nil {
		return LoginResult{}, err
	}
	sessionEnd := id.now().Add(max(id.sessionTTL, id.issuer.TTL()))
	token, claims, err := id.issuer.Issue(auth.User{ID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles, SessionID: sid, NotAfter: sessionEnd})
	if err != nil {
		return LoginResult{}, err
	}
	if _, err := id.st.CreateSession(ctx, store.Session{ID: sid, UserID: u.ID, JTI: claims.ID, ExpiresAt: sessionEnd}); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, ExpiresAt: claims.ExpiresAt, SessionID: sid, SessionExpiresAt: sessionEnd, Claims: claimsOf(claims)}, nil
}

// Refresh issues a new token for the live session of c, with the user's
// current name, teams and roles (so a refresh also applies changes made
// since the login). A credential without a server session (a token minted
// elsewhere) cannot be refreshed here: invalid_token.
func (id *Service) Refresh(ctx context.Context, c Claims) (LoginResult, error) {
	if c.SessionID == "" {
		return LoginResult{}, apierr.New(apierr.InvalidToken)
	}
	s, err := id.st.Session(ctx, c.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return LoginResult{}, apierr.New(apierr.InvalidToken)
	case err != nil:
		return LoginResult{}, err
	case s.Revoked():
		return LoginResult{}, apierr.New(apierr.Revoked)
	case !id.now().Before(s.ExpiresAt):
		return LoginResult{}, apierr.New(apierr.TokenExpired)
	case s.UserID != c.UserID:
		return LoginResult{}, apierr.New(apierr.InvalidToken)
	}
	u, err := id.st.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return LoginResult{}, apierr.New(apierr.InvalidToken)
	} else if err != nil {
		return LoginResult{}, err
	}
	token, claims, err := id.issuer.Issue(auth.User{ID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles, SessionID: s.ID, NotAfter: s.ExpiresAt})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, ExpiresAt: claims.ExpiresAt, SessionID: s.ID, SessionExpiresAt: s.ExpiresAt, Claims: claimsOf(claims)}, nil
}

// VerifyToken verifies signature, algorithm, exp, iss and aud (auth). The
// server's own tokens (signed with its secret and carrying a sid: Login
// and Refresh always set one) are then only as good as what stands behind
// them:
//   - the sid must name a live session (a missing one is revoked: the row
//     is purged some time after a logout or revoke, and the token must not
//     come back to life then), of the token's own sub (else invalid_token);
//   - the user must still exist (a deleted user is revoked).
//
// The session's check stands for the jti revocation of these tokens,
// which is not looked up (one store query less per connect): a jti is
// only ever revoked together with, and after, the session its token
// names (Revoke, and the store's RevokeSession and RevokeUserSessions),
// so a revoked jti always has a revoked or missing session.
//
// Tokens minted elsewhere (verified with the configured public key, or
// signed with the shared secret without a sid, for users this server may
// not store) name no session of ours: their jti revocation is looked up,
// and only it applies. auth's sentinel errors map onto apierr; anything
// else (a failing store) is returned as is and becomes internal.
func (id *Service) VerifyToken(ctx context.Context, token string) (Claims, error) {
	ac, err := id.verifier.VerifySigned(ctx, token)
	if err != nil {
		return Claims{}, authError(err)
	}
	if ac.External || ac.SessionID == "" {
		if err := id.verifier.Revoked(ctx, ac); err != nil {
			return Claims{}, authError(err)
		}
		return claimsOf(ac), nil
	}
	s, err := id.st.Session(ctx, ac.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Claims{}, apierr.New(apierr.Revoked)
	case err != nil:
		return Claims{}, err
	case s.UserID != ac.Subject:
		return Claims{}, apierr.New(apierr.InvalidToken)
	case s.Revoked():
		return Claims{}, apierr.New(apierr.Revoked)
	case !id.now().Before(s.ExpiresAt):
		return Claims{}, apierr.New(apierr.TokenExpired)
	}
	if err := id.userExists(ctx, ac.Subject); err != nil {
		return Claims{}, err
	}
	return claimsOf(ac), nil
}

// userExists is nil for a user in the store, revoked for one that is not
// (deleted since the credential was issued).
func (id *Service) userExists(ctx context.Context, userID string) error {
	_, err := id.st.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return apierr.New(apierr.Revoked)
	}
	return err
}

// VerifySession looks up a session cookie: unknown → invalid_token,
// revoked or its user deleted → revoked, expired → token_expired.
func (id *Service) VerifySession(ctx context.Context, sid string) (Claims, error) {
	s, err := id.st.Session(ctx, sid)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Claims{}, apierr.New(apierr.InvalidToken)
	case err != nil:
		return Claims{}, err
	case s.Revoked():
		return Claims{}, apierr.New(apierr.Revoked)
	case !id.now().Before(s.ExpiresAt):
		return Claims{}, apierr.New(apierr.TokenExpired)
	}
	u, err := id.st.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Claims{}, apierr.New(apierr.Revoked) // the user was deleted
	} else if err != nil {
		return Claims{}, err
	}
	return Claims{UserID: u.ID, Name: u.DisplayName, Teams: u.Teams, Roles: u.Roles,
		SessionID: s.ID, IssuedAt: s.CreatedAt, Expires: s.ExpiresAt}, nil
}

// Revoke revokes the session (which also revokes its token's jti) and the
// presented token's jti until its exp. An unknown session (a token minted
// elsewhere) is not an error. The session is revoked first, and a failure
// there revokes no jti: VerifyToken relies on a revoked jti of a token
// with a session always having that session revoked (or gone).
func (id *Service) Revoke(ctx context.Context, c Claims) error {
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
func (id *Service) RevokeUser(ctx context.Context, userID string) (int, error) {
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

func claimsOf(ac auth.Claims) Claims {
	return Claims{UserID: ac.Subject, Name: ac.Name, Teams: ac.Teams, Roles: ac.Roles,
		TokenID: ac.ID, SessionID: ac.SessionID, IssuedAt: ac.IssuedAt, Expires: ac.ExpiresAt}
}
