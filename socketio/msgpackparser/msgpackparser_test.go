package msgpackparser

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"rtserver/socketio/parser"
)

// pkt writes a packet map the way socket.io-client does (keys in its order,
// including the "options" it adds to events).
func pkt(t testing.TB, kv ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	_ = e.EncodeMapLen(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		_ = e.EncodeString(kv[i].(string))
		if err := e.Encode(kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func decode(t testing.TB, b []byte) (*parser.Packet, error) {
	t.Helper()
	return Parser.NewDecoder(parser.DecoderConfig{}).Add(b, true)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		typ  parser.Type
		nsp  string
		id   int64
		data string
		atts int
	}{
		{"connect without auth", pkt(t, "type", 0, "nsp", "/"), parser.Connect, "/", parser.NoID, "", 0},
		{"connect with auth", pkt(t, "type", 0, "data", map[string]any{"token": "x"}, "nsp", "/admin"), parser.Connect, "/admin", parser.NoID, `{"token":"x"}`, 0},
		{"event with options", pkt(t, "type", 2, "data", []any{"chat", "hi", 1.5}, "options", map[string]any{"compress": true}, "nsp", "/"), parser.Event, "/", parser.NoID, `["chat","hi",1.5]`, 0},
		{"event with ack and bin", pkt(t, "type", 2, "data", []any{"up", []byte{1, 2}}, "nsp", "/", "id", 7), parser.BinaryEvent, "/", 7, `["up",{"_placeholder":true,"num":0}]`, 1},
		{"ack", pkt(t, "type", 3, "data", []any{"ok"}, "nsp", "/", "id", 0), parser.Ack, "/", 0, `["ok"]`, 0},
		{"disconnect", pkt(t, "type", 1, "nsp", "/x"), parser.Disconnect, "/x", parser.NoID, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decode(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Type != tt.typ || p.Nsp != tt.nsp || p.ID != tt.id || string(p.Data) != tt.data || len(p.Attachments) != tt.atts {
				t.Fatalf("got %v %q %d %s %d", p.Type, p.Nsp, p.ID, p.Data, len(p.Attachments))
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	many := make([]any, 12)
	many[0] = "e"
	for i := 1; i < len(many); i++ {
		many[i] = []byte{byte(i)}
	}
	for name, in := range map[string][]byte{
		"not a map":          {0x92, 0x01, 0x02},
		"truncated":          pkt(t, "type", 2, "data", []any{"e"}, "nsp", "/")[:8],
		"type out of range":  pkt(t, "type", 5, "data", []any{"e"}, "nsp", "/"),
		"no type":            pkt(t, "nsp", "/"),
		"namespace with ','": pkt(t, "type", 2, "data", []any{"e"}, "nsp", "/a,1"),
		"no namespace":       pkt(t, "type", 2, "data", []any{"e"}),
		"reserved event":     pkt(t, "type", 2, "data", []any{"disconnect"}, "nsp", "/"),
		"event not an array": pkt(t, "type", 2, "data", "e", "nsp", "/"),
		"ack without id":     pkt(t, "type", 3, "data", []any{}, "nsp", "/"),
		"too many bins":      pkt(t, "type", 2, "data", many, "nsp", "/"),
		"bin in connect":     pkt(t, "type", 0, "data", map[string]any{"b": []byte{1}}, "nsp", "/"),
		"negative id":        pkt(t, "type", 2, "data", []any{"e"}, "nsp", "/", "id", -1),
		"bin beyond message": append(pkt(t, "type", 2, "nsp", "/")[:1:1], append([]byte{0xa4, 'd', 'a', 't', 'a', 0x92, 0xa1, 'e', 0xc6, 0xff, 0xff, 0xff, 0xf0}, pkt(t, "type", 2, "nsp", "/")[1:]...)...),
	} {
		if _, err := decode(t, in); !errors.Is(err, parser.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Parser.NewDecoder(parser.DecoderConfig{}).Add([]byte(`2["e"]`), false); !errors.Is(err, parser.ErrInvalid) {
		t.Errorf("text message: %v", err)
	}
}

// TestEncode pins the bytes the server sends, as socket.io-msgpack-parser's decoder
// reads them: a map of type, data, nsp and id, binary inline.
func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		p    parser.Packet
		hex  string
	}{
		{"connect reply", parser.Packet{Type: parser.Connect, Nsp: "/", ID: parser.NoID, Data: []byte(`{"sid":"a"}`)},
			"83a474797065" + "00" + "a464617461" + "81a3736964a161" + "a36e7370a12f"},
		{"binary event with ack", parser.Packet{Type: parser.BinaryEvent, Nsp: "/x", ID: 3, Data: []byte(`["b",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{9}}},
			"84a474797065" + "02" + "a464617461" + "92a162c40109" + "a36e7370a22f78" + "a26964" + "03"},
		{"disconnect", parser.Packet{Type: parser.Disconnect, Nsp: "/", ID: parser.NoID},
			"82a474797065" + "01" + "a36e7370a12f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, binary, rest, err := Parser.AppendEncode(nil, &tt.p)
			if err != nil || !binary || rest != nil {
				t.Fatalf("%v %v %v", err, binary, rest)
			}
			if got := hex.EncodeToString(b); got != tt.hex {
				t.Fatalf("got  %s\nwant %s", got, tt.hex)
			}
			back, err := decode(t, b)
			if tt.p.Type == parser.Connect {
				return // a server packet the server never receives
			}
			if err != nil || back.Nsp != tt.p.Nsp || string(back.Data) != string(tt.p.Data) || len(back.Attachments) != len(tt.p.Attachments) {
				t.Fatalf("round trip %+v %v", back, err)
			}
		})
	}
}
