package parser_test

import (
	"testing"

	"rtserver/socketio/parser"
)

var (
	benchEvent  = []byte(`2/chat,12["message",{"room":"lobby","text":"hello there","ts":1700000000000},"2",{"3":[true]}]`)
	benchBinary = []byte(`52-789["upload",{"name":"a.png"},` + ph0 + `,` + ph1 + `]`)
)

func BenchmarkAppendEncodeEvent(b *testing.B) {
	p := &parser.Packet{Type: parser.Event, Nsp: "/chat", ID: parser.NoID, Data: benchEvent[9:]}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		buf = parser.AppendEncode(buf[:0], p)
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	p := &parser.Packet{Type: parser.Event, Nsp: "/chat", ID: parser.NoID, Data: benchEvent[9:]}
	b.ReportAllocs()
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		_ = parser.Encode(p)
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	d := parser.NewDecoder(parser.DecoderConfig{})
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	for b.Loop() {
		if _, err := d.Add(benchEvent, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitArgs(b *testing.B) {
	data := benchEvent[9:]
	dst := make([][]byte, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var err error
		if dst, err = parser.AppendSplitArray(dst[:0], data, 32); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitArgsWhitespace(b *testing.B) {
	data := []byte(`[ "message" , { "room" : "lobby", "text" : "hello there" } , "2" ]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parser.SplitArray(data, 32); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	d := parser.NewDecoder(parser.DecoderConfig{})
	a0, a1 := make([]byte, 1024), make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		d.Add(benchBinary, false)
		d.Add(a0, true)
		if p, err := d.Add(a1, true); err != nil || p == nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBinary(b *testing.B) {
	p := &parser.Packet{Type: parser.BinaryAck, ID: 789, Data: []byte(`[` + ph0 + `,` + ph1 + `]`), Attachments: [][]byte{make([]byte, 1024), make([]byte, 4096)}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = parser.AppendEncode(buf[:0], p)
	}
}

func BenchmarkDecodeDeepReject(b *testing.B) {
	data := make([]byte, 1<<20)
	data[0] = '3'
	data[1] = '1'
	for i := 2; i < len(data); i++ {
		data[i] = '['
	}
	d := parser.NewDecoder(parser.DecoderConfig{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Add(data, false); err == nil {
			b.Fatal("accepted")
		}
	}
}
