package parser

import "strconv"

// Encode returns the text part of p (without the Engine.IO "4" prefix) in one
// exactly sized allocation. The attachments of a binary packet are p.Attachments,
// sent by the caller as the binary frames that follow, in order.
func Encode(p *Packet) []byte {
	return AppendEncode(make([]byte, 0, EncodedLen(p)), p)
}

// EncodedLen returns an upper bound of the length of Encode(p), so callers can size
// one buffer for AppendEncode.
func EncodedLen(p *Packet) int {
	n := 1 + len(p.Data)
	if p.Type.Binary() {
		n += 21 // count and '-'
	}
	if p.Nsp != "" && p.Nsp != "/" || p.Query != "" {
		n += len(p.Nsp) + len(p.Query) + 3
	}
	if p.HasID() {
		n += 20
	}
	return n
}

// AppendEncode appends the text part of p to dst: the type digit; for BinaryEvent
// and BinaryAck the attachment count and '-'; the namespace and ',' unless it is
// the main namespace without a Query (a v4 Query is written "?query"); the ack id
// when p.HasID(); then p.Data as is. It allocates only when dst lacks room. p is trusted: Data must be compact valid JSON of the
// shape the type requires (the codec never adds a newline), and Nsp must not
// contain ','. A binary packet must have at least one attachment.
func AppendEncode(dst []byte, p *Packet) []byte {
	dst = append(dst, '0'+byte(p.Type))
	if p.Type.Binary() {
		dst = strconv.AppendInt(dst, int64(len(p.Attachments)), 10)
		dst = append(dst, '-')
	}
	if p.Nsp != "" && p.Nsp != "/" || p.Query != "" {
		if p.Nsp == "" {
			dst = append(dst, '/')
		}
		dst = append(dst, p.Nsp...)
		if p.Query != "" {
			dst = append(dst, '?')
			dst = append(dst, p.Query...)
		}
		dst = append(dst, ',')
	}
	if p.HasID() {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}
