package rooms

import (
	"errors"
	"slices"
	"strings"
)

// ErrForbidden is returned by [Policy.CanJoin] when the room name is well
// formed but the principal may not join it (another user's DM, a team the
// user is not in, an admin room, any user: room, an unknown kind of room).
var ErrForbidden = errors.New("rooms: forbidden")

// ErrBadRoom is returned by [Policy.CanJoin] when the room name is malformed:
// empty, too long, or a known prefix with an invalid remainder.
var ErrBadRoom = errors.New("rooms: bad room name")

// Room name prefixes.
const (
	TeamPrefix  = "team:"
	DMPrefix    = "dm:"
	UserPrefix  = "user:"
	AdminPrefix = "admin:"
)

// AdminRole is the role that may join admin: rooms.
const AdminRole = "admin"

// MaxRoomLen bounds a room name in bytes; longer names are ErrBadRoom.
const MaxRoomLen = 2*MaxIDLen + len(DMPrefix) + 1

// MaxIDLen bounds a user id or team name in bytes.
const MaxIDLen = 128

// Principal is the signed-in user as the policy sees it. An empty ID means
// nobody is signed in and every room is forbidden.
type Principal struct {
	ID    string
	Teams []string
	Roles []string
}

// InTeam reports whether p is a member of team.
func (p Principal) InTeam(team string) bool { return slices.Contains(p.Teams, team) }

// HasRole reports whether p carries role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// Policy decides room joins. The zero value is ready to use; it holds no
// state.
type Policy struct{}

// NewPolicy returns the room policy described in the package documentation.
func NewPolicy() Policy { return Policy{} }

// IsPublic reports whether room is a public room name, matching
// ^[a-z0-9][a-z0-9_-]{0,63}$.
func IsPublic(room string) bool {
	if room == "" || len(room) > 64 {
		return false
	}
	for i := 0; i < len(room); i++ {
		c := room[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ValidID reports whether id can be part of a room name: 1 to 128 bytes
// matching ^[A-Za-z0-9][A-Za-z0-9._@-]*$. User ids and team names outside
// this set have no DM, personal or team room.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '@' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// CanJoin reports whether p may join room: nil, [ErrForbidden] or
// [ErrBadRoom].
//
//   - public names (^[a-z0-9][a-z0-9_-]{0,63}$): every signed-in user;
//   - team:<t>: only when t is one of p's teams;
//   - dm:<a>:<b> with valid ids and a < b: only a and b. An unsorted pair
//     or a == b is ErrBadRoom, so every conversation has one name;
//   - user:<id>: never; the server puts each socket in its own room;
//   - admin:<name> with a public-style name: only role "admin";
//   - anything else: ErrForbidden, or ErrBadRoom when empty or too long.
func (Policy) CanJoin(p Principal, room string) error {
	if room == "" || len(room) > MaxRoomLen {
		return ErrBadRoom
	}
	if !ValidID(p.ID) {
		return ErrForbidden
	}
	if IsPublic(room) {
		return nil
	}
	switch {
	case strings.HasPrefix(room, TeamPrefix):
		team := room[len(TeamPrefix):]
		if !ValidID(team) {
			return ErrBadRoom
		}
		if !p.InTeam(team) {
			return ErrForbidden
		}
		return nil
	case strings.HasPrefix(room, DMPrefix):
		a, b, ok := strings.Cut(room[len(DMPrefix):], ":")
		if !ok || !ValidID(a) || !ValidID(b) || a >= b {
			return ErrBadRoom
		}
		if p.ID != a && p.ID != b {
			return ErrForbidden
		}
		return nil
	case strings.HasPrefix(room, UserPrefix):
		if !ValidID(room[len(UserPrefix):]) {
			return ErrBadRoom
		}
		return ErrForbidden
	case strings.HasPrefix(room, AdminPrefix):
		if !IsPublic(room[len(AdminPrefix):]) {
			return ErrBadRoom
		}
		if !p.HasRole(AdminRole) {
			return ErrForbidden
		}
		return nil
	}
	return ErrForbidden
}

// DMRoom returns the canonical direct-message room of users a and b,
// "dm:<lower>:<higher>", whichever order they are given in. It returns ""
// when a == b or either id is not valid (see [ValidID]).
func DMRoom(a, b string) string {
	if a == b || !ValidID(a) || !ValidID(b) {
		return ""
	}
	if b < a {
		a, b = b, a
	}
	return DMPrefix + a + ":" + b
}

// DMParties returns the two users of a well-formed DM room name (as
// [DMRoom] makes it) and true, or false for any other name.
func DMParties(room string) (a, b string, ok bool) {
	rest, found := strings.CutPrefix(room, DMPrefix)
	if !found {
		return "", "", false
	}
	a, b, ok = strings.Cut(rest, ":")
	if !ok || !ValidID(a) || !ValidID(b) || a >= b {
		return "", "", false
	}
	return a, b, true
}

// UserRoom returns the personal room of user id, "user:<id>", or "" when
// id is not valid. Clients can never join it; the server adds every socket
// of the user so that notifications reach all of them.
func UserRoom(id string) string {
	if !ValidID(id) {
		return ""
	}
	return UserPrefix + id
}

// TeamRoom returns the room of team, "team:<team>", or "" when team is not
// valid.
func TeamRoom(team string) string {
	if !ValidID(team) {
		return ""
	}
	return TeamPrefix + team
}
