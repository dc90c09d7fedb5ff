package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/internal/store"
	"rtserver/middleware"
	"rtserver/rooms"
	"rtserver/socketio"
)

// ChatStore is the chat history the /chat handlers write and read
// (internal/store implements it).
type ChatStore interface {
	AppendMessage(ctx context.Context, m store.Message) error
	History(ctx context.Context, room, beforeID string, limit int) ([]store.Message, bool, error)
}

// Directory lists the users, for the `users` and `rooms` events and the
// publish API's recipients.
type Directory interface {
	ListUsers(ctx context.Context) ([]store.User, error)
	UserByID(ctx context.Context, id string) (store.User, error)
}

// chatNamespace is the namespace of the chat.
const chatNamespace = "/chat"

// Chat limits.
const (
	// joinHistory is how many messages a join answers with.
	joinHistory = 50
	// maxHistoryPage caps `history` limit.
	maxHistoryPage = 200
	// maxClientID bounds the optional client message id `cid`.
	maxClientID = 64
	// typingRate and typingBurst bound `typing` per socket; the rest are
	// dropped, never queued.
	typingRate  = 2
	typingBurst = 3
	// storeTimeout bounds one store call of a socket event.
	storeTimeout = 5 * time.Second
	// maxUsersListed caps the `users` answer.
	maxUsersListed = 1000
)

// UserRef is a user as chat payloads name them.
type UserRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ChatOut is a chat message as members receive it and history returns it.
type ChatOut struct {
	ID   string  `json:"id"`
	Room string  `json:"room"`
	From UserRef `json:"from"`
	Text string  `json:"text"`
	TS   int64   `json:"ts"`
}

func chatOut(m store.Message) ChatOut {
	return ChatOut{ID: m.ID, Room: m.Room, From: UserRef{ID: m.UserID, Name: m.UserName}, Text: m.Text, TS: m.TS.UnixMilli()}
}

func chatOuts(ms []store.Message) []ChatOut {
	out := make([]ChatOut, len(ms))
	for i, m := range ms {
		out[i] = chatOut(m)
	}
	return out
}

// presenceOut is the `presence` event.
type presenceOut struct {
	Room   string  `json:"room"`
	User   UserRef `json:"user"`
	Online bool    `json:"online"`
}

// typingOut is the `typing` event.
type typingOut struct {
	Room string  `json:"room"`
	From UserRef `json:"from"`
}

// roomInfo is one entry of the `rooms` answer.
type roomInfo struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// setupChat wires `/chat`: join, leave, message, history, typing, rooms,
// users. Every socket is also in its user's personal room, so DMs reach
// the user's tabs that have not joined the DM room.
func (n *namespaces) setupChat(nsp *socketio.Namespace) {
	nsp.OnConnection(func(s *socketio.Socket) {
		c, _ := middleware.ClaimsOf(s) // Auth (not anonymous) ran
		n.limit(s)
		// admit also makes the socket's rooms hear it leave when it
		// disconnects (conn.disconnected).
		if !n.admitted(s, c) {
			return
		}
		if err := s.Join(userRoom(c.UserID)); err != nil {
			n.log().Error("join personal room", "sid", s.LogID(), "err", err)
		}
		if s.Recovered() {
			n.restoreRooms(s, c)
		}
	})
	n.on(nsp, "auth:refresh", n.refreshHandler)
	n.on(nsp, "join", n.join)
	n.on(nsp, "leave", n.leave)
	n.on(nsp, "message", n.message)
	n.on(nsp, "history", n.history)
	n.on(nsp, "rooms", n.rooms)
	n.on(nsp, "users", n.users)
	nsp.On("typing", n.typing)
}

// restoreRooms counts a socket that came back through connection state
// recovery in the presence of the rooms it got back. Recovery (KeepRoom)
// restored only the rooms mayStay allows; the check is repeated so that a
// server wired without that rule still leaves the others.
func (n *namespaces) restoreRooms(s *socketio.Socket, c identity.Claims) {
	me := UserRef{ID: c.UserID, Name: c.Name}
	for _, room := range s.Rooms() {
		if room == s.ID() || room == userRoom(c.UserID) {
			continue
		}
		if !mayStay(n.Rooms, chatNamespace, c, room) {
			_ = s.Leave(room)
			continue
		}
		if n.arrive(s.Context(), room, c, s.ID()) {
			_ = s.To(room).Emit("presence", presenceOut{Room: room, User: me, Online: true})
		}
	}
}

