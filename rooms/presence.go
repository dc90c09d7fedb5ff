package rooms

import (
	"slices"
	"strings"
	"sync"
)

// RoomUser names a user in a room; [Presence.LeaveAll] returns the rooms a
// user has left entirely.
type RoomUser struct {
	Room   string
	UserID string
}

// Presence counts users, not sockets, per room: a user with three tabs in
// a room is one member, who joins with the first socket and leaves with
// the last. It is safe for concurrent use; see the package documentation.
//
// A socket id belongs to one user: the user given on its first Join.
type Presence struct {
	mu sync.RWMutex
	// rooms maps room → user → set of that user's sockets in the room.
	rooms map[string]map[string]map[string]struct{}
	// sockets maps socket → its user and the rooms it is in; it makes
	// LeaveAll cost the socket's rooms, not every room.
	sockets map[string]*socketRooms
}

type socketRooms struct {
	user  string
	rooms map[string]struct{}
}

// NewPresence returns an empty registry.
func NewPresence() *Presence {
	return &Presence{
		rooms:   make(map[string]map[string]map[string]struct{}),
		sockets: make(map[string]*socketRooms),
	}
}

// Join records socketID of userID in room and reports whether it is the
// user's first socket there (the user has just arrived). Joining again is
// a no-op returning false, as is a Join naming a different user than the
// socket's first Join.
func (p *Presence) Join(room, userID, socketID string) (firstForUser bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sockets[socketID]
	if s == nil {
		s = &socketRooms{user: userID, rooms: make(map[string]struct{})}
		p.sockets[socketID] = s
	} else if s.user != userID {
		return false
	}
	if _, in := s.rooms[room]; in {
		return false
	}
	s.rooms[room] = struct{}{}
	users := p.rooms[room]
	if users == nil {
		users = make(map[string]map[string]struct{})
		p.rooms[room] = users
	}
	socks := users[userID]
	if socks == nil {
		socks = make(map[string]struct{})
		users[userID] = socks
	}
	socks[socketID] = struct{}{}
	return len(socks) == 1
}

// Leave removes socketID from room and reports whether it was the user's
// last socket there (the user has just left). Leaving a room the socket is
// not in, or naming a user other than the socket's, returns false.
func (p *Presence) Leave(room, userID, socketID string) (lastForUser bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sockets[socketID]
	if s == nil || s.user != userID {
		return false
	}
	if _, in := s.rooms[room]; !in {
		return false
	}
	delete(s.rooms, room)
	if len(s.rooms) == 0 {
		delete(p.sockets, socketID)
	}
	return p.removeLocked(room, userID, socketID)
}

// LeaveAll removes socketID from every room, as on disconnect, and returns
// the rooms where it was its user's last socket, sorted by room.
func (p *Presence) LeaveAll(socketID string) []RoomUser {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sockets[socketID]
	if s == nil {
		return nil
	}
	delete(p.sockets, socketID)
	var left []RoomUser
	for room := range s.rooms {
		if p.removeLocked(room, s.user, socketID) {
			left = append(left, RoomUser{Room: room, UserID: s.user})
		}
	}
	slices.SortFunc(left, func(a, b RoomUser) int { return strings.Compare(a.Room, b.Room) })
	return left
}

// removeLocked drops socketID of userID from room's index and reports
// whether the user has no socket left there. p.mu must be held.
func (p *Presence) removeLocked(room, userID, socketID string) bool {
	users := p.rooms[room]
	socks := users[userID]
	if socks == nil {
		return false
	}
	delete(socks, socketID)
	if len(socks) > 0 {
		return false
	}
	delete(users, userID)
	if len(users) == 0 {
		delete(p.rooms, room)
	}
	return true
}

// Members returns the ids of the users present in room, sorted; nil when
// the room is empty.
func (p *Presence) Members(room string) []string {
	p.mu.RLock()
	users := p.rooms[room]
	var out []string
	if len(users) > 0 {
		out = make([]string, 0, len(users))
		for u := range users {
			out = append(out, u)
		}
	}
	p.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Count returns the number of users present in room.
func (p *Presence) Count(room string) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.rooms[room])
}

// Rooms returns the rooms socketID is in, sorted. Callers enforcing a
// per-socket room cap can use len(Rooms(id)) or [Presence.RoomCount].
func (p *Presence) Rooms(socketID string) []string {
	p.mu.RLock()
	s := p.sockets[socketID]
	var out []string
	if s != nil {
		out = make([]string, 0, len(s.rooms))
		for r := range s.rooms {
			out = append(out, r)
		}
	}
	p.mu.RUnlock()
	slices.Sort(out)
	return out
}

// RoomCount returns the number of rooms socketID is in.
func (p *Presence) RoomCount(socketID string) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if s := p.sockets[socketID]; s != nil {
		return len(s.rooms)
	}
	return 0
}
