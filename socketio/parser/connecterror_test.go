package parser_test

import (
	"testing"

	"rtserver/socketio/parser"
)

func TestConnectErrorPayloads(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{string(parser.AppendConnectError(nil, "Invalid namespace", nil)), `{"message":"Invalid namespace"}`},
		{string(parser.AppendConnectError(nil, "unauthorized", []byte(`{"code":"invalid_token"}`))), `{"message":"unauthorized","data":{"code":"invalid_token"}}`},
		{string(parser.AppendConnectError(nil, `say "no"`, []byte(`null`))), `{"message":"say \"no\"","data":null}`},
		{string(parser.AppendLegacyConnectError(nil, "Invalid namespace")), `"Invalid namespace"`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
	p := &parser.Packet{Type: parser.ConnectError, Nsp: "/random", Data: parser.AppendConnectError(nil, "Invalid namespace", nil)}
	if got, want := string(parser.Encode(p)), `4/random,{"message":"Invalid namespace"}`; got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
}
