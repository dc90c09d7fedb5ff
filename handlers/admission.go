package handlers

import (
	"runtime"

	"rtserver/internal/identity"
	"rtserver/socketio"
)

// connKey is the socket data key of the socket's conn.
type connKey struct{}

// conn is the application's state of one socket, made by admission: the
// Tracker ticket, and once admitted the tracker key, the credential's
// lifetime and the event rate buckets. The event handlers are the
// namespace's (socketio.Namespace.On), the same for every socket, so this
// is all a socket holds besides its claims (middleware.SetClaims); the
// rate buckets are made on the first event, as most sockets stay idle.
type conn struct {
	n      *namespaces
	s      *socketio.Socket
	ticket *Ticket
	// release gives ticket back if the socket never connects (admission).
	release runtime.Cleanup
	// key names the socket in the Tracker (namespace#id); set by admit.
	key string

	lifetime
	rate rateState
}

// admission returns the connection middleware of every namespace: it
// takes the socket's Tracker ticket, then runs next (Auth first) in
// order. The ticket is taken before the credential is verified, so that a
// logout, revoke or kick sweeping while the handshake is verified makes
// admit refuse the socket (Tracker explains why this closes the race).
//
// A ticket must not outlive its connect: admit spends it; a refusal by
// next gives it back at once; a socket that passed next but never
// connected (its client left meanwhile) gives it back when the garbage
// collector finds its conn unreachable (a runtime cleanup, stopped once
// admit spent the ticket). Until then the ticket only keeps the marks of
// later sweeps (Tracker.pruneLocked). This replaces a context.AfterFunc
// on the socket's context, which cost every socket about 490 bytes.
func (n *namespaces) admission(next ...socketio.Middleware) socketio.Middleware {
	return func(s *socketio.Socket) error {
		k := n.Sockets.Begin()
		cs := &conn{n: n, s: s, ticket: k}
		cs.release = runtime.AddCleanup(cs, (*Ticket).Release, k)
		s.Set(connKey{}, cs)
		for _, mw := range next {
			if err := mw(s); err != nil {
				cs.spent()
				return err
			}
		}
		return nil
	}
}

// spent gives the socket's ticket back (a no-op once Add spent it) and
// stops the cleanup that would have.
func (c *conn) spent() {
	c.release.Stop()
	if c.ticket != nil {
		c.ticket.Release()
	}
}

// connOf returns the socket's conn (admission made it), or nil.
func connOf(s *socketio.Socket) *conn {
	c, _ := s.Get(connKey{}).(*conn)
	return c
}

// admissionOf returns the ticket admission took, or nil.
func admissionOf(s *socketio.Socket) *Ticket {
	if c := connOf(s); c != nil {
		return c.ticket
	}
	return nil
}

// admitted admits, from its OnConnection handler, a socket that
// authenticated in its handshake. A socket whose login was logged out,
// revoked or kicked while it connected is disconnected ("io server
// disconnect") instead, and false returned: the handler must stop.
func (n *namespaces) admitted(s *socketio.Socket, c identity.Claims) bool {
	if n.admit(s, c, admissionOf(s)) {
		return true
	}
	s.Disconnect(false)
	return false
}

// refusedLate logs a socket or re-authentication the tracker refused: its
// login ended while its credential was being verified.
func (n *namespaces) refusedLate(s *socketio.Socket, c identity.Claims, what string) {
	n.log().Info(what+" refused: login ended while verifying", "nsp", s.Namespace().Name(), "sid", s.LogID(), "user", c.UserID)
}
