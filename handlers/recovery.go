package handlers

import (
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
)

// Recovery is the connection state recovery rule of the namespaces that
// Namespaces registers, for socketio.RecoveryConfig's Owner and KeepRoom:
// a session belongs to the login that made it, and a recovered socket gets
// back only the rooms its namespace allows under the claims it presents
// now (a team lost meanwhile stays lost, with the messages sent there).
// It holds no state and is safe for concurrent use.
type Recovery struct{ rooms RoomPolicy }

// NewRecovery returns the recovery rule over rooms, the policy that
// SocketDeps.Rooms also names.
func NewRecovery(rooms RoomPolicy) *Recovery { return &Recovery{rooms: rooms} }

// Owner is socketio.RecoveryConfig.Owner: the owner of the socket's claims
// (identity.Claims.Owner: the user and a hash of the login session). A
// socket without claims (`/` before `authenticate`) has none, so it is
// neither kept nor given anyone's session.
func (r *Recovery) Owner(s *socketio.Socket) string {
	c, ok := middleware.ClaimsOf(s)
	if !ok {
		return ""
	}
	return c.Owner()
}

// KeepRoom is socketio.RecoveryConfig.KeepRoom: see mayStay.
func (r *Recovery) KeepRoom(s *socketio.Socket, room string) bool {
	c, ok := middleware.ClaimsOf(s)
	return ok && mayStay(r.rooms, s.Namespace().Name(), c, room)
}

// mayStay reports whether a socket of namespace nsp acting for c may be in
// room, by the rules of the namespace:
//
//	/, /notifications  only the user's own personal room user:<sub>
//	/chat              user:<sub>, and every room the policy lets c join
//	                   (public rooms, c's teams, c's DMs, admin rooms)
//	/admin, any other  none (the socket's own id room is the engine's)
func mayStay(p RoomPolicy, nsp string, c identity.Claims, room string) bool {
	switch nsp {
	case "/", NotificationsNamespace:
		return room == userRoom(c.UserID)
	case chatNamespace:
		return room == userRoom(c.UserID) || p.CanJoin(c, room) == nil
	}
	return false
}
