package engineio

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Engine.IO v3 polling payloads (socket.io-client 2.x) come in two forms:
//
//   - text: each packet is `<length>:<packet>`, the length counting UTF-16 code units
//     (JavaScript string length) of the packet; binary packets are `b4<base64>`.
//   - binary (XHR2 clients, Content-Type application/octet-stream): each packet is a
//     byte 0 (text) or 1 (binary), the decimal digits of its byte length as bytes 0..9,
//     a byte 255, then the packet: UTF-8 text, or a type byte (4) and the raw data.

// maxLengthDigits bounds the length prefix of a v3 packet (10 digits > any body size).
const maxLengthDigits = 10

// decodePayloadV3Text appends the packets of a v3 text payload to dst.
func decodePayloadV3Text(body []byte, dst []packet) ([]packet, error) {
	if len(body) == 0 {
		return dst, errParse
	}
	for len(body) > 0 {
		if len(dst) == maxPayloadPackets {
			return dst, errParse
		}
		n, i := 0, 0
		for ; i < len(body) && body[i] != ':'; i++ {
			c := body[i]
			if c < '0' || c > '9' || i == maxLengthDigits {
				return dst, errParse
			}
			n = n*10 + int(c-'0')
		}
		if i == 0 || i == len(body) || n == 0 {
			return dst, errParse
		}
		body = body[i+1:]
		j, units := 0, 0
		for units < n {
			if j >= len(body) {
				return dst, errParse
			}
			c := body[j]
			if c < utf8.RuneSelf {
				units++
				j++
				continue
			}
			r, w := utf8.DecodeRune(body[j:])
			if r == utf8.RuneError && w == 1 {
				return dst, errParse
			}
			units += utf16Units(r)
			j += w
		}
		if units != n { // the length ends inside a surrogate pair
			return dst, errParse
		}
		p, err := decodeText(body[:j], 3)
		if err != nil {
			return dst, err
		}
		dst = append(dst, p)
		body = body[j:]
	}
	return dst, nil
}

// decodePayloadV3Binary appends the packets of a v3 binary payload to dst.
func decodePayloadV3Binary(body []byte, dst []packet) ([]packet, error) {
	if len(body) == 0 {
		return dst, errParse
	}
	for len(body) > 0 {
		if len(dst) == maxPayloadPackets {
			return dst, errParse
		}
		kind := body[0]
		if kind > 1 {
			return dst, errParse
		}
		n, i := 0, 1
		for ; ; i++ {
			if i >= len(body) || i > maxLengthDigits+1 {
				return dst, errParse
			}
			c := body[i]
			if c == 255 {
				break
			}
			if c > 9 {
				return dst, errParse
			}
			n = n*10 + int(c)
		}
		if i == 1 || n == 0 {
			return dst, errParse
		}
		body = body[i+1:]
		if n > len(body) {
			return dst, errParse
		}
		var p packet
		var err error
		if kind == 0 {
			p, err = decodeText(body[:n], 3)
		} else {
			p, err = decodeBinaryV3(body[:n])
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, p)
		body = body[n:]
	}
	return dst, nil
}

// appendPayloadV3 appends pkts as one v3 payload. When a packet is binary and the client
// did not ask for base64 (b64=1), the binary form is used and isBinary is true (the
// response must be application/octet-stream); otherwise the text form.
func appendPayloadV3(dst []byte, pkts []outPacket, b64 bool) (out []byte, isBinary bool) {
	if !b64 {
		for i := range pkts {
			if f := pkts[i].frame; f != nil && f.binary {
				isBinary = true
				break
			}
		}
	}
	for i := range pkts {
		p := &pkts[i]
		if isBinary {
			dst = appendPacketV3Binary(dst, p)
		} else {
			dst = appendPacketV3Text(dst, p)
		}
	}
	return dst, isBinary
}

// appendPacketV3Text appends `<utf16 length>:<packet>`.
func appendPacketV3Text(dst []byte, p *outPacket) []byte {
	f := p.frame
	switch {
	case f == nil:
		dst = strconv.AppendInt(dst, int64(1+utf16Len(p.data)), 10)
		dst = append(dst, ':', p.typ)
		return append(dst, p.data...)
	case f.binary:
		dst = strconv.AppendInt(dst, int64(2+base64.StdEncoding.EncodedLen(len(f.enc)-1)), 10)
		dst = append(dst, ':', 'b', typeMessage)
		return base64.StdEncoding.AppendEncode(dst, f.enc[1:])
	default:
		dst = strconv.AppendInt(dst, int64(utf16Len(f.enc)), 10)
		dst = append(dst, ':')
		return append(dst, f.enc...)
	}
}

// appendPacketV3Binary appends one packet of the binary payload form.
func appendPacketV3Binary(dst []byte, p *outPacket) []byte {
	f := p.frame
	switch {
	case f == nil:
		dst = appendLengthV3(dst, 0, 1+len(p.data))
		dst = append(dst, p.typ)
		return append(dst, p.data...)
	case f.binary:
		dst = appendLengthV3(dst, 1, len(f.enc))
		return append(dst, f.enc...) // 0x04 then the data
	default:
		dst = appendLengthV3(dst, 0, len(f.enc))
		return append(dst, f.enc...)
	}
}

// appendLengthV3 appends the binary-form header: kind, the digits of n as bytes, 255.
func appendLengthV3(dst []byte, kind byte, n int) []byte {
	dst = append(dst, kind)
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(n), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return append(dst, 255)
}

// utf16Len returns the JavaScript length of the UTF-8 text s (invalid bytes count one
// unit each, as they decode to U+FFFD). A rune is at most 4 bytes, so the string
// conversion of a []byte window stays on the stack.
func utf16Len[T string | []byte](s T) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		n += utf16Units(r)
		i += w
	}
	return n
}

// utf16Units is the number of UTF-16 code units of r.
func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
