package handlers

import (
	"context"
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
// exp plus the grace, unless auth:refresh moved exp (reset). One timer
// serves both steps: it is armed for the warning, then re-armed for the
// end.
type lifetime struct {
	mu      sync.Mutex
	timer   *time.Timer
	warnAt  time.Time // zero once warned
	expires time.Time // zero: no expiry
}

// reset arms the timer for c's expiry (none when it has no exp).
func (c *conn) reset(cl identity.Claims) {
	c.lifetime.mu.Lock()
	defer c.lifetime.mu.Unlock()
	c.expires = cl.Expires
	if cl.Expires.IsZero() {
		c.warnAt = time.Time{}
		if c.timer != nil {
			c.timer.Stop()
		}
		return
	}
	c.warnAt = expiringAt(cl.IssuedAt, cl.Expires, time.Now())
	c.armLocked(c.warnAt)
}

// armLocked makes the timer fire at t (at once when t is past).
func (c *conn) armLocked(t time.Time) {
	if c.timer == nil {
		c.timer = time.AfterFunc(time.Until(t), c.expiry)
		return
	}
	c.timer.Reset(time.Until(t))
}

// expiry runs when the timer fires: it warns, or ends the socket, when
// that step is due; a fire that a reset made early re-arms the timer.
func (c *conn) expiry() {
	c.lifetime.mu.Lock()
	if c.expires.IsZero() {
		c.lifetime.mu.Unlock()
		return
	}
	payload := ok{"expiresAt": c.expires.UnixMilli()}
	now, end := time.Now(), c.expires.Add(c.n.ExpiryGrace)
	switch {
	case !c.warnAt.IsZero() && !now.Before(c.warnAt):
		c.warnAt = time.Time{}
		c.armLocked(end)
		c.lifetime.mu.Unlock()
		_ = c.s.Emit("auth:expiring", payload)
	case c.warnAt.IsZero() && !now.Before(end):
		c.expires = time.Time{}
		c.lifetime.mu.Unlock()
		c.logInfo("credential expired")
		c.n.Observer.CredentialExpired()
		_ = c.s.Emit("auth:expired", payload)
		c.s.Disconnect(false)
	default: // early: reset moved the step since the timer was armed
		if c.warnAt.IsZero() {
			c.armLocked(end)
		} else {
			c.armLocked(c.warnAt)
		}
		c.lifetime.mu.Unlock()
	}
}

// stop disarms the timer for good.
func (c *conn) stop() {
	c.lifetime.mu.Lock()
	defer c.lifetime.mu.Unlock()
	c.expires = time.Time{}
	if c.timer != nil {
		c.timer.Stop()
	}
}

// refresh handles auth:refresh {token}: the token is verified like a new
// one and must name the same user; its claims replace the socket's, the
// expiry timers restart, and rooms the new claims no longer allow are left
// at once (listed in the ack as left).
func (n *namespaces) refresh(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	cs := connOf(s)
	if cs == nil || cs.key == "" { // not admitted (cannot happen: Auth ran)
		return nil, apierr.New(apierr.Unauthenticated)
	}
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
	if !n.Sockets.Add(k, cs.key, nc.UserID, nc.Name, nc.TokenID, nc.SessionID, func() { s.Disconnect(false) }) {
		n.refusedLate(s, nc, "auth:refresh")
		return nil, apierr.New(apierr.Revoked)
	}
	middleware.SetClaims(s, nc)
	cs.reset(nc)
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
