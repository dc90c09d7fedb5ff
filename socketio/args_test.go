package socketio

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"rtserver/socketio/parser"
)

func TestEventPacketEncoding(t *testing.T) {
	in, _ := ParseArgs([]byte(`[{"b":1,"a":[1.0]},{"num":0,"_placeholder":true}]`), [][]byte{{9}}, 0)
	cases := []struct {
		name string
		args []any
		want string
		atts int
	}{
		{"none", nil, `2["e"]`, 0},
		{"scalars", []any{1, int64(-2), true, nil, "s\"\n<"}, `2["e",1,-2,true,null,"s\"\n<"]`, 0},
		{"marshal", []any{map[string]int{"a": 1}, []string{"x"}, 1.5}, `2["e",{"a":1},["x"],1.5]`, 0},
		{"raw compacted", []any{json.RawMessage(" { \"z\" : [ 1 , 2 ] } ")}, `2["e",{"z":[1,2]}]`, 0},
		{"raw empty is null", []any{json.RawMessage(nil)}, `2["e",null]`, 0},
		{"binary", []any{[]byte{1}, "x", []byte{2}}, `52-["e",{"_placeholder":true,"num":0},"x",{"_placeholder":true,"num":1}]`, 2},
		{"args spliced", []any{in}, `51-["e",{"b":1,"a":[1.0]},{"_placeholder":true,"num":0}]`, 1},
		{"args renumbered", []any{[]byte{1}, in}, `52-["e",{"_placeholder":true,"num":0},{"b":1,"a":[1.0]},{"_placeholder":true,"num":1}]`, 2},
		{"empty args", []any{Args{}}, `2["e"]`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := eventPacket("/", "e", tc.args, parser.NoID)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(parser.Encode(p)); got != tc.want || len(p.Attachments) != tc.atts {
				t.Fatalf("got %s (%d attachments), want %s", got, len(p.Attachments), tc.want)
			}
		})
	}
}

func TestEventPacketErrors(t *testing.T) {
	cases := []struct {
		name  string
		event string
		args  []any
		want  error
	}{
		{"reserved", "disconnect", nil, ErrReservedEvent},
		{"bad raw", "e", []any{json.RawMessage("{")}, ErrInvalidArgument},
		{"unmarshalable", "e", []any{math.Inf(1)}, ErrInvalidArgument},
		{"channel", "e", []any{make(chan int)}, ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := eventPacket("/", tc.event, tc.args, parser.NoID); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestArgsAccessors(t *testing.T) {
	a, err := ParseArgs([]byte(`["s\u00e9",{"_placeholder":true,"num":0},3,{"x":"y"}]`), [][]byte{{7, 7}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 4 || a.Raw(9) != nil || a.Raw(-1) != nil {
		t.Fatal("Len/Raw")
	}
	if s, ok := a.String(0); !ok || s != "sé" {
		t.Fatalf("String(0) %q", s)
	}
	if _, ok := a.String(2); ok {
		t.Fatal("String(2)")
	}
	if b, ok := a.Binary(1); !ok || string(b) != "\x07\x07" {
		t.Fatal("Binary(1)")
	}
	if _, ok := a.Binary(3); ok {
		t.Fatal("Binary(3)")
	}
	var v struct{ X string }
	if a.Decode(3, &v) != nil || v.X != "y" || a.Decode(5, &v) == nil {
		t.Fatal("Decode")
	}
	if b, _ := json.Marshal(a); string(b) != `["s\u00e9",{"_placeholder":true,"num":0},3,{"x":"y"}]` {
		t.Fatalf("MarshalJSON %s", b)
	}
	if _, err := ParseArgs([]byte(`{}`), nil, 0); err == nil {
		t.Fatal("ParseArgs accepted an object")
	}
}

func TestAppendRenumbered(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"_placeholder":true,"num":0}`, `{"_placeholder":true,"num":3}`},
		{`[{"num":1,"_placeholder":true},"{\"_placeholder\":true,\"num\":0}"]`, `[{"_placeholder":true,"num":4},"{\"_placeholder\":true,\"num\":0}"]`},
		{`{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1}]}`, `{"a":{"_placeholder":true,"num":3},"b":[{"_placeholder":true,"num":4}]}`},
		{`{"_placeholder":true,"num":0,"x":[1]}`, `{"_placeholder":true,"num":0,"x":[1]}`},
	}
	for _, tc := range cases {
		if got := string(appendRenumbered(nil, []byte(tc.in), 3)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).withDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Config{
		{ConnectTimeout: -1},
		{MaxAttachments: -1},
		{MaxAttachments: parser.MaxAttachmentsLimit + 1},
		{MaxDepth: parser.MaxDepthLimit + 1},
		{MaxRoomsPerSocket: -1},
		{MaxPendingAcks: -1},
		{MaxNamespacesPerClient: -1},
		{AttachmentTimeout: -1},
		{Recovery: &RecoveryConfig{MaxDisconnectionDuration: -1}},
		{Recovery: &RecoveryConfig{MaxPackets: -1}},
		// Owner reads what the middleware established, which SkipMiddlewares skips.
		{Recovery: &RecoveryConfig{SkipMiddlewares: true, Owner: func(*Socket) string { return "x" }}},
	}
	for i, c := range bad {
		if _, err := NewServer(c); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
}
