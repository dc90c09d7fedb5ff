package redisadapter

import (
	"testing"

	"rtserver/socketio"
	"rtserver/socketio/parser"
)

func mustEvent(t *testing.T, data string, atts [][]byte) *parser.Packet {
	t.Helper()
	p := &parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(data)}
	if len(atts) > 0 {
		p.Type, p.Attachments = parser.BinaryEvent, atts
	}
	return p
}

func optsOf(rooms, except []string, volatile bool) socketio.BroadcastOptions {
	return socketio.BroadcastOptions{Rooms: rooms, Except: except, Volatile: volatile}
}
