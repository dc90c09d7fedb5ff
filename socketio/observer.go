package socketio

import (
	"slices"
	"sync"
	"sync/atomic"

	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// Observer is told what happens on a server's sockets, for instrumentation such
// as the admin UI (socketio/admin) or an audit log. Register one with
// Server.Observe.
//
// Methods run synchronously on the goroutine that made the change (a
// connection's read loop, a broadcaster, a handler), never under a lock of the
// library, and may call the server (emit, join, disconnect). They must be quick
// and must not block: hand work to another goroutine. Embed NopObserver to
// implement only some of them.
type Observer interface {
	// SessionOpened runs when an Engine.IO session with a Socket.IO client opens.
	SessionOpened()
	// SessionClosed runs when such a session closes, with the disconnect reason
	// its sockets get (ReasonTransportClose, ReasonPingTimeout, ...).
	SessionClosed(reason DisconnectReason)
	// SocketConnected runs when s has connected: its rooms joined, its CONNECT
	// reply queued, before the namespace's OnConnection handlers.
	SocketConnected(s *Socket)
	// SocketDisconnected runs when s disconnects, before it leaves its rooms.
	SocketDisconnected(s *Socket, reason DisconnectReason)
	// TransportUpgraded runs for each socket of a session that moved from
	// polling to WebSocket (s.Transport() is the new one).
	TransportUpgraded(s *Socket)
	// RoomJoined runs when socket id of n entered room (its own id room
	// included), on whatever path: Join, a middleware, SocketsJoin, recovery.
	RoomJoined(n *Namespace, room, id string)
	// RoomLeft runs when socket id of n left room, also when it disconnects.
	RoomLeft(n *Namespace, room, id string)
	// EventReceived runs for each event a socket receives, before middleware
	// and handlers (which may still drop it).
	EventReceived(s *Socket, event string, args Args)
	// EventSent runs for each event queued to a socket of this node: its own
	// Emit and the broadcasts that reached it.
	EventSent(s *Socket, event string, args Args)
}

// NopObserver implements every Observer method as a no-op; embed it to observe
// only some changes.
type NopObserver struct{}

func (NopObserver) SessionOpened()                               {}
func (NopObserver) SessionClosed(DisconnectReason)               {}
func (NopObserver) SocketConnected(*Socket)                      {}
func (NopObserver) SocketDisconnected(*Socket, DisconnectReason) {}
func (NopObserver) TransportUpgraded(*Socket)                    {}
func (NopObserver) RoomJoined(*Namespace, string, string)        {}
func (NopObserver) RoomLeft(*Namespace, string, string)          {}
func (NopObserver) EventReceived(*Socket, string, Args)          {}
func (NopObserver) EventSent(*Socket, string, Args)              {}

// observers is the server's list of observers, copied on write so that the hot
// paths read it with one atomic load and pay nothing when it is empty.
type observers struct {
	mu   sync.Mutex                 // serializes Observe and stop
	list []Observer                 // replaced, never modified in place
	cur  atomic.Pointer[[]Observer] // list, for readers without mu
}

// Observe registers o and returns the function that unregisters it. Observers
// see only what happens after Observe returns.
func (s *Server) Observe(o Observer) (stop func()) {
	s.obs.mu.Lock()
	list := append(slices.Clip(s.obs.list), o)
	s.obs.list = list
	s.obs.cur.Store(&list)
	s.obs.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.obs.mu.Lock()
			defer s.obs.mu.Unlock()
			i := slices.Index(s.obs.list, o)
			if i < 0 {
				return
			}
			list := slices.Delete(slices.Clone(s.obs.list), i, i+1)
			s.obs.list = list
			s.obs.cur.Store(&list)
		})
	}
}

// observing returns the registered observers (nil when none).
func (s *Server) observing() []Observer {
	if p := s.obs.cur.Load(); p != nil {
		return *p
	}
	return nil
}

// observeRooms reports rooms joined (or left) by socket id of n.
func (n *Namespace) observeRooms(id string, rooms []string, joined bool) {
	if n == nil || len(rooms) == 0 {
		return
	}
	for _, o := range n.srv.observing() {
		for _, r := range rooms {
			if joined {
				o.RoomJoined(n, r, id)
			} else {
				o.RoomLeft(n, r, id)
			}
		}
	}
}

// observeSent reports event packet p queued to sockets.
func (n *Namespace) observeSent(p *parser.Packet, sockets ...*Socket) {
	if n == nil || len(sockets) == 0 {
		return
	}
	obs := n.srv.observing()
	if len(obs) == 0 || (p.Type != parser.Event && p.Type != parser.BinaryEvent) {
		return
	}
	name, args, err := splitEvent(p, 0)
	if err != nil {
		return
	}
	for _, o := range obs {
		for _, s := range sockets {
			o.EventSent(s, name, args)
		}
	}
}

// ClientID names the connection (Engine.IO session) s belongs to, the same for
// every socket of it, for grouping sockets by client. It is the session id's
// LogID, never the session id itself, which would let its holder post to the
// session.
func (s *Socket) ClientID() string { return engineio.LogID(s.client.sess.ID()) }
