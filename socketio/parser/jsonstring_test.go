package parser_test

import (
	"encoding/json"
	"testing"

	"rtserver/socketio/parser"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"Invalid namespace", `"Invalid namespace"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\b\f\x00\x1f", `"\n\r\t\b\f\u0000\u001f"`},
		{"<é>&😀", `"<é>&😀"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
	}
	for _, tt := range tests {
		got := parser.AppendString(nil, tt.in)
		if string(got) != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s: %v", got, err)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"message"`, "message", true},
		{`"conn\u0065ct"`, "connect", true},
		{`"\ud83d\ude00 \n\"\\\/"`, "😀 \n\"\\/", true},
		{`"\ud800x"`, "\ufffdx", true},
		// Found by FuzzDecoder: a multibyte character before an escape
		// used to loop for ever.
		{"\"nˌ\\t\"", "nˌ\t", true},
		{"\"é\\u0041😀\\n\"", "éA😀\n", true},
		{`""`, "", true},
		{`"a`, "", false},
		{`"a"x`, "", false},
		{`a`, "", false},
		{``, "", false},
		{`1`, "", false},
		{"\"\xff\"", "", false},
	}
	for _, tt := range tests {
		got, ok := parser.Unquote([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("Unquote(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsReservedEvent(t *testing.T) {
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !parser.IsReservedEvent(name) {
			t.Errorf("%q not reserved", name)
		}
	}
	for _, name := range []string{"message", "Connect", "connected", ""} {
		if parser.IsReservedEvent(name) {
			t.Errorf("%q reserved", name)
		}
	}
}
