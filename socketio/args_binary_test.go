package socketio

import (
	"bytes"
	"testing"

	"rtserver/socketio/parser"
)

// upload has binary fields at several depths, as socket.io-client sends
// {name, file: Buffer, parts: [Buffer, ...], meta: {thumb: Buffer}}.
type upload struct {
	Name  string   `json:"name"`
	File  []byte   `json:"file"`
	Parts [][]byte `json:"parts"`
	Meta  struct {
		Thumb []byte `json:"thumb,omitempty"`
	} `json:"meta"`
	Skip []byte `json:"-"`
}

// Decode hands nested attachments to []byte fields, wherever they are.
func TestArgsDecodeNestedBinary(t *testing.T) {
	raw := `[{"name":"f","file":{"_placeholder":true,"num":0},` +
		`"parts":[{"_placeholder":true,"num":2},{"_placeholder":true,"num":1}],"meta":{"thumb":{"_placeholder":true,"num":3}}}]`
	a, err := ParseArgs([]byte(raw), [][]byte{{1, 2}, {3}, {4, 5, 6}, {}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var u upload
	if err := a.Decode(0, &u); err != nil {
		t.Fatal(err)
	}
	if u.Name != "f" || !bytes.Equal(u.File, []byte{1, 2}) || len(u.Parts) != 2 ||
		!bytes.Equal(u.Parts[0], []byte{4, 5, 6}) || !bytes.Equal(u.Parts[1], []byte{3}) || u.Meta.Thumb == nil {
		t.Fatalf("decoded %+v", u)
	}
	// A top-level binary argument decodes into []byte too.
	b, _ := ParseArgs([]byte(`[{"_placeholder":true,"num":0}]`), [][]byte{{7}}, 0)
	var one []byte
	if err := b.Decode(0, &one); err != nil || !bytes.Equal(one, []byte{7}) {
		t.Fatalf("top-level: %v %v", one, err)
	}
	// A placeholder with no attachment stays an object (and fails to decode into []byte).
	c, _ := ParseArgs([]byte(`[{"_placeholder":true,"num":5}]`), [][]byte{{7}}, 0)
	if err := c.Decode(0, &one); err == nil {
		t.Fatal("dangling placeholder decoded")
	}
}

// Emitting a struct, map or slice with []byte inside sends real attachments, as
// Node's server does for Buffers nested in objects and arrays.
func TestEmitNestedBinary(t *testing.T) {
	u := upload{Name: "f", File: []byte{1, 2}, Parts: [][]byte{{3}, {4}}, Skip: []byte{9}}
	u.Meta.Thumb = []byte{5}
	cases := []struct {
		name string
		args []any
		want string
		atts [][]byte
	}{
		{"struct", []any{u},
			`54-["e",{"name":"f","file":{"_placeholder":true,"num":0},"parts":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}],"meta":{"thumb":{"_placeholder":true,"num":3}}}]`,
			[][]byte{{1, 2}, {3}, {4}, {5}}},
		{"pointer and map", []any{[]byte{0}, map[string]any{"u": &upload{File: []byte{6}}, "n": 1}},
			`52-["e",{"_placeholder":true,"num":0},{"n":1,"u":{"name":"","file":{"_placeholder":true,"num":1},"parts":null,"meta":{}}}]`,
			[][]byte{{0}, {6}}},
		{"slice of any", []any{[]any{"x", []byte{7}, map[string][]byte{"k": {8}}}},
			`52-["e",["x",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":1}}]]`,
			[][]byte{{7}, {8}}},
		{"no binary inside", []any{upload{Name: "n"}}, `2["e",{"name":"n","file":null,"parts":null,"meta":{}}]`, nil},
		{"base64 look-alike string stays", []any{map[string]string{"s": "AAAA"}}, `2["e",{"s":"AAAA"}]`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := eventPacket("/", "e", tc.args, parser.NoID)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(parser.Encode(p)); got != tc.want || len(p.Attachments) != len(tc.atts) {
				t.Fatalf("got %s (%d attachments), want %s", got, len(p.Attachments), tc.want)
			}
			for i, a := range tc.atts {
				if !bytes.Equal(p.Attachments[i], a) {
					t.Fatalf("attachment %d: %v, want %v", i, p.Attachments[i], a)
				}
			}
		})
	}
	// Acks too, and the caller's value is left as it was.
	p, err := ackPacket("/", 1, []any{u})
	if err != nil || p.Type != parser.BinaryAck || len(p.Attachments) != 4 {
		t.Fatalf("ack: %v %v", p, err)
	}
	if !bytes.Equal(u.File, []byte{1, 2}) || !bytes.Equal(u.Parts[1], []byte{4}) {
		t.Fatalf("caller's value changed: %+v", u)
	}
}

// A placeholder whose attachment is missing is kept, the rest decodes.
func TestArgsDecodeKeepsDanglingPlaceholder(t *testing.T) {
	a, _ := ParseArgs([]byte(`[{"a":{"_placeholder":true,"num":0},"b":{"_placeholder":true,"num":9},"c":1}]`), [][]byte{{1}}, 0)
	var v struct {
		A []byte         `json:"a"`
		B map[string]any `json:"b"`
		C int            `json:"c"`
	}
	if err := a.Decode(0, &v); err != nil || !bytes.Equal(v.A, []byte{1}) || v.B["num"] != float64(9) || v.C != 1 {
		t.Fatalf("%+v %v", v, err)
	}
}
