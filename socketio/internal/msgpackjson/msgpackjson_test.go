package msgpackjson

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// The hex forms below are what notepack.io (Node's adapter) writes for the same JS
// values, taken from observed traffic.
func TestJSONToMsgpackMatchesNotepack(t *testing.T) {
	tests := []struct {
		name, json string
		atts       [][]byte
		hex        string
	}{
		{"ints and floats", `[1,2.5,-1,1099511627776,1.0]`, nil, "9501cb4004000000000000ffcf000001000000000001"},
		{"string and null", `["a",null,true]`, nil, "93a161c0c3"},
		{"object order kept", `{"b":1,"a":2}`, nil, "82a16201a16102"},
		{"placeholder to bin", `["x",{"_placeholder":true,"num":0}]`, [][]byte{{1, 2}}, "92a178c4020102"},
		{"placeholder out of range stays an object", `{"_placeholder":true,"num":3}`, nil, "82ac5f706c616365686f6c646572c3a36e756d03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(msgpack.NewEncoder(&buf), []byte(tt.json), tt.atts); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(buf.Bytes()); got != tt.hex {
				t.Fatalf("got %s want %s", got, tt.hex)
			}
		})
	}
}

func TestMsgpackToJSON(t *testing.T) {
	tests := []struct {
		name, hex, json string
		atts            int
	}{
		{"notepack values", "96c0d6ff0000000001cb4004000000000000ffcf0000010000000000", `[null,"1970-01-01T00:00:00.000Z",1,2.5,-1,1099511627776]`, 0},
		{"bin to placeholder", "92a178c4020102", `["x",{"_placeholder":true,"num":0}]`, 1},
		{"map keeps order", "82a16201a16102", `{"b":1,"a":2}`, 0},
		{"string escapes", "a3223c0a", `"\"<\n"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := hex.DecodeString(tt.hex)
			got, atts, err := ToJSON(raw)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.json || len(atts) != tt.atts {
				t.Fatalf("got %s (%d atts) want %s (%d)", got, len(atts), tt.json, tt.atts)
			}
		})
	}
}

func TestMsgpackToJSONRejectsHostileInput(t *testing.T) {
	deep := bytes.Repeat([]byte{0x91}, maxDepth+2)
	deep = append(deep, 0xc0)
	for name, raw := range map[string][]byte{
		"too deep":       deep,
		"truncated":      {0x92, 0x01},
		"huge array len": {0xdd, 0xff, 0xff, 0xff, 0xff},
		"bad ext size":   {0xc7, 0xff, 0x05},
	} {
		if _, _, err := ToJSON(raw); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzMsgpackToJSON(f *testing.F) {
	for _, h := range []string{"96c0d6ff0000000001cb4004000000000000ffcf0000010000000000", "92a178c4020102", "82a16201a16102"} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		js, atts, err := ToJSON(raw)
		if err != nil {
			return
		}
		// Whatever decodes must encode back (the JSON is valid, placeholders resolve).
		var buf bytes.Buffer
		if err := Encode(msgpack.NewEncoder(&buf), js, atts); err != nil {
			t.Fatalf("re-encode %s: %v", js, err)
		}
	})
}
