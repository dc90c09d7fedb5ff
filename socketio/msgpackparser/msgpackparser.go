// Package msgpackparser is a Socket.IO parser wire-compatible with the npm package
// socket.io-msgpack-parser 3.x: every packet is one binary Engine.IO message, a
// msgpack map {type, nsp, data, id} with binary values inline as msgpack bin. Plug
// it into socketio.Config.Parser; every client must then use the same parser:
//
//	srv, err := socketio.NewServer(socketio.Config{Parser: msgpackparser.Parser})
//
//	// the client
//	io(url, { parser: require("socket.io-msgpack-parser") })
//
// Packets are smaller for payloads rich in numbers and binary data, and binary
// values need no extra frames; text-heavy payloads gain little. The server keeps
// packets in the JSON form of package parser, so the translation costs CPU (see
// the benchmarks) and application code is the same with either parser.
//
// Received packets are translated to the JSON text form and checked by the
// default decoder, so they meet the same rules and limits (namespace, ack id,
// reserved event names, parser.DecoderConfig's MaxDepth and MaxAttachments, the
// latter counting bin values). An object of the exact form
// {"_placeholder":true,"num":N} is read as a reference to the N-th bin value of
// the packet, as with the default parser.
package msgpackparser

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"rtserver/socketio/internal/msgpackjson"
	"rtserver/socketio/parser"
)

// Parser is the socket.io-msgpack-parser codec.
var Parser parser.Codec = codec{}

type codec struct{}

// errNotMsgpack: a text message, or bytes that are not a msgpack packet map.
var errNotMsgpack = fmt.Errorf("%w: not a msgpack packet", parser.ErrInvalid)

// AppendEncode implements parser.Codec: one binary message, the map {type, data,
// nsp, id} (data and id when present).
func (codec) AppendEncode(dst []byte, p *parser.Packet) ([]byte, bool, [][]byte, error) {
	n := byte(2)
	if p.Data != nil {
		n++
	}
	if p.HasID() {
		n++
	}
	t := p.Type
	switch t {
	case parser.BinaryEvent:
		t = parser.Event
	case parser.BinaryAck:
		t = parser.Ack
	}
	nsp := p.Nsp
	if nsp == "" {
		nsp = "/"
	}
	b := append(dst, 0x80|n) // fixmap
	b = msgpackjson.AppendString(b, "type")
	b = msgpackjson.AppendInt(b, int64(t))
	if p.Data != nil {
		var err error
		b = msgpackjson.AppendString(b, "data")
		if b, err = msgpackjson.AppendMsgpack(b, p.Data, p.Attachments); err != nil {
			return nil, false, nil, err
		}
	}
	b = msgpackjson.AppendString(b, "nsp")
	b = msgpackjson.AppendString(b, nsp)
	if p.HasID() {
		b = msgpackjson.AppendString(b, "id")
		b = msgpackjson.AppendInt(b, p.ID)
	}
	return b, true, nil, nil
}

// NewDecoder implements parser.Codec.
func (codec) NewDecoder(cfg parser.DecoderConfig) parser.PacketDecoder {
	if cfg.Legacy {
		cfg.Legacy = false // socket.io-msgpack-parser 3 speaks protocol v5 only
	}
	return &decoder{text: parser.NewDecoder(cfg)}
}

// decoder translates each msgpack packet into the JSON text form and its
// attachments, and has the default decoder check them.
type decoder struct {
	text *parser.Decoder
	buf  []byte
}

// Add implements parser.PacketDecoder.
func (d *decoder) Add(data []byte, binary bool) (*parser.Packet, error) {
	if !binary {
		return nil, errNotMsgpack
	}
	p, err := decodeMap(data)
	if err != nil {
		return nil, err
	}
	d.buf = parser.AppendEncode(d.buf[:0], p)
	// The text form is read back by the JSON decoder, which aliases it: give it
	// its own copy only when it keeps the packet.
	text := append([]byte(nil), d.buf...)
	out, err := d.text.Add(text, false)
	for _, att := range p.Attachments {
		if err != nil || out != nil {
			break
		}
		out, err = d.text.Add(att, true)
	}
	if err == nil && out == nil {
		d.text.Reset()
		return nil, fmt.Errorf("%w: attachments do not match", parser.ErrInvalid)
	}
	return out, err
}

// decodeMap reads a msgpack packet map into a Packet in the JSON form (Data with
// placeholders, bin values as Attachments); unknown keys (the client's "options")
// are skipped.
func decodeMap(data []byte) (*parser.Packet, error) {
	r := bytes.NewReader(data)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	n, err := dec.DecodeMapLen()
	if err != nil || n < 0 || 2*n > r.Len() {
		return nil, errNotMsgpack
	}
	p := &parser.Packet{Type: 255, Nsp: "", ID: parser.NoID}
	for range n {
		key, err := dec.DecodeString()
		if err != nil {
			return nil, errNotMsgpack
		}
		switch key {
		case "type":
			t, err := dec.DecodeInt64()
			if err != nil || t < int64(parser.Connect) || t > int64(parser.ConnectError) {
				return nil, parser.ErrUnknownType
			}
			p.Type = parser.Type(t)
		case "nsp":
			if p.Nsp, err = dec.DecodeString(); err != nil {
				return nil, parser.ErrInvalidNamespace
			}
		case "id":
			if p.ID, err = dec.DecodeInt64(); err != nil || p.ID < 0 || p.ID > parser.MaxID {
				return nil, parser.ErrInvalidAckID
			}
		case "data":
			if p.Data, err = msgpackjson.AppendJSON(nil, dec, r.Len, &p.Attachments, 1); err != nil {
				if errors.Is(err, msgpackjson.ErrTooDeep) {
					return nil, parser.ErrTooDeep
				}
				return nil, fmt.Errorf("%w: %w", parser.ErrInvalidPayload, err)
			}
		default:
			if err := dec.Skip(); err != nil {
				return nil, errNotMsgpack
			}
		}
	}
	if r.Len() != 0 {
		return nil, errNotMsgpack
	}
	// The text form puts the namespace before a ',': one holding a ',' cannot be
	// told apart from the rest, so it is refused (a namespace never has one).
	if p.Type == 255 {
		return nil, parser.ErrUnknownType
	}
	if !strings.HasPrefix(p.Nsp, "/") || strings.IndexByte(p.Nsp, ',') >= 0 {
		return nil, parser.ErrInvalidNamespace
	}
	if len(p.Attachments) > 0 {
		switch p.Type {
		case parser.Event:
			p.Type = parser.BinaryEvent
		case parser.Ack:
			p.Type = parser.BinaryAck
		default:
			return nil, parser.ErrInvalidPayload
		}
	}
	if p.Data != nil && string(p.Data) == "null" && (p.Type == parser.Connect || p.Type == parser.Disconnect) {
		p.Data = nil // an undefined auth
	}
	return p, nil
}
