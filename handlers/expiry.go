package handlers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/rooms"
	"rtserver/socketio"
)

// expiringLead is how long before exp, at least, auth:expiring is sent.
const expiringLead = 60 * time.Second

// expiringAt returns when a socket is told its credential is about to
// end: at 80% of the lifetime or 60 s before exp, whichever is later (a
// short token is warned at 80%, a long one a minute ahead). An unknown
// issue time counts from now.
func expiringAt(issued, expires, now time.Time) time.Time {
	if issued.IsZero() || issued.After(now) {
		issued = now
	}
	at80 := issued.Add(expires.Sub(issued) * 4 / 5)
	if lead := expires.Add(-expiringLead); lead.After(at80) {
		return lead
	}
	return at80
}

// lifetime ends a socket's authority with its credential: auth:expiring
// before exp, auth:expired and a disconnect ("io server disconnect") at
// exp plus the grace, unless auth:refresh moved exp (reset).
type lifetime struct {
	n   *namespaces
	s   *socketio.Socket
	log *slog.Logger

	mu        sync.Mutex
	warn, end *time.Timer
	expires   time.Time
}

// reset arms the timers for c's expiry (none when it has no exp).
func (l *lifetime) reset(c identity.Claims) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopLocked()
	l.expires = c.Expires
	if c.Expires.IsZero() {
		return
	}
	payload := ok{"expiresAt": c.Expires.UnixMilli()}
	l.warn = time.AfterFunc(time.Until(expiringAt(c.IssuedAt, c.Expires, time.Now())), func() {
		_ = l.s.Emit("auth:expiring", payload)
	})
	l.end = time.AfterFunc(time.Until(c.Expires)+l.n.ExpiryGrace, func() {
		l.log.Info("credential expired")
		l.n.Observer.CredentialExpired()
		_ = l.s.Emit("auth:expired", payload)
		l.s.Disconnect(false)
	})
}

func (l *lifetime) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopLocked()
}

func (l *lifetime) stopLocked() {
	if l.warn != nil {
		l.warn.Stop()
		l.end.Stop()
	}
}

// refresh handles auth:refresh {token}: the token is verified like a new
// one and must name the same user; its claims replace the socket's, the
// expiry timers restart, and rooms the new claims no longer allow are left
// at once (listed in the ack as left).
func (n *namespaces) refresh(s *socketio.Socket, c identity.Claims, args socketio.Args, key string, life *lifetime) (any, error) {
	var p struct {
		Token *string `json:"token"`
	}
	if err := parseArg(args, 0, &p); err != nil || p.Token == nil || *p.Token == "" {
		return nil, apierr.New(apierr.BadRequest)
	}
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	// The ticket is taken before the token is verified (see Tracker): a
	// logout of the new token's session meanwhile refuses the refresh.
	k := n.Sockets.Begin()
	defer k.Release()
	nc, code := identity.Verify(ctx, n.log(), n.Verifier, *p.Token, identity.SourceAuth)
	if code != "" {
		return nil, apierr.New(code)
	}
	if nc.UserID != c.UserID {
		return nil, apierr.New(apierr.Forbidden)
	}
	if s.Namespace().Name() == "/admin" && !nc.HasRole(rooms.AdminRole) {
		return nil, apierr.New(apierr.Forbidden)
	}
	if !n.Sockets.Add(k, key, nc.UserID, nc.Name, nc.TokenID, nc.SessionID, func() { s.Disconnect(false) }) {
		n.refusedLate(s, nc, "auth:refresh")
		return nil, apierr.New(apierr.Revoked)
	}
	middleware.SetClaims(s, nc)
	life.reset(nc)
	left := []string{}
	for _, room := range s.Rooms() {
		if room == s.ID() || room == userRoom(nc.UserID) || n.Rooms.CanJoin(nc, room) == nil {
			continue
		}
		if err := s.Leave(room); err != nil {
			return nil, err
		}
		if n.depart(ctx, room, nc.UserID, s.ID()) {
			n.offline(s.Namespace(), room, nc.UserID, nc.Name)
		}
		left = append(left, room)
	}
	if len(left) > 0 {
		n.log().Info("refresh left rooms", "sid", s.LogID(), "user", nc.UserID, "rooms", left)
	}
	return okAck(ok{"expiresAt": nc.Expires.UnixMilli(), "left": left}), nil
}
