package redisadapter

import (
	"encoding/json"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
)

// wireSocket is one socket of a REMOTE_FETCH response, in socket.io's shape (shared
// with the streams adapter in clusterwire).
type wireSocket struct {
	ID        string          `json:"id"`
	Handshake wireHandshake   `json:"handshake"`
	Rooms     []string        `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

type wireHandshake struct{ clusterwire.Handshake }

func (w *wireHandshake) handshake() *socketio.Handshake { return w.ToHandshake() }

func toWireSocket(r *socketio.RemoteSocket) wireSocket {
	s := clusterwire.ToSocket(r)
	return wireSocket{ID: s.ID, Handshake: wireHandshake{s.Handshake}, Rooms: s.Rooms, Data: s.Data}
}