func roomArg(args socketio.Args) (string, error) {
	var room string
	if err := parseArg(args, 0, &room); err != nil || room == "" || len(room) > rooms.MaxRoomLen {
		return "", apierr.New(apierr.BadRequest)
	}
	return room, nil
}

// canRead checks the room rules for room, mapping a malformed name to
// bad_request and any refusal to forbidden.
func (n *namespaces) canRead(c identity.Claims, room string) error {
	if err := n.Rooms.CanJoin(c, room); errors.Is(err, rooms.ErrBadRoom) {
		return apierr.New(apierr.BadRequest)
	} else if err != nil {
		return apierr.New(apierr.Forbidden)
	}
	return nil
}

func (n *namespaces) join(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	room, err := roomArg(args)
	if err != nil {
		return nil, err
	}
	if err := n.canRead(c, room); err != nil {
		return nil, err
	}
	// Join first, then read history: a message sent in between is then
	// both live and in the history (clients keep messages by id) rather
	// than in neither. A failed read leaves the room again.
	if err := s.Join(room); errors.Is(err, socketio.ErrTooManyRooms) {
		return nil, apierr.New(apierr.Forbidden)
	} else if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	hist, _, err := n.Chat.History(ctx, room, "", joinHistory)
	if err != nil {
		_ = s.Leave(room)
		return nil, err
	}
	me := UserRef{ID: c.UserID, Name: c.Name}
	if n.arrive(ctx, room, c, s.ID()) {
		_ = s.To(room).Emit("presence", presenceOut{Room: room, User: me, Online: true})
	}
	return okAck(ok{"room": room, "members": n.members(ctx, room), "history": chatOuts(hist)}), nil
}

func (n *namespaces) leave(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	room, err := roomArg(args)
	if err != nil {
		return nil, err
	}
	// Only rooms a client may join can be left: never the socket's own
	// id room nor a server-managed one.
	if err := n.canRead(c, room); err != nil {
		return nil, err
	}
	if err := s.Leave(room); err != nil {
		return nil, err
	}
	if n.depart(s.Context(), room, c.UserID, s.ID()) {
		n.offline(s.Namespace(), room, c.UserID, c.Name)
	}
	return okAck(ok{"room": room}), nil
}

// leftAll ends the presence of a disconnected socket: the rooms where it
// was its user's last socket hear online:false.
func (n *namespaces) leftAll(nsp *socketio.Namespace, sid string, c identity.Claims) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	for _, ru := range n.Presence.LeaveAll(sid) {
		if n.departShared(ctx, ru.Room, ru.UserID) {
			n.offline(nsp, ru.Room, ru.UserID, c.Name)
		}
	}
}

func (n *namespaces) offline(nsp *socketio.Namespace, room, userID, name string) {
	_ = nsp.To(room).Emit("presence", presenceOut{Room: room, User: UserRef{ID: userID, Name: name}, Online: false})
}

// chatMessage is the `message` payload; Cid is an optional client id that
// makes a retry idempotent.
type chatMessage struct {
	Room *string `json:"room"`
	Text *string `json:"text"`
	Cid  string  `json:"cid"`
}

// messageID returns the server id of a message: random, or derived from
// the sender and its client id so that a retried send maps onto the
// stored message.
func messageID(userID, cid string) string {
	if cid == "" {
		return newID()
	}
	h := sha256.Sum256([]byte(userID + "\x00" + cid))
	return "c" + hex.EncodeToString(h[:12])
}

