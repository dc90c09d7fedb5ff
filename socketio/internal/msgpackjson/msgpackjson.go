// Package msgpackjson translates between the raw JSON (with binary placeholders and
// attachments) that socketio keeps packets in and msgpack as notepack.io writes it,
// the encoding of Node's Redis adapter and of socket.io-msgpack-parser. Values go
// through no Go maps, so object key order survives the trip both ways.
package msgpackjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"rtserver/socketio/parser"
)

// Packets keep event arguments as raw JSON whose binary parts are
// {"_placeholder":true,"num":N} objects standing for attachments; notepack.io puts
// the JS values on the wire as msgpack, Buffers as msgpack bin.

// MaxDepth bounds nesting in both directions, so a hostile peer cannot exhaust the
// stack.
const MaxDepth = parser.MaxDepthLimit

const maxDepth = MaxDepth

// maxSafeInt is the largest integer a JavaScript number holds exactly: JSON numbers up
// to it travel as msgpack ints, as notepack.io encodes integral JS numbers.
const maxSafeInt = 1<<53 - 1

var errTooDeep = errors.New("msgpackjson: value nested too deeply")

// jsonNode is one parsed JSON value, kept in order.
type jsonNode struct {
	kind byte // 'n' null, 'b' bool, 'f' number, 's' string, 'a' array, 'o' object, 'B' attachment
	b    bool
	num  json.Number
	str  string
	keys []string
	vals []jsonNode
	att  int
}

// parseJSON parses raw (one JSON value) into a tree, turning placeholder objects that
// refer to one of natts attachments into attachment nodes.
func parseJSON(raw []byte, natts int) (jsonNode, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	n, err := parseNode(d, natts, 0)
	if err != nil {
		return jsonNode{}, err
	}
	if _, err := d.Token(); err == nil {
		return jsonNode{}, errors.New("msgpackjson: trailing data after JSON value")
	}
	return n, nil
}

func parseNode(d *json.Decoder, natts, depth int) (jsonNode, error) {
	if depth > maxDepth {
		return jsonNode{}, errTooDeep
	}
	tok, err := d.Token()
	if err != nil {
		return jsonNode{}, err
	}
	switch v := tok.(type) {
	case nil:
		return jsonNode{kind: 'n'}, nil
	case bool:
		return jsonNode{kind: 'b', b: v}, nil
	case json.Number:
		return jsonNode{kind: 'f', num: v}, nil
	case string:
		return jsonNode{kind: 's', str: v}, nil
	case json.Delim:
		switch v {
		case '[':
			n := jsonNode{kind: 'a'}
			for d.More() {
				c, err := parseNode(d, natts, depth+1)
				if err != nil {
					return jsonNode{}, err
				}
				n.vals = append(n.vals, c)
			}
			_, err := d.Token() // ']'
			return n, err
		case '{':
			n := jsonNode{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return jsonNode{}, err
				}
				k, _ := kt.(string)
				c, err := parseNode(d, natts, depth+1)
				if err != nil {
					return jsonNode{}, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, c)
			}
			if _, err := d.Token(); err != nil { // '}'
				return jsonNode{}, err
			}
			if i, ok := placeholderIndex(n); ok && i < natts {
				return jsonNode{kind: 'B', att: i}, nil
			}
			return n, nil
		}
	}
	return jsonNode{}, fmt.Errorf("msgpackjson: unexpected JSON token %v", tok)
}

// placeholderIndex recognises {"_placeholder":true,"num":N} in any key order.
func placeholderIndex(n jsonNode) (int, bool) {
	if len(n.keys) != 2 {
		return 0, false
	}
	ph, num := false, -1
	for i, k := range n.keys {
		v := n.vals[i]
		switch {
		case k == "_placeholder" && v.kind == 'b' && v.b:
			ph = true
		case k == "num" && v.kind == 'f':
			x, err := strconv.Atoi(v.num.String())
			if err == nil && x >= 0 {
				num = x
			}
		}
	}
	return num, ph && num >= 0
}

