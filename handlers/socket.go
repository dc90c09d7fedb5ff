package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"rtserver/internal/apierr"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/rooms"
	"rtserver/socketio"
)

// RoomPolicy decides which rooms a user may join (rooms/ implements it).
// A refusal is an error; the client sees only "forbidden".
type RoomPolicy interface {
	CanJoin(c identity.Claims, room string) error
}

// SocketDeps is what the namespaces need.
type SocketDeps struct {
	Log      *slog.Logger // nil: discard
	Verifier identity.Verifier
	Sockets  *Tracker
	Rooms    RoomPolicy
	// Auth configures the handshake auth middleware of every namespace.
	Auth middleware.AuthOptions
	// AuthAfterConnect admits `/` without a credential; the client must
	// emit `authenticate` {token} within AuthTimeout.
	AuthAfterConnect bool
	AuthTimeout      time.Duration // default 10s
	// MaxText is the largest chat text in bytes (CHAT_MAX_TEXT, default 4 KiB).
	MaxText int
	// EventRate is the sustained events per second one socket may send
	// (EVENT_RATE); events beyond it, after a burst of EventBurst
	// (EVENT_BURST), are dropped and acked rate_limited. Zero: no limit.
	EventRate  float64
	EventBurst int
	// MaxSocketsPerUser caps a user's concurrent sockets over all
	// namespaces (MAX_SOCKETS_PER_USER); past it a connection is refused
	// with connect_error "forbidden", data.code "rate_limited". Zero: no
	// cap. The check and the admission are not atomic, so concurrent
	// connects may pass the cap by a few.
	MaxSocketsPerUser int
	// ExpiryGrace is how long a socket outlives its credential's exp
	// (default 5s, at most 10s).
	ExpiryGrace time.Duration

	// Chat keeps the /chat history.
	Chat ChatStore
	// Inbox keeps the /notifications inbox.
	Inbox Inbox
	// Users lists the users (rooms, users).
	Users Directory
	// Revoker revokes every session of a user (/admin revoke); nil: the
	// event answers internal.
	Revoker UserRevoker
	// Observer counts for /metrics; nil counts nothing.
	Observer Observer
	// Presence counts the users in each /chat room on this node.
	Presence *rooms.Presence
	// Shared, when set, decides presence over every node (REDIS_URL).
	Shared rooms.Shared
	// PublicRooms are offered by the `rooms` event.
	PublicRooms []string
}

// result is a handler's success payload (sent as the ack) or an error.
type handlerFunc func(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error)

// ok is the success ack with extra fields.
type ok map[string]any

func okAck(fields ok) map[string]any {
	out := map[string]any{"ok": true}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

// namespaces holds the shared deps of the socket event handlers.
type namespaces struct {
	SocketDeps
	nsps []*socketio.Namespace // every namespace, for cluster-wide counts
}

func (n *namespaces) log() *slog.Logger { return orDiscard(n.Log) }

// on registers, once for every socket of nsp, an event handler behind the
// authentication guard: a socket without claims gets ack unauthenticated
// and the handler does not run. Errors become catalogue acks; unexpected
// ones are logged as internal.
func (n *namespaces) on(nsp *socketio.Namespace, event string, h handlerFunc) {
	nsp.On(event, func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		var res any
		if c, ok := middleware.ClaimsOf(s); !ok {
			res = apierr.Ack(apierr.Unauthenticated)
		} else if v, err := h(s, c, args); err != nil {
			code := apierr.CodeOf(err)
			if code == apierr.Internal {
				n.log().Error("socket event", "nsp", s.Namespace().Name(), "event", event, "sid", s.LogID(), "user", c.UserID, "err", err)
			}
			res = apierr.Ack(code)
		} else {
			res = v
		}
		if ack != nil {
			result := "ok"
			if f, failed := res.(apierr.AckFailure); failed {
				result = string(f.Error.Code)
			}
			n.Observer.Ack(s.Namespace().Name(), result)
			_ = ack(res)
		}
	})
}

// overCap reports whether the user already has MaxSocketsPerUser sockets.
func (n *namespaces) overCap(c identity.Claims) bool {
	return n.MaxSocketsPerUser > 0 && n.Sockets.UserSockets(c.UserID) >= n.MaxSocketsPerUser
}