func (n *namespaces) message(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	var m chatMessage
	if err := parseArg(args, 0, &m); err != nil || m.Room == nil || m.Text == nil || *m.Room == "" || *m.Text == "" {
		return nil, apierr.New(apierr.BadRequest)
	}
	// NUL is refused: PostgreSQL cannot store it, and no chat needs it.
	if len(*m.Text) > n.MaxText || len(m.Cid) > maxClientID || strings.ContainsRune(*m.Text, 0) || strings.ContainsRune(m.Cid, 0) {
		return nil, apierr.New(apierr.BadRequest)
	}
	if *m.Room == s.ID() || !s.In(*m.Room) {
		return nil, apierr.New(apierr.Forbidden)
	}
	// The room rules are checked again: a refreshed token may have lost
	// the room (the socket leaves it then, but a send may race the leave).
	if err := n.canRead(c, *m.Room); err != nil {
		return nil, err
	}
	msg := store.Message{
		ID: messageID(c.UserID, m.Cid), Room: *m.Room, UserID: c.UserID, UserName: c.Name,
		Text: *m.Text, TS: time.Now().Truncate(time.Millisecond),
	}
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	// Stored before it is delivered or acked: what a member saw, and what
	// the sender was told was accepted, is in history after a restart.
	if err := n.Chat.AppendMessage(ctx, msg); errors.Is(err, store.ErrExists) && m.Cid != "" {
		return okAck(ok{"id": msg.ID, "ts": msg.TS.UnixMilli(), "duplicate": true}), nil
	} else if err != nil {
		return nil, err
	}
	n.Observer.ChatMessage()
	out := chatOut(msg)
	to := s.To(out.Room)
	if a, b, isDM := rooms.DMParties(out.Room); isDM {
		to = to.To(userRoom(a), userRoom(b))
	}
	if err := to.Emit("message", out); err != nil {
		n.log().Warn("deliver message", "room", out.Room, "err", err)
	}
	return okAck(ok{"id": out.ID, "ts": out.TS}), nil
}

func (n *namespaces) history(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	var p struct {
		Room   *string `json:"room"`
		Before string  `json:"before"`
		Limit  int     `json:"limit"`
	}
	if err := parseArg(args, 0, &p); err != nil || p.Room == nil || *p.Room == "" || p.Limit < 0 || len(p.Before) > 128 {
		return nil, apierr.New(apierr.BadRequest)
	}
	if err := n.canRead(c, *p.Room); err != nil {
		return nil, err
	}
	limit := p.Limit
	if limit == 0 {
		limit = joinHistory
	}
	limit = min(limit, maxHistoryPage)
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	msgs, more, err := n.Chat.History(ctx, *p.Room, p.Before, limit)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound)
	} else if err != nil {
		return nil, err
	}
	return okAck(ok{"room": *p.Room, "messages": chatOuts(msgs), "more": more}), nil
}

// typing relays a volatile `typing` to the room's other members. It has no
// answer on success; events over the per-socket typing rate are dropped.
func (n *namespaces) typing(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
	c, _ := middleware.ClaimsOf(s)
	cs := connOf(s)
	var p struct {
		Room string `json:"room"`
	}
	if err := parseArg(args, 0, &p); err != nil || p.Room == "" || p.Room == s.ID() || !s.In(p.Room) {
		if ack != nil {
			_ = ack(apierr.Ack(apierr.BadRequest))
		}
		return
	}
	if cs == nil || !cs.rate.typingBucket().allow() {
		return
	}
	_ = s.To(p.Room).Volatile().Emit("typing", typingOut{Room: p.Room, From: UserRef{ID: c.UserID, Name: c.Name}})
	if ack != nil {
		_ = ack(okAck(nil))
	}
}

// rooms lists what the user may join: the public rooms, the user's team
// rooms, and a DM with every other user.
func (n *namespaces) rooms(s *socketio.Socket, c identity.Claims, _ socketio.Args) (any, error) {
	out := make([]roomInfo, 0, len(n.PublicRooms)+len(c.Teams))
	for _, r := range n.PublicRooms {
		out = append(out, roomInfo{Name: r, Kind: "public"})
	}
	for _, t := range c.Teams {
		if rooms.ValidID(t) {
			out = append(out, roomInfo{Name: rooms.TeamRoom(t), Kind: "team"})
		}
	}
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	users, err := n.Users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.ID != c.UserID && rooms.ValidID(u.ID) && rooms.ValidID(c.UserID) {
			out = append(out, roomInfo{Name: rooms.DMRoom(c.UserID, u.ID), Kind: "dm"})
		}
	}
	return okAck(ok{"rooms": out}), nil
}

// userOnline is one entry of the `users` answer.
type userOnline struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Online bool   `json:"online"`
}

// users lists every user (up to maxUsersListed) and whether they are
// connected (to any node, with shared presence).
func (n *namespaces) users(s *socketio.Socket, _ identity.Claims, _ socketio.Args) (any, error) {
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	users, err := n.Users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	online := n.onlineSet(ctx)
	out := make([]userOnline, 0, min(len(users), maxUsersListed))
	for _, u := range users[:min(len(users), maxUsersListed)] {
		out = append(out, userOnline{ID: u.ID, Name: u.DisplayName, Online: online(u.ID)})
	}
	return okAck(ok{"users": out}), nil
}
