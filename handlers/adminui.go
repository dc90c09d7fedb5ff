package handlers

import (
	"context"
	"log/slog"
	"net"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/socketio"
	"rtserver/socketio/admin"
)

// AdminUIDeps is what the Socket.IO Admin UI namespace needs (ADMIN_UI=1).
type AdminUIDeps struct {
	Log *slog.Logger // nil: discard
	// Namespace is ADMIN_UI_NAMESPACE (default /admin-ui).
	Namespace string
	// Mode is admin.Development or admin.Production (ADMIN_UI_MODE).
	Mode admin.Mode
	// ReadOnly drops the UI's commands (ADMIN_UI_READONLY).
	ReadOnly bool
	// ServerID names this node in the UI; empty: the hostname.
	ServerID string
	// Authn logs the UI's username and password in, as POST /login does.
	Authn Authenticator
	// Sessions checks the sessionId the UI reconnects with.
	Sessions SessionVerifier
	// Revoker ends a session opened by a user who is not an admin.
	Revoker Revoker
	// Limiter is POST /login's limiter: the form's attempts count with
	// the HTTP ones.
	Limiter *LoginLimiter
	// Sockets tracks UI sockets, so logout of their session or a revoke of
	// the user disconnects them.
	Sockets *Tracker
}

// SessionVerifier looks up a server session (identity.Service).
type SessionVerifier interface {
	VerifySession(ctx context.Context, sid string) (identity.Claims, error)
}

// adminUIClaims is the key of the claims of a UI socket.
type adminUIClaims struct{}

// adminUITimeout bounds the store calls of one UI connection attempt.
const adminUITimeout = 5 * time.Second

// AdminUI serves the Socket.IO Admin UI protocol (socketio/admin) on
// d.Namespace for users with role admin. The UI's username and password
// fields go through identity's Login under the POST /login rate limit; on
// success the UI gets, in its `session` event, the id of the server session
// that login opened, and reconnects with it: it lasts SESSION_TTL and ends
// on logout (POST /logout with it as the session cookie) or a revoke of the
// user, which also disconnect the UI. The password is dropped once checked.
func AdminUI(io *socketio.Server, d AdminUIDeps) (*admin.Admin, error) {
	log := orDiscard(d.Log)
	a, err := admin.Instrument(io, admin.Config{
		Namespace:    d.Namespace,
		Mode:         d.Mode,
		ReadOnly:     d.ReadOnly,
		ServerID:     d.ServerID,
		Authenticate: adminUIAuth(log, d),
		RedactQuery:  []string{"token", "access_token"},
		Logger:       log,
	})
	if err != nil {
		return nil, err
	}
	a.Namespace().OnConnection(func(s *socketio.Socket) {
		c, ok := s.Get(adminUIClaims{}).(identity.Claims)
		if !ok {
			s.Disconnect(false)
			return
		}
		key := s.Namespace().Name() + "#" + s.ID()
		log := log.With("nsp", s.Namespace().Name(), "sid", s.LogID(), "user", c.UserID)
		// Uncounted: the UI is not the admin's presence, and must not use up
		// their MAX_SOCKETS_PER_USER (nor appear in /admin online).
		if !d.Sockets.AddUncounted(admissionOf(s), key, c.UserID, c.Name, "", c.SessionID, func() { s.Disconnect(false) }) {
			log.Info("admin UI refused: login ended while verifying")
			s.Disconnect(false)
			return
		}
		log.Info("admin UI connected")
		end := time.AfterFunc(time.Until(c.Expires), func() {
			log.Info("admin UI session expired")
			s.Disconnect(false)
		})
		s.OnDisconnect(func(reason socketio.DisconnectReason) {
			end.Stop()
			d.Sockets.Remove(key)
			log.Info("admin UI disconnected", "reason", reason)
		})
	})
	return a, nil
}

// adminUIRefused is the UI's refusal: its own message, which its form shows,
// with the catalogue's code.
func adminUIRefused(code apierr.Code) error {
	return &socketio.ConnectError{Message: "invalid credentials", Data: apierr.ConnectData{Code: code}}
}

func adminUIAuth(log *slog.Logger, d AdminUIDeps) admin.Authenticator {
	return func(s *socketio.Socket, cr admin.Credentials) (string, error) {
		// The tracker ticket is taken before anything is verified, as for every
		// namespace (see admission): a logout or revoke sweeping meanwhile
		// makes the registration in AdminUI refuse the socket.
		k := d.Sockets.Begin()
		s.Set(connKey{}, &conn{s: s, ticket: k})
		context.AfterFunc(s.Context(), k.Release)
		ctx, cancel := context.WithTimeout(context.Background(), adminUITimeout)
		defer cancel()
		ip := s.Handshake().RemoteAddr
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
		if cr.SessionID != "" {
			c, err := d.Sessions.VerifySession(ctx, cr.SessionID)
			if err != nil {
				code := apierr.CodeOf(err)
				if code == apierr.Internal {
					log.Error("admin UI session check", "err", err)
				}
				return "", adminUIRefused(code)
			}
			if !c.HasRole("admin") {
				return "", adminUIRefused(apierr.Forbidden)
			}
			s.Set(adminUIClaims{}, c)
			return "", nil
		}
		if _, ok := d.Limiter.Allow(cr.Username, ip); !ok {
			log.Warn("admin UI login rate limited", "ip", ip)
			return "", adminUIRefused(apierr.RateLimited)
		}
		res, err := d.Authn.Login(ctx, cr.Username, cr.Password)
		if err != nil {
			code := apierr.CodeOf(err)
			if code == apierr.InvalidCredentials {
				d.Limiter.Fail(cr.Username, ip)
				log.Info("admin UI login failed", "ip", ip)
			} else {
				log.Error("admin UI login error", "err", err)
				code = apierr.Internal
			}
			return "", adminUIRefused(code)
		}
		d.Limiter.Reset(cr.Username, ip)
		if !res.Claims.HasRole("admin") {
			// The password was right but the user may not administer: the
			// session just opened must not outlive this refusal.
			if err := d.Revoker.Revoke(ctx, res.Claims); err != nil {
				log.Error("admin UI: revoking a non-admin's session", "err", err)
			}
			log.Info("admin UI refused: not an admin", "user", res.Claims.UserID)
			return "", adminUIRefused(apierr.Forbidden)
		}
		c := res.Claims
		c.Expires = res.SessionExpiresAt // the UI lives as long as the session, not the token
		s.Set(adminUIClaims{}, c)
		log.Info("admin UI login", "user", c.UserID, "ip", ip)
		return res.SessionID, nil
	}
}
