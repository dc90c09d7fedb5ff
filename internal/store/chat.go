package store

import (
	"context"
	"encoding/json"
	"time"
)

// Message is one stored chat message. ID and TS are given by the server
// before the message is stored; the store keeps the order of appends per
// room (a message appended later is newer, whatever its TS).
type Message struct {
	ID       string
	Room     string
	UserID   string
	UserName string
	Text     string
	TS       time.Time // millisecond precision
}

// Notification is one notification for one recipient: a publish to three
// users stores three notifications with three ids.
type Notification struct {
	ID     string
	UserID string // recipient
	Type   string
	Title  string
	Body   string
	Data   json.RawMessage // a JSON value or nil
	TS     time.Time       // millisecond precision
	ReadAt time.Time       // zero while unread
}

// Read reports whether the recipient has marked n read.
func (n Notification) Read() bool { return !n.ReadAt.IsZero() }

// Page sizes of History, Unread and ListNotifications. Callers clamp
// their clients' limits; the store clamps again so that no caller gets an
// unbounded page.
const (
	// DefaultPage is the page size used for a limit <= 0.
	DefaultPage = 50
	// MaxPage is the most History and ListNotifications return.
	MaxPage = 200
	// MaxUnread is the most one Unread call returns.
	MaxUnread = 1000
)

// Messages is the chat history.
type Messages interface {
	// AppendMessage stores m and returns once it is durable (committed).
	// Concurrent appends are batched into one transaction, so a caller
	// waits for at most one batch. ErrExists for a duplicate ID, ErrClosed
	// after Close.
	AppendMessage(ctx context.Context, m Message) error
	// History returns up to limit messages of room older than the message
	// beforeID (the newest ones when beforeID is ""), oldest first, and
	// whether older ones remain. ErrNotFound when beforeID is not a
	// message of room. A limit <= 0 means DefaultPage; at most MaxPage
	// come back. Retention drops the messages beyond the room's newest
	// Options.HistoryLimit and those older than Options.HistoryMaxAge; an
	// implementation may do so in the background, soon after an append.
	History(ctx context.Context, room, beforeID string, limit int) ([]Message, bool, error)
}

// Notifications is the per-user notification inbox.
type Notifications interface {
	// AddNotifications stores ns in one transaction and returns once they
	// are durable. ErrExists for a duplicate ID.
	AddNotifications(ctx context.Context, ns []Notification) error
	// Unread returns up to limit unread notifications of userID, oldest
	// first. A limit <= 0 means DefaultPage; at most MaxUnread come back.
	Unread(ctx context.Context, userID string, limit int) ([]Notification, error)
	// ListNotifications returns up to limit notifications of userID (read
	// or not) older than the notification beforeID ("" for the newest),
	// newest first, and whether older ones remain. ErrNotFound when
	// beforeID is not one of userID's. A limit <= 0 means DefaultPage; at
	// most MaxPage come back.
	ListNotifications(ctx context.Context, userID, beforeID string, limit int) ([]Notification, bool, error)
	// MarkRead marks the listed notifications of userID read at at and
	// returns the ids it changed (ids of other users, unknown ids and ids
	// already read are skipped), in the order given.
	MarkRead(ctx context.Context, userID string, ids []string, at time.Time) ([]string, error)
}
