package parser

import (
	"bytes"
	"unicode/utf8"
)

// decodeText parses one text packet and returns it with the number of binary
// attachments it announces. The header grammar is
//
//	<type>[<n>-][/<nsp>[?<query>],][<id>][<json>]
//
// and the payload must have the shape its type allows (see checkPayload).
func (d *Decoder) decodeText(msg []byte) (*Packet, int, error) {
	if len(msg) == 0 || msg[0] < '0' || msg[0] > '0'+byte(BinaryAck) {
		return nil, 0, ErrUnknownType
	}
	t := Type(msg[0] - '0')
	i := 1

	n := 0
	if t.Binary() {
		var err error
		if n, i, err = d.attachmentCount(msg, i); err != nil {
			return nil, 0, err
		}
	}

	nsp, query := "/", ""
	if i < len(msg) && msg[i] == '/' {
		end := len(msg)
		if j := bytes.IndexByte(msg[i:], ','); j >= 0 {
			end = i + j
		}
		raw := msg[i:end]
		i = min(end+1, len(msg))
		if d.cfg.Legacy {
			if q := bytes.IndexByte(raw, '?'); q >= 0 {
				query = string(raw[q+1:])
				raw = raw[:q]
			}
		}
		if !validNamespace(raw, d.cfg.MaxNamespaceLen) {
			return nil, 0, ErrInvalidNamespace
		}
		nsp = d.namespace(raw)
	}

	id := NoID
	if i < len(msg) && isDigit(msg[i]) {
		id = 0
		for ; i < len(msg) && isDigit(msg[i]); i++ {
			id = id*10 + int64(msg[i]-'0')
			if id > MaxID {
				return nil, 0, ErrInvalidAckID
			}
		}
	}
	switch {
	case id != NoID && !t.carriesID():
		return nil, 0, ErrInvalidAckID
	case id == NoID && (t == Ack || t == BinaryAck):
		return nil, 0, ErrInvalidAckID
	}

	data, err := checkPayload(msg[i:], t, n, d.cfg.MaxDepth, d.cfg.Legacy)
	if err != nil {
		return nil, 0, err
	}
	return &Packet{Type: t, Nsp: nsp, Query: query, ID: id, Data: data}, n, nil
}

// attachmentCount parses the "<n>-" header at msg[i:]: a decimal count in
// 1..MaxAttachments followed by '-'. It returns the count and the next index.
func (d *Decoder) attachmentCount(msg []byte, i int) (int, int, error) {
	n, j := 0, i
	for ; j < len(msg) && isDigit(msg[j]); j++ {
		n = n*10 + int(msg[j]-'0')
		if n > d.cfg.MaxAttachments {
			return 0, 0, ErrTooManyAttachments
		}
	}
	if j == i || j >= len(msg) || msg[j] != '-' || n == 0 {
		return 0, 0, ErrInvalidAttachments
	}
	return n, j + 1, nil
}

// validNamespace accepts "/" followed by up to maxLen-1 bytes of valid UTF-8
// without control characters (they have no use in a name and only serve to
// confuse logs).
func validNamespace(raw []byte, maxLen int) bool {
	if len(raw) == 0 || raw[0] != '/' || len(raw) > maxLen {
		return false
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(raw)
}

// namespace returns raw as a string, reusing the previous one when it repeats, as
// it does for nearly every packet of a connection.
func (d *Decoder) namespace(raw []byte) string {
	if len(raw) == 1 {
		return "/"
	}
	if string(raw) != d.lastNsp {
		d.lastNsp = string(raw)
	}
	return d.lastNsp
}