// socketCap is the namespace middleware, after Auth, enforcing
// MaxSocketsPerUser; a socket without claims (authenticate-after-connect)
// is checked when it authenticates.
func (n *namespaces) socketCap(s *socketio.Socket) error {
	if c, ok := middleware.ClaimsOf(s); ok && n.overCap(c) {
		n.log().Info("socket refused: too many sockets", "nsp", s.Namespace().Name(), "user", c.UserID)
		return &socketio.ConnectError{Message: apierr.MessageForbidden, Data: apierr.ConnectData{Code: apierr.RateLimited}}
	}
	return nil
}

// admit runs once a socket has claims: it tracks it for logout/kick/online,
// ends it at credential expiry (+ grace), and forgets it on disconnect. It
// returns false, having done nothing, when the tracker refuses k: the
// login was logged out, revoked or kicked since k was taken, before c was
// verified.
func (n *namespaces) admit(s *socketio.Socket, c identity.Claims, k *Ticket) bool {
	cs := connOf(s)
	if cs == nil {
		k.Release()
		return false
	}
	// The ticket is spent by Add, whatever it answers.
	defer cs.spent()
	key := s.Namespace().Name() + "#" + s.ID()
	if !n.Sockets.Add(k, key, c.UserID, c.Name, c.TokenID, c.SessionID, cs.disconnect) {
		n.refusedLate(s, c, "socket")
		n.Observer.ConnectRefused(string(apierr.Revoked))
		return false
	}
	cs.key = key
	// Other nodes' FetchSockets name the user by it (/admin online).
	s.SetData(&socketUser{ID: c.UserID, Name: c.Name})
	n.log().Info("socket connected", "nsp", s.Namespace().Name(), "sid", s.LogID(), "user", c.UserID,
		"transport", s.Transport(), "recovered", s.Recovered())
	n.trackOnline(c, true)
	cs.reset(c)
	s.OnDisconnect(cs.disconnected)
	return true
}

// disconnect ends the socket ("io server disconnect"): the Tracker's
// sweeps call it.
func (c *conn) disconnect() { c.s.Disconnect(false) }

// disconnected is an admitted socket's end: its expiry timer stops, the
// Tracker and the shared presence forget it, and on /chat its rooms hear
// it leave.
func (c *conn) disconnected(reason socketio.DisconnectReason) {
	n, s := c.n, c.s
	cl, _ := middleware.ClaimsOf(s)
	c.logInfo("socket disconnected", "reason", string(reason))
	c.stop()
	n.Sockets.Remove(c.key)
	n.trackOnline(cl, false)
	if s.Namespace().Name() == chatNamespace {
		n.leftAll(s.Namespace(), s.ID(), cl)
	}
}

// logInfo logs msg at info with the socket's namespace, id and user.
func (c *conn) logInfo(msg string, args ...any) {
	cl, _ := middleware.ClaimsOf(c.s)
	c.n.log().Info(msg, append([]any{"nsp", c.s.Namespace().Name(), "sid", c.s.LogID(), "user", cl.UserID}, args...)...)
}

// refreshHandler is auth:refresh on every namespace (see refresh).
func (n *namespaces) refreshHandler(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
	res, err := n.refresh(s, c, args)
	result := "ok"
	if err != nil {
		result = string(apierr.CodeOf(err))
	}
	n.Observer.TokenRefresh(result)
	return res, err
}

// limit installs the socket's event rate limit (the first packet
// middleware, so refused events cost nothing else; see conn.event).
func (n *namespaces) limit(s *socketio.Socket) {
	if cs := connOf(s); cs != nil {
		s.Use(cs.event)
	}
}

// parseArg decodes args[i] into v (a pointer to a typed struct or string);
// any mismatch is bad_request.
func parseArg(args socketio.Args, i int, v any) error {
	if args.Len() <= i {
		return apierr.New(apierr.BadRequest)
	}
	if err := json.Unmarshal(args.Raw(i), v); err != nil {
		return apierr.New(apierr.BadRequest)
	}
	return nil
}

// newID returns a random message id.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// setupRoot wires `/`: join user:<sub>, whoami, and in authenticate-after-
// connect mode the authenticate event and its deadline.
func (n *namespaces) setupRoot(nsp *socketio.Namespace) {
	n.on(nsp, "whoami", func(_ *socketio.Socket, c identity.Claims, _ socketio.Args) (any, error) {
		return okAck(ok{"user": UserOf(c)}), nil
	})
	n.on(nsp, "auth:refresh", n.refreshHandler)
	nsp.OnConnection(func(s *socketio.Socket) {
		n.limit(s)
		if c, ok := middleware.ClaimsOf(s); ok {
			if n.admitted(s, c) {
				n.joinUserRoom(s, c)
			}
			return
		}
		// authenticate takes a ticket of its own.
		if cs := connOf(s); cs != nil {
			cs.spent()
		}
		n.awaitAuthenticate(s)
	})
}

