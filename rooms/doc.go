// Package rooms decides which rooms a signed-in user may join and tracks
// who is present in each room.
//
// It depends on neither the socket engine nor internal/auth: callers
// describe the user as a [Principal] and keep the socket-side membership
// themselves.
//
// Room names have a small fixed grammar (see [Policy.CanJoin]):
//
//	lobby, general-2       public: every signed-in user
//	team:<team>            members of that team
//	dm:<a>:<b>             a direct conversation; ids sorted, a < b
//	user:<id>              a user's personal room; joined by the server only
//	admin:<name>           users with role "admin"
//
// Concurrency: [Policy] is an immutable value and safe for concurrent use.
// [Presence] guards its maps with a sync.RWMutex; every method is safe for
// concurrent use, holds the lock only for map operations and returns
// copies, never views of its internal state.
package rooms
