package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/internal/store"
	"rtserver/rooms"
	"rtserver/socketio"
)

// Publish API limits.
const (
	maxPublishBody  = 64 << 10
	maxRecipients   = 1000
	maxTypeLen      = 64
	maxTitleLen     = 200
	maxBodyLen      = 4000
	maxDataLen      = 16 << 10
	publishTimeout  = 10 * time.Second
	publishAllLimit = 100_000
)

// PublishDeps is what the publish API needs.
type PublishDeps struct {
	Log *slog.Logger // nil: discard
	// Keys are the service credentials (PUBLISH_API_KEYS); a request
	// presents one as "Authorization: Bearer <key>".
	Keys []string
	// Verifier also admits the token of a user with role admin (the demo
	// page's publish form uses that).
	Verifier identity.Verifier
	Users    Directory
	Inbox    Inbox
	Sockets  *Tracker
	IO       *socketio.Server
	// Observer counts stored notifications; nil counts nothing.
	Observer Observer
	// Shared, when set (several nodes), also counts recipients connected
	// to other nodes as online.
	Shared rooms.Shared
}

// publishRequest is a validated publish body.
type publishRequest struct {
	Users []string // to.users, deduplicated
	Room  string   // to.room
	All   bool     // to.all
	Type  string
	Title string
	Body  string
	Data  json.RawMessage
}

// fieldError names the bad field of a publish body.
type fieldError struct{ field, message string }

func (e *fieldError) Error() string { return e.field + ": " + e.message }

// parsePublish validates a publish body: one JSON object with the keys to
// (exactly one of users, room, all:true), type, title, and optionally body
// and data; nothing else. Errors name the field.
func parsePublish(raw []byte) (publishRequest, *fieldError) {
	var req publishRequest
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&top); err != nil || top == nil {
		return req, &fieldError{"", "the body must be one JSON object"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, &fieldError{"", "the body must be one JSON object"}
	}
	for k := range top {
		switch k {
		case "to", "type", "title", "body", "data":
		default:
			return req, &fieldError{k, "unknown field"}
		}
	}
	if fe := parseTarget(top["to"], &req); fe != nil {
		return req, fe
	}
	var ok bool
	if req.Type, ok = stringField(top["type"], true); !ok || req.Type == "" || len(req.Type) > maxTypeLen || !validType(req.Type) {
		return req, &fieldError{"type", "must be 1-64 characters of a-z, 0-9, '.', '_', ':', '-'"}
	}
	if req.Title, ok = stringField(top["title"], true); !ok || req.Title == "" || len(req.Title) > maxTitleLen || strings.ContainsRune(req.Title, 0) {
		return req, &fieldError{"title", "must be a string of 1-200 bytes without NUL"}
	}
	if req.Body, ok = stringField(top["body"], false); !ok || len(req.Body) > maxBodyLen || strings.ContainsRune(req.Body, 0) {
		return req, &fieldError{"body", "must be a string of at most 4000 bytes without NUL"}
	}
	if d := top["data"]; d != nil {
		if len(d) > maxDataLen {
			return req, &fieldError{"data", "must be at most 16 KiB of JSON"}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, d); err != nil {
			return req, &fieldError{"data", "must be JSON"}
		}
		req.Data = compact.Bytes()
	}
	return req, nil
}

func parseTarget(raw json.RawMessage, req *publishRequest) *fieldError {
	var to map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &to) != nil || to == nil {
		return &fieldError{"to", `must be {"users":[...]}, {"room":"..."} or {"all":true}`}
	}
	if len(to) != 1 {
		return &fieldError{"to", "must have exactly one of users, room, all"}
	}
	switch {
	case to["users"] != nil:
		var users []string
		if json.Unmarshal(to["users"], &users) != nil || len(users) == 0 || len(users) > maxRecipients {
			return &fieldError{"to.users", "must be an array of 1-1000 user ids"}
		}
		for _, u := range users {
			if !rooms.ValidID(u) {
				return &fieldError{"to.users", "contains an invalid user id"}
			}
			if !slices.Contains(req.Users, u) {
				req.Users = append(req.Users, u)
			}
		}
	case to["room"] != nil:
		room, ok := stringField(to["room"], true)
		if !ok || !targetRoom(room) {
			return &fieldError{"to.room", "must be team:<team>, dm:<a>:<b> or user:<id>"}
		}
		req.Room = room
	case to["all"] != nil:
		if string(to["all"]) != "true" {
			return &fieldError{"to.all", "must be true"}
		}
		req.All = true
	default:
		return &fieldError{"to", "must have exactly one of users, room, all"}
	}
	return nil
}

// targetRoom reports whether room names a set of users the store knows:
// a team, a DM pair or one user. Public rooms have no stored membership,
// so a publish cannot keep a copy for their offline members.
func targetRoom(room string) bool {
	if _, _, ok := rooms.DMParties(room); ok {
		return true
	}
	for _, prefix := range []string{rooms.TeamPrefix, rooms.UserPrefix} {
		if rest, ok := strings.CutPrefix(room, prefix); ok {
			return rooms.ValidID(rest)
		}
	}
	return false
}

