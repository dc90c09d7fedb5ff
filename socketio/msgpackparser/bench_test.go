package msgpackparser

import (
	"fmt"
	"testing"

	"rtserver/socketio/parser"
)

// benchPackets are typical EVENT packets, in the JSON form the server keeps.
var benchPackets = []struct {
	name string
	p    parser.Packet
}{
	{"chat", parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(
		`["chat:message",{"id":"01HZX3K5V7N8","room":"team-42","from":{"id":1234,"name":"alice"},"text":"Hello, are we still meeting at 3pm?","sentAt":1733150000123}]`)}},
	{"notification", parser.Packet{Type: parser.Event, Nsp: "/", ID: parser.NoID, Data: []byte(
		`["notification",{"id":98765,"kind":"mention","read":false,"createdAt":1733150000123,"actor":{"id":42,"name":"bob"},"target":{"type":"message","id":5551212},"score":0.87}]`)}},
	{"positions", parser.Packet{Type: parser.Event, Nsp: "/game", ID: parser.NoID, Data: []byte(
		`["positions",[[12.5,-3.25,1],[40,7.75,2],[-1.5,0,3],[3.125,99,4],[8,8,5],[0.5,-0.5,6]]]`)}},
	{"binary", parser.Packet{Type: parser.BinaryEvent, Nsp: "/", ID: 12, Data: []byte(
		`["upload:chunk",{"fileId":"f-77","offset":65536,"last":false},{"_placeholder":true,"num":0}]`),
		Attachments: [][]byte{make([]byte, 4096)}}},
}

// BenchmarkCodecs encodes and decodes each packet with the JSON parser and the
// msgpack one, reporting the wire bytes of one message (all its Engine.IO
// messages' payloads) and how many Engine.IO messages it takes.
func BenchmarkCodecs(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec parser.Codec
	}{{"json", parser.JSON}, {"msgpack", Parser}} {
		for _, bp := range benchPackets {
			p := bp.p
			first, binary, rest, err := c.codec.AppendEncode(nil, &p)
			if err != nil {
				b.Fatal(err)
			}
			wire, msgs := len(first), 1+len(rest)
			for _, r := range rest {
				wire += len(r)
			}
			b.Run(fmt.Sprintf("encode/%s/%s", bp.name, c.name), func(b *testing.B) {
				b.ReportAllocs()
				var buf []byte
				for b.Loop() {
					buf, _, _, _ = c.codec.AppendEncode(buf[:0], &p)
				}
				b.ReportMetric(float64(wire), "B/msg")
				b.ReportMetric(float64(msgs), "frames/msg")
			})
			b.Run(fmt.Sprintf("decode/%s/%s", bp.name, c.name), func(b *testing.B) {
				b.ReportAllocs()
				d := c.codec.NewDecoder(parser.DecoderConfig{})
				for b.Loop() {
					out, err := d.Add(first, binary)
					for _, r := range rest {
						out, err = d.Add(r, true)
					}
					if err != nil || out == nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(wire), "B/msg")
			})
		}
	}
}
