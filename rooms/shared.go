package rooms

import (
	"context"
	"errors"
)

// ErrClosed is returned by a Shared that was shut down. Its users were
// announced (OnGone) when it closed, so a caller that gets ErrClosed from
// Depart must not announce them again.
var ErrClosed = errors.New("rooms: shared presence closed")

// Member is a user present in a room, with the display name to show.
type Member struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OnlineRoom is the pseudo-room every connected user is present in; Shared
// implementations keep it like any room, so "who is online" works across
// nodes. Clients can never join it (the name is not a valid room).
const OnlineRoom = "@online"

// Shared is presence shared by several nodes (a Redis implementation is in
// rooms/redispresence). Each node keeps its own sockets in a [Presence]
// and tells Shared only when a user arrives in or departs from a room on
// this node; Shared counts users over all nodes.
//
// A node that stops (or crashes) stops refreshing its entries and they
// expire: the implementation then reports each user who is gone from the
// cluster through the OnGone callback it was built with, so that one node
// announces it.
//
// Methods are safe for concurrent use and bounded by ctx.
type Shared interface {
	// Arrive records m in room for this node and reports whether m was in
	// the room on no node before.
	Arrive(ctx context.Context, room string, m Member) (first bool, err error)
	// Depart removes userID from room for this node and reports whether
	// the user is now in the room on no node.
	Depart(ctx context.Context, room, userID string) (last bool, err error)
	// Members returns the users in room on any node, sorted by id.
	Members(ctx context.Context, room string) ([]Member, error)
}