// stringField decodes a JSON string; an absent field is "" and ok unless
// required.
func stringField(raw json.RawMessage, required bool) (string, bool) {
	if raw == nil {
		return "", !required
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func validType(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// publishAuth checks the bearer credential: a service key (compared in
// constant time) or the token of a user with role admin.
func (d PublishDeps) publishAuth(ctx context.Context, header string) (who string, code apierr.Code) {
	cred, ok := identity.BearerToken(header)
	if !ok {
		return "", apierr.Unauthenticated
	}
	h := sha256.Sum256([]byte(cred))
	for _, k := range d.Keys {
		kh := sha256.Sum256([]byte(k))
		if subtle.ConstantTimeCompare(h[:], kh[:]) == 1 {
			return "service", ""
		}
	}
	if strings.Count(cred, ".") != 2 || d.Verifier == nil {
		return "", apierr.Unauthenticated
	}
	c, err := d.Verifier.VerifyToken(ctx, cred)
	if err != nil {
		return "", apierr.Unauthenticated
	}
	if !c.HasRole(rooms.AdminRole) {
		return "", apierr.Forbidden
	}
	return "user:" + c.UserID, ""
}

// Publish returns the POST /api/v1/notifications handler. It answers 401
// without a valid credential, 403 for a user token without role admin, 400
// with the bad field named, else stores one notification per recipient
// and then delivers it to the recipient's connected /notifications
// sockets: 202 {ids, online, stored}.
func Publish(d PublishDeps) gin.HandlerFunc {
	log := orDiscard(d.Log)
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), publishTimeout)
		defer cancel()
		who, code := d.publishAuth(ctx, c.GetHeader("Authorization"))
		if code != "" {
			log.InfoContext(ctx, "publish refused", "code", code, "ip", c.ClientIP())
			writeError(c, code)
			return
		}
		if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
			c.Data(http.StatusBadRequest, "application/json", apierr.FieldBody(apierr.BadRequest, "", "Content-Type must be application/json"))
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxPublishBody))
		if err != nil {
			c.Data(http.StatusBadRequest, "application/json", apierr.FieldBody(apierr.BadRequest, "", "the body must be at most 64 KiB"))
			return
		}
		req, fe := parsePublish(raw)
		if fe != nil {
			c.Data(http.StatusBadRequest, "application/json", apierr.FieldBody(apierr.BadRequest, fe.field, fe.message))
			return
		}
		recipients, fe, err := d.recipients(ctx, req)
		if err != nil {
			log.ErrorContext(ctx, "publish recipients", "err", err)
			writeError(c, apierr.Internal)
			return
		}
		if fe != nil {
			c.Data(http.StatusBadRequest, "application/json", apierr.FieldBody(apierr.BadRequest, fe.field, fe.message))
			return
		}
		now := time.Now().Truncate(time.Millisecond)
		ns := make([]store.Notification, len(recipients))
		ids := make([]string, len(recipients))
		for i, u := range recipients {
			ids[i] = newID()
			ns[i] = store.Notification{ID: ids[i], UserID: u, Type: req.Type, Title: req.Title, Body: req.Body, Data: req.Data, TS: now}
		}
		if len(ns) > 0 {
			if err := d.Inbox.AddNotifications(ctx, ns); err != nil {
				log.ErrorContext(ctx, "publish store", "err", err)
				writeError(c, apierr.Internal)
				return
			}
		}
		online := d.deliver(ctx, ns)
		log.InfoContext(ctx, "published", "by", who, "type", req.Type, "stored", len(ns), "online", online)
		writeJSON(c, http.StatusAccepted, gin.H{"ids": ids, "online": online, "stored": len(ns)})
	}
}

// recipients resolves the target to user ids. Unknown users named in
// to.users or a DM are a field error; a team without members is no one.
func (d PublishDeps) recipients(ctx context.Context, req publishRequest) ([]string, *fieldError, error) {
	named := req.Users
	field := "to.users"
	if a, b, ok := rooms.DMParties(req.Room); ok {
		named, field = []string{a, b}, "to.room"
	} else if id, ok := strings.CutPrefix(req.Room, rooms.UserPrefix); ok {
		named, field = []string{id}, "to.room"
	}
	if named != nil {
		for _, id := range named {
			if _, err := d.Users.UserByID(ctx, id); errors.Is(err, store.ErrNotFound) {
				return nil, &fieldError{field, "names a user that does not exist"}, nil
			} else if err != nil {
				return nil, nil, err
			}
		}
		return named, nil, nil
	}
	users, err := d.Users.ListUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	team, isTeam := strings.CutPrefix(req.Room, rooms.TeamPrefix)
	var out []string
	for _, u := range users {
		if req.All || isTeam && slices.Contains(u.Teams, team) {
			out = append(out, u.ID)
		}
	}
	if len(out) > publishAllLimit {
		return nil, &fieldError{"to", "names more than 100000 users"}, nil
	}
	return out, nil, nil
}

// deliver emits each stored notification to its recipient's sockets on
// /notifications (on every node, through the adapter) and returns how many
// recipients were connected: to /notifications here, or to any namespace
// of another node as the shared presence knows.
func (d PublishDeps) deliver(ctx context.Context, ns []store.Notification) int {
	nsp := d.IO.Of(NotificationsNamespace)
	obs := orNop(d.Observer)
	elsewhere := map[string]bool{}
	if d.Shared != nil {
		if ms, err := d.Shared.Members(ctx, rooms.OnlineRoom); err == nil {
			for _, m := range ms {
				elsewhere[m.ID] = true
			}
		}
	}
	online := 0
	for _, n := range ns {
		connected := d.Sockets.UserSocketsIn(n.UserID, NotificationsNamespace) > 0 || elsewhere[n.UserID]
		if connected {
			online++
		}
		obs.NotificationStored(connected)
		_ = nsp.To(userRoom(n.UserID)).Emit("notification", notificationOut(n))
	}
	return online
}
