// Package clusterwire holds what the cluster adapters share: on the wire, sockets as
// socket.io's fetchSockets answers describe them and broadcast options; on each node,
// the table of its requests that wait for the other nodes' answers (Requests).
package clusterwire

import (
	"encoding/json"

	"rtserver/socketio"
)

// Socket is one socket of a fetchSockets answer, in socket.io's shape. Its handshake
// is socketio.Handshake, whose JSON is Node's socket.handshake.
type Socket struct {
	ID        string              `json:"id"`
	Handshake *socketio.Handshake `json:"handshake"`
	Rooms     []string            `json:"rooms"`
	Data      json.RawMessage     `json:"data"`
}

// ToSocket describes r for a fetchSockets answer.
func ToSocket(r *socketio.RemoteSocket) Socket {
	w := Socket{ID: r.ID, Handshake: r.Handshake, Rooms: r.Rooms, Data: json.RawMessage("null")}
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Handshake == nil {
		w.Handshake = &socketio.Handshake{}
	}
	if r.Data != nil {
		if b, err := json.Marshal(r.Data); err == nil {
			w.Data = b
		}
	}
	return w
}

// Remote returns w as a socket of another node of namespace h.
func (w *Socket) Remote(h socketio.AdapterHost) *socketio.RemoteSocket {
	hs := w.Handshake
	if hs == nil {
		hs = &socketio.Handshake{}
	}
	return h.RemoteSocket(w.ID, hs, w.Rooms, w.Data)
}