// encodeNode writes n as msgpack the way notepack.io writes the equivalent JS value.
func encodeNode(e *msgpack.Encoder, n jsonNode, atts [][]byte) error {
	switch n.kind {
	case 'n':
		return e.EncodeNil()
	case 'b':
		return e.EncodeBool(n.b)
	case 's':
		return e.EncodeString(n.str)
	case 'B':
		return e.EncodeBytes(atts[n.att])
	case 'f':
		f, err := strconv.ParseFloat(n.num.String(), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return err
		}
		if f == math.Trunc(f) && math.Abs(f) <= maxSafeInt {
			return e.EncodeInt(int64(f))
		}
		return e.EncodeFloat64(f)
	case 'a':
		if err := e.EncodeArrayLen(len(n.vals)); err != nil {
			return err
		}
		for _, c := range n.vals {
			if err := encodeNode(e, c, atts); err != nil {
				return err
			}
		}
		return nil
	case 'o':
		if err := e.EncodeMapLen(len(n.keys)); err != nil {
			return err
		}
		for i, k := range n.keys {
			if err := e.EncodeString(k); err != nil {
				return err
			}
			if err := encodeNode(e, n.vals[i], atts); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("msgpackjson: bad node kind %q", n.kind)
}

// Encode writes the JSON value raw, whose placeholders refer to atts, as msgpack the
// way notepack.io writes the equivalent JS value (integral numbers up to 2^53 as
// ints, others as float64, placeholders as bin).
func Encode(e *msgpack.Encoder, raw []byte, atts [][]byte) error {
	n, err := parseJSON(raw, len(atts))
	if err != nil {
		return err
	}
	return encodeNode(e, n, atts)
}

// AppendJSON appends the next msgpack value of d to dst as JSON, turning bin values
// into placeholders and appending their bytes to *atts. Timestamps become the ISO
// strings JSON.stringify gives Dates; other extensions (notepack's undefined) null.
//
// left reports the bytes not yet read: an array or map claiming more elements
// than bytes remain (each takes at least one) is refused before any work, so a
// forged length cannot make it loop or allocate for billions of elements.
func AppendJSON(dst []byte, d *msgpack.Decoder, left func() int, atts *[][]byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case c == msgpcode.Nil:
		_ = d.DecodeNil()
		return append(dst, "null"...), nil
	case c == msgpcode.True || c == msgpcode.False:
		b, err := d.DecodeBool()
		return strconv.AppendBool(dst, b), err
	case c == msgpcode.Uint64:
		u, err := d.DecodeUint64()
		return strconv.AppendUint(dst, u, 10), err
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		i, err := d.DecodeInt64()
		return strconv.AppendInt(dst, i, 10), err
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		if err != nil {
			return nil, err
		}
		return appendFloat(dst, f), nil
	case msgpcode.IsString(c):
		s, err := d.DecodeString()
		return parser.AppendString(dst, s), err
	case msgpcode.IsBin(c):
		b, err := d.DecodeBytes()
		if err != nil {
			return nil, err
		}
		dst = parser.AppendPlaceholder(dst, len(*atts))
		*atts = append(*atts, b)
		return dst, nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n > left() {
			return nil, errShort
		}
		dst = append(dst, '[')
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = AppendJSON(dst, d, left, atts, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if 2*n > left() {
			return nil, errShort
		}
		dst = append(dst, '{')
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			k, err := mapKey(d)
			if err != nil {
				return nil, err
			}
			dst = parser.AppendString(dst, k)
			dst = append(dst, ':')
			if dst, err = AppendJSON(dst, d, left, atts, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > 16 {
			return nil, errors.New("msgpackjson: unsupported msgpack extension")
		}
		var buf [16]byte
		if err := d.ReadFull(buf[:n]); err != nil {
			return nil, err
		}
		if t, ok := timestamp(id, buf[:n]); ok {
			return parser.AppendString(dst, t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
		}
		return append(dst, "null"...), nil
	}
	return nil, fmt.Errorf("msgpackjson: unsupported msgpack code 0x%02x", c)
}

// errShort: a length larger than what is left of the message.
var errShort = errors.New("msgpackjson: msgpack length beyond the message")

// mapKey decodes a map key: JSON objects have string keys, and notepack
// writes only those; integer keys are taken as their decimal text. Any
// other key (a nested map, an array) is refused rather than decoded.
func mapKey(d *msgpack.Decoder) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	switch {
	case msgpcode.IsString(c):
		return d.DecodeString()
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		i, err := d.DecodeInt64()
		return strconv.FormatInt(i, 10), err
	}
	return "", fmt.Errorf("msgpackjson: unsupported msgpack map key 0x%02x", c)
}

// timestamp decodes the msgpack timestamp extension (-1) in its three sizes.
func timestamp(id int8, b []byte) (time.Time, bool) {
	if id != -1 {
		return time.Time{}, false
	}
	switch len(b) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), true
	case 8:
		v := binary.BigEndian.Uint64(b)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)), true
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b))), true
	}
	return time.Time{}, false
}

// appendFloat formats f as JSON.stringify does: NaN and infinities become null.
func appendFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	b, _ := json.Marshal(f) // encoding/json uses the ECMAScript number format
	return append(dst, b...)
}

// ToJSON converts one msgpack value to JSON plus attachments (an empty raw is null).
func ToJSON(raw []byte) ([]byte, [][]byte, error) {
	if len(raw) == 0 {
		return []byte("null"), nil, nil
	}
	r := bytes.NewReader(raw)
	d := msgpack.NewDecoder(r)
	var atts [][]byte
	out, err := AppendJSON(nil, d, r.Len, &atts, 0)
	return out, atts, err
}
