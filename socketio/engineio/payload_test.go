package engineio

import (
	"bytes"
	"strings"
	"testing"
)

func TestDecodePayloadV4(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []packet
	}{
		{"message", "4hello", []packet{{typ: '4', data: []byte("hello")}}},
		{"three", "4test1\x1e4test2\x1e4test3", []packet{
			{typ: '4', data: []byte("test1")}, {typ: '4', data: []byte("test2")}, {typ: '4', data: []byte("test3")}}},
		{"binary", "4hello\x1ebAQIDBA==", []packet{
			{typ: '4', data: []byte("hello")}, {typ: '4', binary: true, data: []byte{1, 2, 3, 4}}}},
		{"empty binary", "b", []packet{{typ: '4', binary: true, data: []byte{}}}},
		{"pong close", "3\x1e1", []packet{{typ: '3', data: []byte{}}, {typ: '1', data: []byte{}}}},
		{"ping probe", "2probe", []packet{{typ: '2', data: []byte("probe")}}},
		{"utf8", "4€€\x1e4й", []packet{{typ: '4', data: []byte("€€")}, {typ: '4', data: []byte("й")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePayloadV4([]byte(tt.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d packets, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].typ != tt.want[i].typ || got[i].binary != tt.want[i].binary || !bytes.Equal(got[i].data, tt.want[i].data) {
					t.Errorf("packet %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDecodePayloadV4Bad(t *testing.T) {
	bad := map[string]string{
		"empty":         "",
		"invalid":       "invalid",
		"type 9":        "9",
		"abc":           "abc",
		"trailing sep":  "4a\x1e",
		"leading sep":   "\x1e4a",
		"empty between": "4a\x1e\x1e4b",
		"bad base64":    "b!!!",
		"too many":      strings.Repeat("4a\x1e", maxPayloadPackets) + "4a",
		"10k packets":   strings.Repeat("6\x1e", 10000) + "6",
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := decodePayloadV4([]byte(in), nil); err == nil {
				t.Errorf("decodePayloadV4(%.40q) accepted", in)
			}
		})
	}
}

func TestAppendPayloadV4(t *testing.T) {
	pkts := []outPacket{
		{typ: typeOpen, data: `{"sid":"x"}`},
		{frame: NewFrame([]byte("hello"), false)},
		{frame: NewFrame([]byte{1, 2, 3, 4}, true)},
		{typ: typePing},
	}
	got := string(appendPayloadV4(nil, pkts))
	want := "0{\"sid\":\"x\"}\x1e4hello\x1ebAQIDBA==\x1e2"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendOpen(t *testing.T) {
	cfg := fastConfig().withDefaults()
	got := string(appendOpen(nil, "abc", true, &cfg, 4))
	want := `{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`
	if got != want {
		t.Errorf("v4 open = %s", got)
	}
	got = string(appendOpen(nil, "abc", false, &cfg, 3))
	want = `{"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200}`
	if got != want {
		t.Errorf("v3 open = %s", got)
	}
}

// FuzzDecodePayload checks that no v4 polling payload panics or decodes into more data
// than it holds, and that decoded text packets re-encode to the input.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello", "4a\x1e4b", "bAQIDBA==", "2probe\x1e3", "", "\x1e", "9", "b="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pkts, err := decodePayloadV4(in, nil)
		if err != nil {
			return
		}
		total := 0
		for _, p := range pkts {
			total += len(p.data)
		}
		if total > len(in) || len(pkts) > maxPayloadPackets {
			t.Fatalf("decoded %d bytes in %d packets from %d", total, len(pkts), len(in))
		}
		var out []outPacket
		for _, p := range pkts {
			if p.binary {
				out = append(out, outPacket{frame: NewFrame(p.data, true)})
			} else {
				out = append(out, outPacket{typ: p.typ, data: string(p.data)})
			}
		}
		re := appendPayloadV4(nil, out)
		again, err := decodePayloadV4(re, nil)
		if err != nil || len(again) != len(pkts) {
			t.Fatalf("re-encoded %q does not decode: %v", re, err)
		}
	})
}
