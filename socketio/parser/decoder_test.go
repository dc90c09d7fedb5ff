package parser_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"rtserver/socketio/parser"
)

// msg is one Engine.IO message fed to a Decoder.
type msg struct {
	data   string
	binary bool
}

func text(s string) msg { return msg{s, false} }
func bin(b ...byte) msg { return msg{string(b), true} }

// feed adds msgs in order and returns the packet completed by the last one. With
// strict set, a packet completed earlier is an error.
func feed(d *parser.Decoder, msgs []msg, strict bool) (*parser.Packet, error) {
	var p *parser.Packet
	for i, m := range msgs {
		got, err := d.Add([]byte(m.data), m.binary)
		if err != nil {
			return nil, err
		}
		if strict && got != nil && i != len(msgs)-1 {
			return got, errors.New("packet completed before the last message")
		}
		p = got
	}
	return p, nil
}

// decodeCases are the client-sent packets of PROTOCOL_CONFORMANCE.md section 3 and
// the protocol document's table, without the Engine.IO "4".
var decodeCases = []struct {
	name string
	in   []msg
	want parser.Packet
}{
	{"connect", []msg{text(`0`)}, parser.Packet{Type: parser.Connect, Nsp: "/", ID: parser.NoID}},
	{"connect auth", []msg{text(`0{"token":"123"}`)}, parser.Packet{Type: parser.Connect, Nsp: "/", ID: parser.NoID, Data: []byte(`{"token":"123"}`)}},
	{"connect custom", []msg{text(`0/custom,`)}, parser.Packet{Type: parser.Connect, Nsp: "/custom", ID: parser.NoID}},
	{"connect custom auth", []msg{text(`0/custom,{"token":"abc"}`)}, parser.Packet{Type: parser.Connect, Nsp: "/custom", ID: parser.NoID, Data: []byte(`{"token":"abc"}`)}},
	{"connect custom no comma", []msg{text(`0/custom`)}, parser.Packet{Type: parser.Connect, Nsp: "/custom", ID: parser.NoID}},
	{"connect random", []msg{text(`0/random`)}, parser.Packet{Type: parser.Connect, Nsp: "/random", ID: parser.NoID}},
	{"connect explicit main", []msg{text(`0/,`)}, parser.Packet{Type: parser.Connect, Nsp: "/", ID: parser.NoID}},
	{"connect v5 keeps ?", []msg{text(`0/admin?x=1,`)}, parser.Packet{Type: parser.Connect, Nsp: "/admin?x=1", ID: parser.NoID}},
	{"disconnect", []msg{text(`1`)}, parser.Packet{Type: parser.Disconnect, Nsp: "/", ID: parser.NoID}},
	{"disconnect custom", []msg{text(`1/custom,`)}, parser.Packet{Type: parser.Disconnect, Nsp: "/custom", ID: parser.NoID}},
	{"disconnect custom no comma", []msg{text(`1/custom`)}, parser.Packet{Type: parser.Disconnect, Nsp: "/custom", ID: parser.NoID}},
	{
		"message", []msg{text(`2["message",1,"2",{"3":[true]}]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(`["message",1,"2",{"3":[true]}]`)},
	},
	{
		"message-with-ack", []msg{text(`2456["message-with-ack",1,"2",{"3":[false]}]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: 456, Data: []byte(`["message-with-ack",1,"2",{"3":[false]}]`)},
	},
	{
		"event custom with id", []msg{text(`2/admin,13["foo"]`)},
		parser.Packet{Type: parser.Event, Nsp: "/admin", ID: 13, Data: []byte(`["foo"]`)},
	},
	{
		"event id 0", []msg{text(`20["foo"]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: 0, Data: []byte(`["foo"]`)},
	},
	{
		"event max id", []msg{text(`29007199254740991["foo"]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.MaxID, Data: []byte(`["foo"]`)},
	},
	{
		"event whitespace kept inside, trimmed outside", []msg{text("2 [ \"a\" , 1 ]\n")},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(`[ "a" , 1 ]`)},
	},
	{
		"event name with escapes", []msg{text(`2["conn\u0065cted"]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(`["conn\u0065cted"]`)},
	},
	{
		"event placeholder-like object in plain event allowed when not a placeholder", []msg{text(`2["a",{"num":1,"x":{"_y":true}}]`)},
		parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(`["a",{"num":1,"x":{"_y":true}}]`)},
	},
	{"ack", []msg{text(`312[]`)}, parser.Packet{Type: parser.Ack, Nsp: "/", ID: 12, Data: []byte(`[]`)}},
	{"ack custom", []msg{text(`3/admin,13["bar"]`)}, parser.Packet{Type: parser.Ack, Nsp: "/admin", ID: 13, Data: []byte(`["bar"]`)}},
	{"connect error", []msg{text(`4{"message":"Not authorized"}`)}, parser.Packet{Type: parser.ConnectError, Nsp: "/", ID: parser.NoID, Data: []byte(`{"message":"Not authorized"}`)}},
	{
		"binary event", []msg{text(`52-["message",` + ph0 + `,` + ph1 + `]`), bin(1, 2, 3), bin(4, 5, 6)},
		parser.Packet{Type: parser.BinaryEvent, Nsp: "/", ID: parser.NoID, Data: []byte(`["message",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1, 2, 3}, {4, 5, 6}}},
	},
	{
		"binary event with ack", []msg{text(`52-789["message-with-ack",` + ph0 + `,` + ph1 + `]`), bin(1, 2, 3), bin(4, 5, 6)},
		parser.Packet{Type: parser.BinaryEvent, Nsp: "/", ID: 789, Data: []byte(`["message-with-ack",` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{{1, 2, 3}, {4, 5, 6}}},
	},
	{
		"binary event custom", []msg{text(`52-/admin,["baz",` + ph1 + `,` + ph0 + `]`), bin(1, 2), bin(3, 4)},
		parser.Packet{Type: parser.BinaryEvent, Nsp: "/admin", ID: parser.NoID, Data: []byte(`["baz",` + ph1 + `,` + ph0 + `]`), Attachments: [][]byte{{1, 2}, {3, 4}}},
	},
	{
		"binary placeholder nested, reordered, reused", []msg{text(`51-["a",{"x":[{"num":0 ,"_placeholder":true}]},` + ph0 + `]`), bin(9)},
		parser.Packet{Type: parser.BinaryEvent, Nsp: "/", ID: parser.NoID, Data: []byte(`["a",{"x":[{"num":0 ,"_placeholder":true}]},` + ph0 + `]`), Attachments: [][]byte{{9}}},
	},
	{
		"binary ack", []msg{text(`61-15["bar",` + ph0 + `]`), bin(1, 2, 3, 4)},
		parser.Packet{Type: parser.BinaryAck, Nsp: "/", ID: 15, Data: []byte(`["bar",` + ph0 + `]`), Attachments: [][]byte{{1, 2, 3, 4}}},
	},
	{
		"binary ack custom", []msg{text(`61-/admin,1[` + ph0 + `]`), bin()},
		parser.Packet{Type: parser.BinaryAck, Nsp: "/admin", ID: 1, Data: []byte(`[` + ph0 + `]`), Attachments: [][]byte{{}}},
	},
}

func TestDecoderConformance(t *testing.T) {
	for _, tt := range decodeCases {
		t.Run(tt.name, func(t *testing.T) {
			d := parser.NewDecoder(parser.DecoderConfig{})
			got, err := feed(d, tt.in, true)
			if err != nil {
				t.Fatalf("Add: %v", err)
			}
			if got == nil {
				t.Fatal("no packet")
			}
			if d.Waiting() {
				t.Fatal("Waiting after a complete packet")
			}
			if got.Attachments == nil && tt.want.Attachments == nil {
				got.Attachments = nil
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestDecoderWaiting(t *testing.T) {
	d := parser.NewDecoder(parser.DecoderConfig{})
	steps := []struct {
		m       msg
		done    bool
		waiting bool
	}{
		{text(`52-["a",` + ph0 + `,` + ph1 + `]`), false, true},
		{bin(1), false, true},
		{bin(2), true, false},
		{text(`2["b"]`), true, false},
		{text(`61-3[` + ph0 + `]`), false, true},
		{bin(3), true, false},
	}
	for i, s := range steps {
		p, err := d.Add([]byte(s.m.data), s.m.binary)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if (p != nil) != s.done || d.Waiting() != s.waiting {
			t.Fatalf("step %d: packet %v waiting %v, want %v %v", i, p != nil, d.Waiting(), s.done, s.waiting)
		}
	}
	d.Add([]byte(`51-["a",`+ph0+`]`), false)
	d.Reset()
	if d.Waiting() {
		t.Fatal("Waiting after Reset")
	}
	if _, err := d.Add([]byte{1}, true); !errors.Is(err, parser.ErrUnexpectedBinary) {
		t.Fatalf("binary after Reset: %v", err)
	}
}

// TestRoundTrip decodes each conformance packet, rebuilds the reply the reference
// server sends, and checks the bytes.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		in      []msg
		replace string // new first element; "" drops it (ack)
		want    string
	}{
		{[]msg{text(`2["message",1,"2",{"3":[true]}]`)}, `"message-back"`, `2["message-back",1,"2",{"3":[true]}]`},
		{[]msg{text(`2["message",{"b":1,"a":[1.0,2e3,-0,"\u00e9"]},null]`)}, `"message-back"`, `2["message-back",{"b":1,"a":[1.0,2e3,-0,"\u00e9"]},null]`},
		{[]msg{text(`2["message", { "a" : [ 1 , true ] } , "x y"]`)}, `"message-back"`, `2["message-back",{"a":[1,true]},"x y"]`},
		{[]msg{text(`2456["message-with-ack",1,"2",{"3":[false]}]`)}, "", `3456[1,"2",{"3":[false]}]`},
		{[]msg{text(`52-["message",` + ph0 + `,` + ph1 + `]`), bin(1, 2, 3), bin(4, 5, 6)}, `"message-back"`, `52-["message-back",` + ph0 + `,` + ph1 + `]`},
		{[]msg{text(`52-789["message-with-ack",` + ph0 + `,` + ph1 + `]`), bin(1, 2, 3), bin(4, 5, 6)}, "", `62-789[` + ph0 + `,` + ph1 + `]`},
	}
	for _, tt := range tests {
		d := parser.NewDecoder(parser.DecoderConfig{})
		in, err := feed(d, tt.in, true)
		if err != nil || in == nil {
			t.Fatalf("%q: %v", tt.in[0].data, err)
		}
		args, err := parser.SplitArray(in.Data, 32)
		if err != nil {
			t.Fatalf("SplitArray: %v", err)
		}
		out := &parser.Packet{Type: in.Type, Nsp: in.Nsp, ID: parser.NoID, Attachments: in.Attachments}
		if tt.replace != "" {
			args[0] = []byte(tt.replace)
		} else {
			args = args[1:]
			out.ID = in.ID
			out.Type = map[parser.Type]parser.Type{parser.Event: parser.Ack, parser.BinaryEvent: parser.BinaryAck}[in.Type]
		}
		out.Data = parser.AppendArray(nil, args)
		if got := string(parser.Encode(out)); got != tt.want {
			t.Fatalf("reply %q, want %q", got, tt.want)
		}
		for i, a := range out.Attachments {
			if !bytes.Equal(a, in.Attachments[i]) {
				t.Fatalf("attachment %d changed", i)
			}
		}
	}
}

func TestDecoderLegacy(t *testing.T) {
	tests := []struct {
		in         string
		nsp, query string
		data       string
	}{
		{`0/admin?token=x,`, "/admin", "token=x", ""},
		{`0/admin?token=x&a=%2C`, "/admin", "token=x&a=%2C", ""},
		{`0/admin?`, "/admin", "", ""},
		{`0/admin,`, "/admin", "", ""},
		{`0`, "/", "", ""},
		{`4"Not authorized"`, "/", "", `"Not authorized"`},
		{`4/admin,{"message":"x"}`, "/admin", "", `{"message":"x"}`},
	}
	for _, tt := range tests {
		d := parser.NewDecoder(parser.DecoderConfig{Legacy: true})
		p, err := d.Add([]byte(tt.in), false)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if p.Nsp != tt.nsp || p.Query != tt.query || string(p.Data) != tt.data {
			t.Fatalf("%q: nsp %q query %q data %q", tt.in, p.Nsp, p.Query, p.Data)
		}
	}
	// v5 refuses the legacy string form and the "?" stays in the namespace.
	d := parser.NewDecoder(parser.DecoderConfig{})
	if _, err := d.Add([]byte(`4"Not authorized"`), false); !errors.Is(err, parser.ErrInvalidPayload) {
		t.Fatalf("v5 string CONNECT_ERROR: %v", err)
	}
	if _, err := d.Add([]byte(`0?x,`), false); err == nil {
		t.Fatal("namespace not starting with / accepted")
	}
}

// badCases are the Socket.IO rows of SECURITY_CASES.md plus the contract's
// validation rules. Every one must be rejected with the given error.
var badCases = []struct {
	name string
	in   []msg
	want error
}{
	{"empty", []msg{text(``)}, parser.ErrUnknownType},
	{"442[\"some\",\"data\" (connect error with id)", []msg{text(`442["some","data"`)}, parser.ErrInvalidAckID},
	{"42[\"some\",\"data\" (unterminated)", []msg{text(`42["some","data"`)}, parser.ErrInvalidAckID},
	{"2[\"some\",\"data\" (unterminated event)", []msg{text(`2["some","data"`)}, parser.ErrInvalidJSON},
	{"connect string", []msg{text(`0/admin,"invalid"`)}, parser.ErrInvalidPayload},
	{"connect array", []msg{text(`0[]`)}, parser.ErrInvalidPayload},
	{"connect null", []msg{text(`0null`)}, parser.ErrInvalidPayload},
	{"connect with id", []msg{text(`01{}`)}, parser.ErrInvalidAckID},
	{"disconnect with data", []msg{text(`1/admin,{}`)}, parser.ErrInvalidPayload},
	{"event object", []msg{text(`2/admin,{}`)}, parser.ErrInvalidPayload},
	{"event first element object", []msg{text(`2[{"toString":"foo"}]`)}, parser.ErrInvalidPayload},
	{"event first element true", []msg{text(`2[true,"foo"]`)}, parser.ErrInvalidPayload},
	{"event first element null", []msg{text(`2[null,"bar"]`)}, parser.ErrInvalidPayload},
	{"event first element number", []msg{text(`2[1]`)}, parser.ErrInvalidPayload},
	{"event empty array", []msg{text(`2[]`)}, parser.ErrInvalidPayload},
	{"event no payload", []msg{text(`2`)}, parser.ErrInvalidPayload},
	{"event no payload custom", []msg{text(`2/admin,`)}, parser.ErrInvalidPayload},
	{"event no payload with id", []msg{text(`212`)}, parser.ErrInvalidPayload},
	{"reserved connect", []msg{text(`2["connect"]`)}, parser.ErrReservedEvent},
	{"reserved disconnect", []msg{text(`2["disconnect","123"]`)}, parser.ErrReservedEvent},
	{"reserved connect_error", []msg{text(`2["connect_error"]`)}, parser.ErrReservedEvent},
	{"reserved disconnecting", []msg{text(`2/admin,["disconnecting"]`)}, parser.ErrReservedEvent},
	{"reserved newListener", []msg{text(`21["newListener"]`)}, parser.ErrReservedEvent},
	{"reserved removeListener", []msg{text(`2["removeListener"]`)}, parser.ErrReservedEvent},
	{"reserved escaped", []msg{text(`2["c\u006fnnect"]`)}, parser.ErrReservedEvent},
	{"reserved binary", []msg{text(`51-["disconnect",` + ph0 + `]`)}, parser.ErrReservedEvent},
	{"unknown type 9", []msg{text(`999`)}, parser.ErrUnknownType},
	{"unknown type 7", []msg{text(`7["a"]`)}, parser.ErrUnknownType},
	{"unknown type abc", []msg{text(`abc`)}, parser.ErrUnknownType},
	{"unknown type after connect", []msg{text(`0`), text(`abc`)}, parser.ErrUnknownType},
	{"event not array 2{}", []msg{text(`2{}`)}, parser.ErrInvalidPayload},
	{"ack id not a number", []msg{text(`2abc["message-with-ack",1]`)}, parser.ErrInvalidJSON},
	{"ack id above 2^53-1", []msg{text(`29007199254740992["a"]`)}, parser.ErrInvalidAckID},
	{"ack id huge", []msg{text(`2` + strings.Repeat("9", 100) + `["a"]`)}, parser.ErrInvalidAckID},
	{"ack id fraction", []msg{text(`21.5["a"]`)}, parser.ErrInvalidJSON},
	{"ack id negative", []msg{text(`2-1["a"]`)}, parser.ErrInvalidPayload},
	{"ack without id", []msg{text(`3["a"]`)}, parser.ErrInvalidAckID},
	{"ack not array", []msg{text(`31{}`)}, parser.ErrInvalidPayload},
	{"ack no payload", []msg{text(`31`)}, parser.ErrInvalidPayload},
	{"binary ack without id", []msg{text(`61-[` + ph0 + `]`)}, parser.ErrInvalidAckID},
	{"connect error no payload", []msg{text(`4`)}, parser.ErrInvalidPayload},
	{"connect error array", []msg{text(`4[]`)}, parser.ErrInvalidPayload},
	{"binary header missing", []msg{text(`5`)}, parser.ErrInvalidAttachments},
	{"binary header no dash", []msg{text(`51`)}, parser.ErrInvalidAttachments},
	{"binary header no dash with data", []msg{text(`51["a"]`)}, parser.ErrInvalidAttachments},
	{"binary header letter", []msg{text(`5a-`)}, parser.ErrInvalidAttachments},
	{"binary header decimal", []msg{text(`51.23-`)}, parser.ErrInvalidAttachments},
	{"binary header zero", []msg{text(`50-["a"]`)}, parser.ErrInvalidAttachments},
	{"binary header only dash", []msg{text(`5-["a"]`)}, parser.ErrInvalidAttachments},
	{"binary too many attachments", []msg{text(`511-["a"]`)}, parser.ErrTooManyAttachments},
	{"binary huge count", []msg{text(`5` + strings.Repeat("9", 1000) + `-["a"]`)}, parser.ErrTooManyAttachments},
	{"binary no payload", []msg{text(`51-`)}, parser.ErrInvalidPayload},
	{"placeholder num out of range", []msg{text(`51-["a",{"_placeholder":true,"num":1}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num large", []msg{text(`51-["a",{"_placeholder":true,"num":99999999999}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num negative", []msg{text(`51-["a",{"_placeholder":true,"num":-1}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num fraction", []msg{text(`51-["a",{"_placeholder":true,"num":0.5}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num exponent", []msg{text(`51-["a",{"_placeholder":true,"num":0e1}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num string", []msg{text(`51-["a",{"_placeholder":true,"num":"0"}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num splice", []msg{text(`51-["a",{"_placeholder":true,"num":"splice"}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num missing", []msg{text(`51-["a",{"_placeholder":true}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num object", []msg{text(`51-["a",{"_placeholder":true,"num":{}}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num object first", []msg{text(`51-["a",{"num":{},"_placeholder":true}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder num twice", []msg{text(`51-["a",{"_placeholder":true,"num":0,"num":0}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder marker twice", []msg{text(`51-["a",{"_placeholder":true,"_placeholder":true}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder extra member", []msg{text(`51-["a",{"_placeholder":true,"num":0,"x":1}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder marker false", []msg{text(`51-["a",{"_placeholder":false,"num":0}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder marker string", []msg{text(`51-["a",{"_placeholder":"true","num":0}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder escaped key", []msg{text(`51-["a",{"_placeholde\u0072":true,"num":1}]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder attachment unused", []msg{text(`52-["a",` + ph0 + `]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder none", []msg{text(`51-["a"]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder in plain event", []msg{text(`2["a",` + ph0 + `]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder in plain ack", []msg{text(`31[` + ph0 + `]`)}, parser.ErrInvalidPlaceholder},
	{"placeholder as event name", []msg{text(`51-[` + ph0 + `]`)}, parser.ErrInvalidPayload},
	{"too few binary frames", []msg{text(`52-["a",` + ph0 + `,` + ph1 + `]`), bin(1), text(`2["b"]`)}, parser.ErrMissingAttachments},
	{"extra binary frame", []msg{text(`51-["a",` + ph0 + `]`), bin(1), bin(2)}, parser.ErrUnexpectedBinary},
	{"binary without packet", []msg{bin(1, 2, 3)}, parser.ErrUnexpectedBinary},
	{"binary after plain event", []msg{text(`2["a"]`), bin(1)}, parser.ErrUnexpectedBinary},
	{"json too deep", []msg{text(`2["a",` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `]`)}, parser.ErrTooDeep},
	{"json too deep objects", []msg{text(`0` + strings.Repeat(`{"a":`, 33) + `1` + strings.Repeat("}", 33))}, parser.ErrTooDeep},
	{"1 MB of [ as event payload", []msg{text(`2` + strings.Repeat("[", 1<<20))}, parser.ErrInvalidPayload},
	{"1 MB of [ as event argument", []msg{text(`2["a",` + strings.Repeat("[", 1<<20))}, parser.ErrTooDeep},
	{"1 MB of [ as ack payload", []msg{text(`31` + strings.Repeat("[", 1<<20))}, parser.ErrTooDeep},
	{"1 MB of { as connect payload", []msg{text(`0` + strings.Repeat(`{"a":`, 1<<18))}, parser.ErrTooDeep},
	{"1 MB of [", []msg{text(strings.Repeat("[", 1<<20))}, parser.ErrUnknownType},
	{"trailing garbage", []msg{text(`2["a"]x`)}, parser.ErrInvalidJSON},
	{"two values", []msg{text(`2["a"]["b"]`)}, parser.ErrInvalidJSON},
	{"trailing comma", []msg{text(`2["a",]`)}, parser.ErrInvalidJSON},
	{"single quotes", []msg{text(`2['a']`)}, parser.ErrInvalidJSON},
	{"invalid escape", []msg{text(`2["a\x"]`)}, parser.ErrInvalidJSON},
	{"raw control char", []msg{text("2[\"a\tb\"]")}, parser.ErrInvalidJSON},
	{"invalid utf-8", []msg{text("2[\"a\xff\"]")}, parser.ErrInvalidJSON},
	{"leading zero", []msg{text(`2["a",01]`)}, parser.ErrInvalidJSON},
	{"bare minus", []msg{text(`2["a",-]`)}, parser.ErrInvalidJSON},
	{"NaN", []msg{text(`2["a",NaN]`)}, parser.ErrInvalidJSON},
	{"truncated literal", []msg{text(`2["a",tru]`)}, parser.ErrInvalidJSON},
	{"namespace too long", []msg{text(`0/` + strings.Repeat("a", 300) + `,`)}, parser.ErrInvalidNamespace},
	{"namespace control char", []msg{text("0/a\nb,")}, parser.ErrInvalidNamespace},
	{"namespace invalid utf-8", []msg{text("0/a\xffb,")}, parser.ErrInvalidNamespace},
	{"namespace without slash", []msg{text(`0admin,{}`)}, parser.ErrInvalidJSON},
}

func TestDecoderRejects(t *testing.T) {
	for _, tt := range badCases {
		t.Run(tt.name, func(t *testing.T) {
			d := parser.NewDecoder(parser.DecoderConfig{})
			p, err := feed(d, tt.in, false)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (packet %+v), want %v", err, p, tt.want)
			}
			if !errors.Is(err, parser.ErrInvalid) || parser.ErrorCode(err) == "" {
				t.Fatalf("%v does not wrap ErrInvalid or has no code", err)
			}
			if p != nil {
				t.Fatalf("packet returned with error: %+v", p)
			}
		})
	}
}

func TestDecoderLimits(t *testing.T) {
	d := parser.NewDecoder(parser.DecoderConfig{MaxAttachments: 2, MaxDepth: 3, MaxNamespaceLen: 4})
	ok := []string{`0/abc,`, `2["a",[[1]]]`, `52-["a",` + ph0 + `,` + ph1 + `]`}
	for _, in := range ok {
		if _, err := d.Add([]byte(in), false); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		d.Reset()
	}
	bad := map[string]error{
		`0/abcd,`:              parser.ErrInvalidNamespace,
		`2["a",[[[1]]]]`:       parser.ErrTooDeep,
		`53-["a",` + ph0 + `]`: parser.ErrTooManyAttachments,
	}
	for in, want := range bad {
		if _, err := d.Add([]byte(in), false); !errors.Is(err, want) {
			t.Fatalf("%q: %v, want %v", in, err, want)
		}
	}
}

func TestDecodeEventAllocs(t *testing.T) {
	d := parser.NewDecoder(parser.DecoderConfig{})
	in := []byte(`2/chat,12["message",1,"2",{"3":[true]}]`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.Add(in, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Fatalf("decode event: %v allocs, want <= 1 (the Packet)", allocs)
	}
}
