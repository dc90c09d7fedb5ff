package engineio

import (
	"encoding/base64"
	"errors"
	"strconv"
)

// Engine.IO packet types, as the ASCII digit that starts a text packet.
const (
	typeOpen    byte = '0'
	typeClose   byte = '1'
	typePing    byte = '2'
	typePong    byte = '3'
	typeMessage byte = '4'
	typeUpgrade byte = '5'
	typeNoop    byte = '6'
)

// errParse reports a malformed packet or payload; the session closes with ReasonParseError.
var errParse = errors.New("engineio: malformed packet")

// packet is one decoded client packet. data aliases the decoded input unless the packet
// was base64, in which case it is a fresh slice.
type packet struct {
	typ    byte
	binary bool
	data   []byte
}

// decodeText decodes one text packet: a type digit and its data, or `b` followed by
// standard base64 (a binary message; in v3 `b4<base64>`, the type digit after `b`).
func decodeText(b []byte, proto int) (packet, error) {
	if len(b) == 0 {
		return packet{}, errParse
	}
	c := b[0]
	if c == 'b' {
		enc := b[1:]
		if proto == 3 {
			if len(enc) == 0 || enc[0] != typeMessage {
				return packet{}, errParse
			}
			enc = enc[1:]
		}
		data := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		n, err := base64.StdEncoding.Decode(data, enc)
		if err != nil {
			return packet{}, errParse
		}
		return packet{typ: typeMessage, binary: true, data: data[:n]}, nil
	}
	if c < typeOpen || c > typeNoop {
		return packet{}, errParse
	}
	return packet{typ: c, data: b[1:]}, nil
}

// decodeBinaryV3 decodes a v3 binary packet: a type byte (0..6) then the data.
func decodeBinaryV3(b []byte) (packet, error) {
	if len(b) == 0 || b[0] > 6 {
		return packet{}, errParse
	}
	if b[0] != 4 { // only messages carry binary data
		return packet{}, errParse
	}
	return packet{typ: typeMessage, binary: true, data: b[1:]}, nil
}

// appendOpen appends the data of the open packet, the handshake JSON. v4 announces
// maxPayload; v3 does not have the key.
func appendOpen(dst []byte, sid string, upgrades bool, cfg *Config, proto int) []byte {
	dst = append(dst, `{"sid":"`...)
	dst = append(dst, sid...) // base64url: no JSON escaping needed
	dst = append(dst, `","upgrades":[`...)
	if upgrades {
		dst = append(dst, `"websocket"`...)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, cfg.PingInterval.Milliseconds(), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, cfg.PingTimeout.Milliseconds(), 10)
	if proto == 4 {
		dst = append(dst, `,"maxPayload":`...)
		dst = strconv.AppendInt(dst, cfg.MaxPayload, 10)
	}
	return append(dst, '}')
}
