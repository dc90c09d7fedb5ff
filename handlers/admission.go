package handlers

import (
	"context"

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
	// key names the socket in the Tracker (namespace#id); set by admit.
	key string

	lifetime
	rate rateState
}

// admission is the first connection middleware of every namespace, ahead
// of Auth: it takes the socket's Tracker ticket before the credential is
// verified, so that a logout, revoke or kick sweeping while the handshake
// is verified makes admit refuse the socket (Tracker explains why this
// closes the race). The ticket is given back when the socket ends, so one
// refused by a later middleware does not keep it.
func (n *namespaces) admission(s *socketio.Socket) error {
	k := n.Sockets.Begin()
	s.Set(connKey{}, &conn{n: n, s: s, ticket: k})
	context.AfterFunc(s.Context(), k.Release)
	return nil
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
