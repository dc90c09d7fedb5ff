package engineio

import (
	"bytes"
	"encoding/base64"
)

// separator ends each packet but the last in a v4 polling payload.
const separator = 0x1e

// maxPayloadPackets bounds the packets in one polling POST. Real clients batch what they
// queued during one round trip; thousands of packets in one body is an attack, and the
// session closes with ReasonParseError.
const maxPayloadPackets = 1000

// outPacket is one queued server packet: a message Frame, or a control packet typ with
// optional data (the open JSON, "probe").
type outPacket struct {
	frame *Frame
	typ   byte
	data  string
}

// size is what the packet counts against Config.MaxWriteQueueBytes.
func (p *outPacket) size() int {
	if p.frame != nil {
		return len(p.frame.enc) + 1
	}
	return len(p.data) + 2
}

// decodePayloadV4 appends the packets of a v4 polling payload to dst: text packets
// separated by 0x1e, binary ones as `b` + base64. Empty packets, unknown types and more
// than maxPayloadPackets packets are errors.
func decodePayloadV4(body []byte, dst []packet) ([]packet, error) {
	for n := 0; ; n++ {
		if n == maxPayloadPackets {
			return dst, errParse
		}
		seg := body
		i := bytes.IndexByte(body, separator)
		if i >= 0 {
			seg, body = body[:i], body[i+1:]
		}
		p, err := decodeText(seg, 4)
		if err != nil {
			return dst, err
		}
		dst = append(dst, p)
		if i < 0 {
			return dst, nil
		}
	}
}

// appendPayloadV4 appends pkts as one v4 polling payload.
func appendPayloadV4(dst []byte, pkts []outPacket) []byte {
	for i := range pkts {
		if i > 0 {
			dst = append(dst, separator)
		}
		dst = appendPacketV4(dst, &pkts[i])
	}
	return dst
}

// appendPacketV4 appends one packet in its v4 text form.
func appendPacketV4(dst []byte, p *outPacket) []byte {
	if f := p.frame; f != nil {
		if f.binary {
			dst = append(dst, 'b')
			return base64.StdEncoding.AppendEncode(dst, f.enc[1:])
		}
		return append(dst, f.enc...)
	}
	dst = append(dst, p.typ)
	return append(dst, p.data...)
}
