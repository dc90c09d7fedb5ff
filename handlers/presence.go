package handlers

import (
	"context"
	"errors"

	"rtserver/internal/identity"
	"rtserver/rooms"
	"rtserver/socketio"
)

// Presence has two layers: rooms.Presence counts this node's sockets per
// user and room; when SocketDeps.Shared is set, a user's first socket in a
// room on this node also arrives in the shared presence (and the last one
// departs from it), so online/offline is decided over the whole cluster.
// A shared presence that fails is logged and treated as absent: the room
// then hears what a single node would tell it.

// arrive records socket sid of c's user in room and reports whether the
// room should hear online:true.
func (n *namespaces) arrive(ctx context.Context, room string, c identity.Claims, sid string) bool {
	if !n.Presence.Join(room, c.UserID, sid) {
		return false
	}
	if n.Shared == nil {
		return true
	}
	first, err := n.Shared.Arrive(ctx, room, rooms.Member{ID: c.UserID, Name: c.Name})
	if err != nil {
		n.log().Warn("shared presence: arrive", "room", room, "user", c.UserID, "err", err)
		return true
	}
	return first
}

// depart removes socket sid of userID from room and reports whether the
// room should hear online:false.
func (n *namespaces) depart(ctx context.Context, room, userID, sid string) bool {
	return n.Presence.Leave(room, userID, sid) && n.departShared(ctx, room, userID)
}

// departShared tells the shared presence that this node's last socket of
// userID left room, and reports whether the user is gone from the cluster.
func (n *namespaces) departShared(ctx context.Context, room, userID string) bool {
	if n.Shared == nil {
		return true
	}
	last, err := n.Shared.Depart(ctx, room, userID)
	if errors.Is(err, rooms.ErrClosed) {
		return false // announced when the shared presence shut down
	}
	if err != nil {
		n.log().Warn("shared presence: depart", "room", room, "user", userID, "err", err)
		return true
	}
	return last
}

// members returns the users present in room, over the cluster when the
// presence is shared.
func (n *namespaces) members(ctx context.Context, room string) []UserRef {
	if n.Shared != nil {
		ms, err := n.Shared.Members(ctx, room)
		if err == nil {
			out := make([]UserRef, len(ms))
			for i, m := range ms {
				out[i] = UserRef(m)
			}
			return out
		}
		n.log().Warn("shared presence: members", "room", room, "err", err)
	}
	ids := n.Presence.Members(room)
	out := make([]UserRef, 0, len(ids))
	for _, id := range ids {
		out = append(out, UserRef{ID: id, Name: n.Sockets.Name(id)})
	}
	return out
}

// onlineSet returns a test for "this user has a socket somewhere".
func (n *namespaces) onlineSet(ctx context.Context) func(userID string) bool {
	if n.Shared != nil {
		if ms, err := n.Shared.Members(ctx, rooms.OnlineRoom); err == nil {
			set := make(map[string]bool, len(ms))
			for _, m := range ms {
				set[m.ID] = true
			}
			return func(id string) bool { return set[id] || n.Sockets.UserSockets(id) > 0 }
		}
	}
	return func(id string) bool { return n.Sockets.UserSockets(id) > 0 }
}

// trackOnline keeps the shared OnlineRoom in step with this node's sockets
// of c's user: called after the tracker added (arrived) or removed one.
func (n *namespaces) trackOnline(c identity.Claims, arrived bool) {
	if n.Shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	var err error
	switch count := n.Sockets.UserSockets(c.UserID); {
	case arrived && count == 1:
		_, err = n.Shared.Arrive(ctx, rooms.OnlineRoom, rooms.Member{ID: c.UserID, Name: c.Name})
	case !arrived && count == 0:
		_, err = n.Shared.Depart(ctx, rooms.OnlineRoom, c.UserID)
	}
	if err != nil {
		n.log().Warn("shared presence: online", "user", c.UserID, "err", err)
	}
}

// AnnounceGone returns the OnGone callback of a shared presence: a user
// whose entries expired (their node stopped) is announced offline to the
// room on /chat. OnlineRoom has no audience and is skipped.
func AnnounceGone(io *socketio.Server) func(room string, m rooms.Member) {
	chat := io.Of("/chat")
	return func(room string, m rooms.Member) {
		if room == rooms.OnlineRoom {
			return
		}
		_ = chat.To(room).Emit("presence", presenceOut{Room: room, User: UserRef(m), Online: false})
	}
}
