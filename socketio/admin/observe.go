package admin

import (
	"time"

	"rtserver/socketio"
)

// observer turns the server's changes into the UI's events: counters for
// server_stats always, and in development mode the events themselves, broadcast
// to the admin namespace (so, with a cluster adapter, to every node's UIs).
// Events of the admin namespace itself are not reported, as in Node: reporting
// them would report the reports.
type observer struct {
	a *Admin
}

func (o *observer) dev() bool { return o.a.cfg.Mode == Development }

func (o *observer) now() time.Time { return o.a.cfg.Now() }

func (o *observer) own(n *socketio.Namespace) bool { return n == o.a.nsp }

func (o *observer) emit(event string, args ...any) {
	_ = o.a.nsp.Emit(event, args...)
}

func (o *observer) SessionOpened() { o.a.events.add(o.now(), "rawConnection", "", 1) }

func (o *observer) SessionClosed(reason socketio.DisconnectReason) {
	o.a.events.add(o.now(), "rawDisconnection", string(reason), 1)
}

func (o *observer) SocketConnected(s *socketio.Socket) {
	if o.dev() {
		o.emit("socket_connected", o.a.serialize(s), o.now())
	}
}

func (o *observer) SocketDisconnected(s *socketio.Socket, reason socketio.DisconnectReason) {
	if o.dev() {
		o.emit("socket_disconnected", s.Namespace().Name(), s.ID(), reason, o.now())
	}
}

func (o *observer) TransportUpgraded(s *socketio.Socket) {
	if o.dev() {
		o.emit("socket_updated", map[string]string{"id": s.ID(), "nsp": s.Namespace().Name(), "transport": s.Transport()})
	}
}

func (o *observer) RoomJoined(n *socketio.Namespace, room, id string) {
	if o.dev() {
		o.emit("room_joined", n.Name(), room, id, o.now())
	}
}

func (o *observer) RoomLeft(n *socketio.Namespace, room, id string) {
	if o.dev() {
		o.emit("room_left", n.Name(), room, id, o.now())
	}
}

func (o *observer) EventReceived(s *socketio.Socket, event string, args socketio.Args) {
	if o.own(s.Namespace()) {
		return
	}
	now := o.now()
	o.a.events.add(now, "packetsIn", "", 1)
	o.a.events.add(now, "bytesIn", "", size(event, args))
	if o.dev() {
		o.emit("event_received", s.Namespace().Name(), s.ID(), eventArray(event, args), now)
	}
}

func (o *observer) EventSent(s *socketio.Socket, event string, args socketio.Args) {
	if o.own(s.Namespace()) {
		return
	}
	now := o.now()
	o.a.events.add(now, "packetsOut", "", 1)
	o.a.events.add(now, "bytesOut", "", size(event, args))
	if o.dev() {
		o.emit("event_sent", s.Namespace().Name(), s.ID(), eventArray(event, args), now)
	}
}

// eventArray is [event, ...args], the form the UI shows.
func eventArray(event string, args socketio.Args) []any {
	out := make([]any, 0, 1+args.Len())
	out = append(out, event)
	for i := 0; i < args.Len(); i++ {
		if b, ok := args.Binary(i); ok {
			out = append(out, b)
			continue
		}
		out = append(out, args.Raw(i))
	}
	return out
}

// size approximates the bytes of an event on the wire: its JSON text and
// binary attachments.
func size(event string, args socketio.Args) int {
	n := len(event) + 4
	for i := 0; i < args.Len(); i++ {
		n += len(args.Raw(i)) + 1
	}
	for _, b := range args.Attachments() {
		n += len(b)
	}
	return n
}
