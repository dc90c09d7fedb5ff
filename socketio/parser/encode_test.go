package parser_test

import (
	"testing"

	"rtserver/socketio/parser"
)

const (
	ph0 = `{"_placeholder":true,"num":0}`
	ph1 = `{"_placeholder":true,"num":1}`
)

// encodeCases are the server-sent packets of PROTOCOL_CONFORMANCE.md section 3 and
// the encoding table of the protocol document, without the Engine.IO "4".
var encodeCases = []struct {
	name string
	p    parser.Packet
	want string
}{
	{"connect main", parser.Packet{Type: parser.Connect, Nsp: "/"}, `0`},
	{"connect main empty nsp", parser.Packet{Type: parser.Connect}, `0`},
	{"connect ok", parser.Packet{Type: parser.Connect, Nsp: "/", Data: []byte(`{"sid":"abc"}`)}, `0{"sid":"abc"}`},
	{"connect custom", parser.Packet{Type: parser.Connect, Nsp: "/admin"}, `0/admin,`},
	{"connect custom ok", parser.Packet{Type: parser.Connect, Nsp: "/custom", Data: []byte(`{"sid":"x"}`)}, `0/custom,{"sid":"x"}`},
	{"connect error", parser.Packet{Type: parser.ConnectError, Nsp: "/random", Data: []byte(`{"message":"Invalid namespace"}`)}, `4/random,{"message":"Invalid namespace"}`},
	{"connect error legacy", parser.Packet{Type: parser.ConnectError, Nsp: "/", Data: []byte(`"Not authorized"`)}, `4"Not authorized"`},
	{"disconnect", parser.Packet{Type: parser.Disconnect, Nsp: "/"}, `1`},
	{"disconnect custom", parser.Packet{Type: parser.Disconnect, Nsp: "/admin"}, `1/admin,`},
	{"auth event", parser.Packet{Type: parser.Event, ID: parser.NoID, Data: []byte(`["auth",{}]`)}, `2["auth",{}]`},
	{"auth event custom", parser.Packet{Type: parser.Event, Nsp: "/custom", ID: parser.NoID, Data: []byte(`["auth",{"token":"abc"}]`)}, `2/custom,["auth",{"token":"abc"}]`},
	{"message-back", parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(`["message-back",1,"2",{"3":[true]}]`)}, `2["message-back",1,"2",{"3":[true]}]`},
	{"event with id", parser.Packet{Type: parser.Event, ID: 12, Data: []byte(`["foo"]`)}, `212["foo"]`},
	{"event with id 0", parser.Packet{Type: parser.Event, ID: 0, Data: []byte(`["foo"]`)}, `20["foo"]`},
	{"event custom with id", parser.Packet{Type: parser.Event, Nsp: "/admin", ID: 13, Data: []byte(`["foo"]`)}, `2/admin,13["foo"]`},
	{"ack", parser.Packet{Type: parser.Ack, ID: 456, Data: []byte(`[1,"2",{"3":[false]}]`)}, `3456[1,"2",{"3":[false]}]`},
	{"ack empty", parser.Packet{Type: parser.Ack, ID: 12, Data: []byte(`[]`)}, `312[]`},
	{"ack custom", parser.Packet{Type: parser.Ack, Nsp: "/admin", ID: 13, Data: []byte(`["bar"]`)}, `3/admin,13["bar"]`},
	{
		"binary event",
		parser.Packet{Type: parser.BinaryEvent, ID: parser.NoID, Data: []byte(`["message-back",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1, 2, 3}, {4, 5, 6}}},
		`52-["message-back",` + ph0 + `,` + ph1 + `]`,
	},
	{
		"binary event custom",
		parser.Packet{Type: parser.BinaryEvent, Nsp: "/admin", ID: parser.NoID, Data: []byte(`["baz",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1, 2}, {3, 4}}},
		`52-/admin,["baz",` + ph0 + `,` + ph1 + `]`,
	},
	{
		"binary event with id",
		parser.Packet{Type: parser.BinaryEvent, ID: 14, Data: []byte(`["foo",` + ph0 + `]`), Attachments: [][]byte{{1, 2, 3, 4}}},
		`51-14["foo",` + ph0 + `]`,
	},
	{
		"binary ack",
		parser.Packet{Type: parser.BinaryAck, ID: 789, Data: []byte(`[` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1, 2, 3}, {4, 5, 6}}},
		`62-789[` + ph0 + `,` + ph1 + `]`,
	},
	{
		"binary ack custom",
		parser.Packet{Type: parser.BinaryAck, Nsp: "/admin", ID: 1, Data: []byte(`[` + ph0 + `]`), Attachments: [][]byte{{1}}},
		`61-/admin,1[` + ph0 + `]`,
	},
	{"legacy query", parser.Packet{Type: parser.Connect, Nsp: "/admin", Query: "token=x"}, `0/admin?token=x,`},
	{"max id", parser.Packet{Type: parser.Event, ID: parser.MaxID, Data: []byte(`["a"]`)}, `29007199254740991["a"]`},
}

func TestEncode(t *testing.T) {
	for _, tt := range encodeCases {
		t.Run(tt.name, func(t *testing.T) {
			got := parser.Encode(&tt.p)
			if string(got) != tt.want {
				t.Fatalf("Encode = %q, want %q", got, tt.want)
			}
			if cap(got) < len(got) || len(got) > parser.EncodedLen(&tt.p) {
				t.Fatalf("EncodedLen %d < %d", parser.EncodedLen(&tt.p), len(got))
			}
			prefix := []byte("4")
			if app := parser.AppendEncode(prefix, &tt.p); string(app) != "4"+tt.want {
				t.Fatalf("AppendEncode = %q, want %q", app, "4"+tt.want)
			}
		})
	}
}

func TestAppendEncodeAllocs(t *testing.T) {
	p := &parser.Packet{Type: parser.Event, Nsp: "/chat", ID: 42, Data: []byte(`["message",1,"2",{"3":[true]}]`)}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = parser.AppendEncode(buf[:0], p)
	})
	if allocs != 0 {
		t.Fatalf("AppendEncode into a large enough buffer: %v allocs, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() { _ = parser.Encode(p) })
	if allocs != 1 {
		t.Fatalf("Encode: %v allocs, want 1", allocs)
	}
}
