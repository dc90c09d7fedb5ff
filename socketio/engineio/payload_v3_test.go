package engineio

import (
	"bytes"
	"strings"
	"testing"
)

func TestDecodePayloadV3Text(t *testing.T) {
	tests := []struct {
		in   string
		want []packet
	}{
		{"6:4hello", []packet{{typ: '4', data: []byte("hello")}}},
		{"6:4test16:4test26:4test3", []packet{
			{typ: '4', data: []byte("test1")}, {typ: '4', data: []byte("test2")}, {typ: '4', data: []byte("test3")}}},
		{"6:4hello9:bAQIDBA==", nil}, // v4-style base64 without type: invalid in v3
		{"6:4hello10:b4AQIDBA==", []packet{{typ: '4', data: []byte("hello")}, {typ: '4', binary: true, data: []byte{1, 2, 3, 4}}}},
		{"3:4€€2:4й", []packet{{typ: '4', data: []byte("€€")}, {typ: '4', data: []byte("й")}}},
		{"3:4😀", []packet{{typ: '4', data: []byte("😀")}}}, // a surrogate pair counts 2
		{"1:2", []packet{{typ: '2', data: []byte{}}}},
	}
	for _, tt := range tests {
		got, err := decodePayloadV3Text([]byte(tt.in), nil)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%q accepted", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%q: %d packets", tt.in, len(got))
			continue
		}
		for i := range got {
			if got[i].typ != tt.want[i].typ || got[i].binary != tt.want[i].binary || !bytes.Equal(got[i].data, tt.want[i].data) {
				t.Errorf("%q packet %d = %+v", tt.in, i, got[i])
			}
		}
	}
}

func TestDecodePayloadV3Bad(t *testing.T) {
	text := []string{"", "abc", "4hello", ":4a", "0:", "7:4hello", "6:4hello5", "2:4😀", "99999999999:4",
		"1:9", "2:4\xff", strings.Repeat("1:6", 10000)}
	for _, in := range text {
		if _, err := decodePayloadV3Text([]byte(in), nil); err == nil {
			t.Errorf("text %.40q accepted", in)
		}
	}
	bin := [][]byte{
		{}, {2, 1, 255, '4'}, {0, 255, '4'}, {0, 5, 255, '4'}, {0, 1}, {0, 10, 255},
		{1, 1, 255, 2}, {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 255, '4'},
	}
	for _, in := range bin {
		if _, err := decodePayloadV3Binary(in, nil); err == nil {
			t.Errorf("binary %v accepted", in)
		}
	}
}

func TestDecodePayloadV3Binary(t *testing.T) {
	in := []byte{0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 4, 255, 4, 1, 2, 3}
	got, err := decodePayloadV3Binary(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].data) != "hello" || got[0].binary || !got[1].binary || !bytes.Equal(got[1].data, []byte{1, 2, 3}) {
		t.Fatalf("got %+v", got)
	}
}

func TestAppendPayloadV3(t *testing.T) {
	text := []outPacket{{frame: NewFrame([]byte("hello"), false)}, {frame: NewFrame([]byte("€€€"), false)}}
	got, bin := appendPayloadV3(nil, text, false)
	if string(got) != "6:4hello4:4€€€" || bin {
		t.Errorf("text payload = %q (binary %v)", got, bin)
	}
	mixed := []outPacket{{frame: NewFrame([]byte("hello"), false)}, {frame: NewFrame([]byte{1, 2, 3}, true)}}
	got, bin = appendPayloadV3(nil, mixed, false)
	want := []byte{0x00, 0x06, 0xff, 0x34, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x04, 0xff, 0x04, 0x01, 0x02, 0x03}
	if !bytes.Equal(got, want) || !bin {
		t.Errorf("binary payload = %v (binary %v)", got, bin)
	}
	got, bin = appendPayloadV3(nil, mixed, true)
	if string(got) != "6:4hello6:b4AQID" || bin {
		t.Errorf("b64 payload = %q", got)
	}
	ctrl := []outPacket{{typ: typeOpen, data: `{"sid":"é"}`}, {typ: typePong}}
	got, _ = appendPayloadV3(nil, ctrl, false)
	if string(got) != `12:0{"sid":"é"}1:3` {
		t.Errorf("control payload = %q", got)
	}
	long := []outPacket{{typ: typeMessage, data: strings.Repeat("a", 12345)}}
	got, _ = appendPayloadV3(nil, long, false)
	if !strings.HasPrefix(string(got), "12346:4a") {
		t.Errorf("long payload prefix = %q", got[:10])
	}
}

// FuzzDecodePayloadV3 checks both v3 payload forms for panics and over-allocation.
func FuzzDecodePayloadV3(f *testing.F) {
	f.Add([]byte("6:4hello"))
	f.Add([]byte("1:21:3"))
	f.Add([]byte("10:b4AQIDBA=="))
	f.Add([]byte{0, 6, 255, '4', 'h', 'e', 'l', 'l', 'o', 1, 4, 255, 4, 1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, dec := range []func([]byte, []packet) ([]packet, error){decodePayloadV3Text, decodePayloadV3Binary} {
			pkts, err := dec(in, nil)
			if err != nil {
				continue
			}
			total := 0
			for _, p := range pkts {
				total += len(p.data)
			}
			if total > len(in) || len(pkts) > maxPayloadPackets {
				t.Fatalf("decoded %d bytes in %d packets from %d", total, len(pkts), len(in))
			}
		}
	})
}
