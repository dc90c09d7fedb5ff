package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/internal/store"
	"rtserver/middleware"
	"rtserver/socketio"
)

// Inbox is the per-user notification store the /notifications handlers
// and the publish API use (internal/store implements it).
type Inbox interface {
	AddNotifications(ctx context.Context, ns []store.Notification) error
	Unread(ctx context.Context, userID string, limit int) ([]store.Notification, error)
	ListNotifications(ctx context.Context, userID, beforeID string, limit int) ([]store.Notification, bool, error)
	MarkRead(ctx context.Context, userID string, ids []string, at time.Time) ([]string, error)
}

// Notification limits.
const (
	// maxUnread caps the `unread` event sent on connect.
	maxUnread = 1000
	// maxReadIDs caps the ids of one `read`.
	maxReadIDs = 500
	// NotificationsNamespace is where notifications are delivered.
	NotificationsNamespace = "/notifications"
)

// NotificationOut is a notification as its recipient receives it.
type NotificationOut struct {
	ID    string          `json:"id"`
	Type  string          `json:"type"`
	Title string          `json:"title"`
	Body  string          `json:"body"`
	Data  json.RawMessage `json:"data"`
	TS    int64           `json:"ts"`
	Read  bool            `json:"read"`
}

func notificationOut(n store.Notification) NotificationOut {
	data := n.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	return NotificationOut{ID: n.ID, Type: n.Type, Title: n.Title, Body: n.Body, Data: data, TS: n.TS.UnixMilli(), Read: n.Read()}
}

func notificationOuts(ns []store.Notification) []NotificationOut {
	out := make([]NotificationOut, len(ns))
	for i, n := range ns {
		out[i] = notificationOut(n)
	}
	return out
}

// setupNotifications wires `/notifications`: each socket joins its user's
// room, gets `unread` at once, and may `read` and `list`.
func (n *namespaces) setupNotifications(nsp *socketio.Namespace) {
	nsp.OnConnection(func(s *socketio.Socket) {
		c, _ := middleware.ClaimsOf(s)
		n.limit(s)
		if !n.admitted(s, c) {
			return
		}
		// Join before reading the inbox: a notification published in
		// between arrives twice (live and in unread), never zero times;
		// clients keep notifications by id.
		if err := s.Join(userRoom(c.UserID)); err != nil {
			n.log().Error("join personal room", "sid", s.LogID(), "err", err)
		}
		// Not derived from s.Context(): that would leave a child map and a
		// Done channel on every socket's context for its life; the read
		// is bounded by storeTimeout instead of the socket's end.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.Context()), storeTimeout)
		defer cancel()
		unread, err := n.Inbox.Unread(ctx, c.UserID, maxUnread)
		if err != nil {
			n.log().Error("read unread notifications", "sid", s.LogID(), "user", c.UserID, "err", err)
			return
		}
		_ = s.Emit("unread", notificationOuts(unread))
	})
	n.on(nsp, "auth:refresh", n.refreshHandler)
	n.on(nsp, "read", n.markRead)
	n.on(nsp, "list", n.listNotifications)
}

func (n *namespaces) markRead(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	var p struct {
		IDs []string `json:"ids"`
	}
	if err := parseArg(args, 0, &p); err != nil || p.IDs == nil || len(p.IDs) > maxReadIDs {
		return nil, apierr.New(apierr.BadRequest)
	}
	for _, id := range p.IDs {
		if id == "" || len(id) > 128 {
			return nil, apierr.New(apierr.BadRequest)
		}
	}
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	changed, err := n.Inbox.MarkRead(ctx, c.UserID, p.IDs, time.Now())
	if err != nil {
		return nil, err
	}
	if changed == nil {
		changed = []string{}
	}
	if len(changed) > 0 {
		// Every other tab of the user updates its badge.
		_ = s.To(userRoom(c.UserID)).Emit("read", ok{"ids": changed})
	}
	return okAck(ok{"ids": changed}), nil
}

func (n *namespaces) listNotifications(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	var p struct {
		Before string `json:"before"`
		Limit  int    `json:"limit"`
	}
	if args.Len() > 0 {
		if err := parseArg(args, 0, &p); err != nil || p.Limit < 0 || len(p.Before) > 128 {
			return nil, apierr.New(apierr.BadRequest)
		}
	}
	limit := p.Limit
	if limit == 0 {
		limit = joinHistory
	}
	limit = min(limit, maxHistoryPage)
	ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
	defer cancel()
	ns, more, err := n.Inbox.ListNotifications(ctx, c.UserID, p.Before, limit)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound)
	} else if err != nil {
		return nil, err
	}
	return okAck(ok{"notifications": notificationOuts(ns), "more": more}), nil
}