// joinUserRoom joins an admitted socket of `/` to its user's room.
func (n *namespaces) joinUserRoom(s *socketio.Socket, c identity.Claims) {
	if err := s.Join(userRoom(c.UserID)); err != nil {
		n.log().Error("join personal room", "sid", s.LogID(), "err", err)
	}
}

// userRoom is the personal room of a user on `/`.
func userRoom(id string) string { return "user:" + id }

// awaitAuthenticate handles a socket admitted without credentials: until a
// valid `authenticate` {token} arrives (within AuthTimeout) every other
// event is refused with unauthenticated, and the socket is in no room.
func (n *namespaces) awaitAuthenticate(s *socketio.Socket) {
	deadline := time.AfterFunc(n.AuthTimeout, func() {
		if _, ok := middleware.ClaimsOf(s); !ok {
			n.log().Info("no authenticate in time", "sid", s.LogID())
			s.Disconnect(false)
		}
	})
	s.OnDisconnect(func(socketio.DisconnectReason) { deadline.Stop() })
	// Until authenticated, every event but authenticate (unknown ones
	// included) is answered unauthenticated and dropped.
	s.Use(func(s *socketio.Socket, event string, _ socketio.Args, ack socketio.Ack) error {
		if _, authed := middleware.ClaimsOf(s); authed || event == "authenticate" {
			return nil
		}
		if ack != nil {
			_ = ack(apierr.Ack(apierr.Unauthenticated))
		}
		return errUnauthenticated
	})
	s.On("authenticate", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
		res := n.authenticate(s, args, deadline)
		if ack != nil {
			_ = ack(res)
		}
	})
}

func (n *namespaces) authenticate(s *socketio.Socket, args socketio.Args, deadline *time.Timer) any {
	if c, authed := middleware.ClaimsOf(s); authed {
		return okAck(ok{"user": UserOf(c)})
	}
	var p struct {
		Token *string `json:"token"`
	}
	if err := parseArg(args, 0, &p); err != nil || p.Token == nil {
		return apierr.Ack(apierr.BadRequest)
	}
	// The ticket is taken before the token is verified (see Tracker).
	k := n.Sockets.Begin()
	defer k.Release()
	c, code := identity.Verify(s.Context(), n.log(), n.Verifier, *p.Token, identity.SourceAuth)
	if code != "" {
		if code == apierr.Internal {
			return apierr.Ack(apierr.Internal)
		}
		return apierr.Ack(apierr.Unauthenticated)
	}
	if n.overCap(c) {
		return apierr.Ack(apierr.RateLimited)
	}
	// Admitted before the claims are set: a refused socket stays
	// unauthenticated, as if the verification had seen the revocation.
	if !n.admit(s, c, k) {
		return apierr.Ack(apierr.Unauthenticated)
	}
	deadline.Stop()
	middleware.SetClaims(s, c)
	n.joinUserRoom(s, c)
	return okAck(ok{"user": UserOf(c)})
}

// errUnauthenticated drops an event of a socket that has not authenticated.
var errUnauthenticated = apierr.New(apierr.Unauthenticated)

// UserRevoker ends every login of a user.
type UserRevoker interface {
	RevokeUser(ctx context.Context, userID string) (sessions int, err error)
}

