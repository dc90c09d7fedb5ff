package parser_test

import (
	"testing"

	"rtserver/socketio/parser"
)

func TestTypeString(t *testing.T) {
	tests := []struct {
		typ  parser.Type
		want string
	}{
		{parser.Connect, "CONNECT"},
		{parser.Disconnect, "DISCONNECT"},
		{parser.Event, "EVENT"},
		{parser.Ack, "ACK"},
		{parser.ConnectError, "CONNECT_ERROR"},
		{parser.BinaryEvent, "BINARY_EVENT"},
		{parser.BinaryAck, "BINARY_ACK"},
		{parser.Type(7), "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", tt.typ, got, tt.want)
		}
	}
}

func TestHasID(t *testing.T) {
	tests := []struct {
		p    parser.Packet
		want bool
	}{
		{parser.Packet{Type: parser.Event, ID: parser.NoID}, false},
		{parser.Packet{Type: parser.Event, ID: 0}, true},
		{parser.Packet{Type: parser.BinaryAck, ID: 7}, true},
		{parser.Packet{Type: parser.Connect, ID: 3}, false},
		{parser.Packet{Type: parser.Disconnect}, false},
	}
	for _, tt := range tests {
		if got := tt.p.HasID(); got != tt.want {
			t.Errorf("%v ID %d: HasID() = %v, want %v", tt.p.Type, tt.p.ID, got, tt.want)
		}
	}
}