// setupAdmin wires `/admin` (Auth + RequireRole admin): online, kick,
// revoke.
func (n *namespaces) setupAdmin(nsp *socketio.Namespace) {
	nsp.OnConnection(func(s *socketio.Socket) {
		c, _ := middleware.ClaimsOf(s)
		n.limit(s)
		n.admitted(s, c)
	})
	n.on(nsp, "auth:refresh", n.refreshHandler)
	n.on(nsp, "online", func(s *socketio.Socket, _ identity.Claims, _ socketio.Args) (any, error) {
		return n.clusterOnline(s.Context())
	})
	n.on(nsp, "kick", func(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
		var p struct {
			User *string `json:"user"`
		}
		if err := parseArg(args, 0, &p); err != nil || p.User == nil || *p.User == "" {
			return nil, apierr.New(apierr.BadRequest)
		}
		// The other nodes' sockets are counted before the kick reaches them.
		remote := n.fetchRemote(s.Context(), *p.User)
		count := n.Sockets.DisconnectUser(*p.User) + remote.users[*p.User].Sockets
		n.log().Info("kick", "by", c.UserID, "user", *p.User, "sockets", count)
		return okAck(remote.addTo(ok{"sockets": count})), nil
	})
	n.on(nsp, "revoke", func(s *socketio.Socket, c identity.Claims, args socketio.Args) (any, error) {
		var p struct {
			User *string `json:"user"`
		}
		if err := parseArg(args, 0, &p); err != nil || p.User == nil || *p.User == "" || len(*p.User) > 256 {
			return nil, apierr.New(apierr.BadRequest)
		}
		if n.Revoker == nil {
			return nil, errors.New("revoke: no revoker configured")
		}
		// The other nodes' sockets are counted first, so that the
		// revocation is not held up by a slow node.
		remote := n.fetchRemote(s.Context(), *p.User)
		ctx, cancel := context.WithTimeout(s.Context(), storeTimeout)
		defer cancel()
		sessions, err := n.Revoker.RevokeUser(ctx, *p.User)
		if err != nil {
			return nil, err
		}
		// Revoked first, then disconnected: a reconnect (or a
		// recovery) finds the credential revoked.
		count := n.Sockets.DisconnectUser(*p.User) + remote.users[*p.User].Sockets
		n.log().Info("revoke", "by", c.UserID, "user", *p.User, "sessions", sessions, "sockets", count)
		return okAck(remote.addTo(ok{"sessions": sessions, "sockets": count})), nil
	})
}

// Namespaces registers every Socket.IO namespace on io (the list is
// repeated in routes.go). Every namespace first runs admission, which
// takes the socket's Tracker ticket before Auth verifies the credential:
//
//	/       Auth (anonymous when AuthAfterConnect); joins user:<sub>;
//	        whoami; authenticate (AuthAfterConnect only)
//	/chat           Auth; join, leave, message, history, typing, rooms,
//	                users (each socket also in user:<sub> for DMs)
//	/notifications  Auth; joins user:<sub>; unread on connect; read, list
//	/admin          Auth + RequireRole("admin"); online, kick, revoke
//
// With connection state recovery, io's RecoveryConfig must take Owner and
// KeepRoom from NewRecovery over the same d.Rooms: a session then returns
// only to its own login, with the rooms each namespace allows now.
func Namespaces(io *socketio.Server, d SocketDeps) {
	if d.AuthTimeout <= 0 {
		d.AuthTimeout = 10 * time.Second
	}
	if d.MaxText <= 0 {
		d.MaxText = 4 << 10
	}
	if d.Presence == nil {
		d.Presence = rooms.NewPresence()
	}
	if d.ExpiryGrace <= 0 || d.ExpiryGrace > 10*time.Second {
		d.ExpiryGrace = 5 * time.Second
	}
	d.Observer = orNop(d.Observer)
	n := &namespaces{SocketDeps: d}
	strict := counted(d.Observer, middleware.Auth(d.Log, d.Verifier, d.Auth))
	socketCap := counted(d.Observer, n.socketCap)

	root := io.Of("/")
	// Logout and kick reach the sockets on other nodes through the
	// adapter (a no-op with the in-memory one).
	d.Sockets.SetPeers(root.ServerSideEmit)
	root.OnServerSideEmit(func(event string, args socketio.Args, _ socketio.Ack) { d.Sockets.OnPeerEvent(event, args) })
	rootOpts := d.Auth
	rootOpts.Anonymous = d.AuthAfterConnect
	// admission runs first in every namespace: its ticket must be taken
	// before Auth verifies the credential.
	root.Use(n.admission(counted(d.Observer, middleware.Auth(d.Log, d.Verifier, rootOpts)), socketCap))
	n.setupRoot(root)

	chat := io.Of(chatNamespace)
	chat.Use(n.admission(strict, socketCap))
	n.setupChat(chat)

	notes := io.Of(NotificationsNamespace)
	notes.Use(n.admission(strict, socketCap))
	n.setupNotifications(notes)

	admin := io.Of("/admin")
	admin.Use(n.admission(strict, counted(d.Observer, middleware.RequireRole("admin")), socketCap))
	n.setupAdmin(admin)
	n.nsps = []*socketio.Namespace{root, chat, notes, admin}
}
