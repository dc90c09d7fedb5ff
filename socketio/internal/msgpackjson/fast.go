package msgpackjson

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"rtserver/socketio/parser"
)

// errBadJSON: the input is not one valid, compact-enough JSON value. Inputs are
// packets this server built or already validated, so it means a bug upstream.
var errBadJSON = errors.New("msgpackjson: invalid JSON")

// AppendMsgpack appends the JSON value raw, whose placeholders refer to atts, to dst
// as msgpack: the same bytes as Encode, in one pass over raw without building a
// tree. raw must be valid JSON (whitespace between tokens is allowed).
func AppendMsgpack(dst, raw []byte, atts [][]byte) ([]byte, error) {
	w := jsonWriter{in: raw, atts: atts, out: dst}
	if err := w.value(0); err != nil {
		return nil, err
	}
	w.ws()
	if w.i != len(w.in) {
		return nil, errBadJSON
	}
	return w.out, nil
}

type jsonWriter struct {
	in   []byte
	i    int
	atts [][]byte
	out  []byte
}

func (w *jsonWriter) ws() {
	for w.i < len(w.in) {
		switch w.in[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *jsonWriter) value(depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	w.ws()
	if w.i >= len(w.in) {
		return errBadJSON
	}
	switch c := w.in[w.i]; {
	case c == '"':
		return w.str()
	case c == '[':
		return w.array(depth)
	case c == '{':
		return w.object(depth)
	case c == 't' || c == 'f' || c == 'n':
		return w.literal()
	default:
		return w.number()
	}
}

func (w *jsonWriter) literal() error {
	rest := w.in[w.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		w.out, w.i = append(w.out, 0xc3), w.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		w.out, w.i = append(w.out, 0xc2), w.i+5
	case len(rest) >= 4 && string(rest[:4]) == "null":
		w.out, w.i = append(w.out, 0xc0), w.i+4
	default:
		return errBadJSON
	}
	return nil
}

func (w *jsonWriter) number() error {
	start := w.i
	for w.i < len(w.in) {
		c := w.in[w.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			w.i++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(w.in[start:w.i]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errBadJSON
	}
	if f == math.Trunc(f) && math.Abs(f) <= maxSafeInt {
		w.out = AppendInt(w.out, int64(f))
		return nil
	}
	w.out = append(w.out, 0xcb)
	w.out = binary.BigEndian.AppendUint64(w.out, math.Float64bits(f))
	return nil
}

// AppendInt appends n in the smallest msgpack integer form, as notepack does.
func AppendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 127:
		return append(b, byte(n))
	case n >= 0 && n <= math.MaxUint8:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// strEnd returns the index after the string token starting at i.
func (w *jsonWriter) strEnd(i int) (int, error) {
	for j := i + 1; j < len(w.in); j++ {
		switch w.in[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}

func (w *jsonWriter) str() error {
	end, err := w.strEnd(w.i)
	if err != nil {
		return err
	}
	raw := w.in[w.i:end]
	w.i = end
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			s, ok := parser.Unquote(raw)
			if !ok {
				return errBadJSON
			}
			w.out = AppendString(w.out, s)
			return nil
		}
	}
	w.out = appendStrHeader(w.out, len(body))
	w.out = append(w.out, body...)
	return nil
}

// AppendString appends s as a msgpack str.
func AppendString(b []byte, s string) []byte { return append(appendStrHeader(b, len(s)), s...) }

func appendStrHeader(b []byte, n int) []byte {
	switch {
	case n < 32:
		return append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
}

func appendContainerHeader(b []byte, n int, fix, c16, c32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, c32), uint32(n))
}

// skip moves past one value without writing, for counting members.
func (w *jsonWriter) skip() error {
	w.ws()
	if w.i >= len(w.in) {
		return errBadJSON
	}
	switch w.in[w.i] {
	case '"':
		end, err := w.strEnd(w.i)
		w.i = end
		return err
	case '[', '{':
		level := 0
		for ; w.i < len(w.in); w.i++ {
			switch w.in[w.i] {
			case '"':
				end, err := w.strEnd(w.i)
				if err != nil {
					return err
				}
				w.i = end - 1
			case '[', '{':
				level++
			case ']', '}':
				if level--; level == 0 {
					w.i++
					return nil
				}
			}
		}
		return errBadJSON
	default:
		for w.i < len(w.in) {
			switch w.in[w.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return nil
			}
			w.i++
		}
		return nil
	}
}

// count returns the members of the container opening at w.i (elements, or keys
// when object), leaving w.i unchanged.
func (w *jsonWriter) count(object bool) (int, error) {
	save := w.i
	defer func() { w.i = save }()
	w.i++
	w.ws()
	if w.i < len(w.in) && (w.in[w.i] == ']' || w.in[w.i] == '}') {
		return 0, nil
	}
	n := 0
	for {
		if object {
			if err := w.skip(); err != nil { // key
				return 0, err
			}
			w.ws()
			if w.i >= len(w.in) || w.in[w.i] != ':' {
				return 0, errBadJSON
			}
			w.i++
		}
		if err := w.skip(); err != nil {
			return 0, err
		}
		n++
		w.ws()
		if w.i >= len(w.in) {
			return 0, errBadJSON
		}
		switch w.in[w.i] {
		case ',':
			w.i++
		case ']', '}':
			return n, nil
		default:
			return 0, errBadJSON
		}
	}
}

func (w *jsonWriter) array(depth int) error {
	n, err := w.count(false)
	if err != nil {
		return err
	}
	w.out = appendContainerHeader(w.out, n, 0x90, 0xdc, 0xdd)
	w.i++ // '['
	for k := 0; k < n; k++ {
		if err := w.value(depth + 1); err != nil {
			return err
		}
		w.ws()
		w.i++ // ',' or ']'
	}
	if n == 0 {
		w.ws()
		w.i++ // ']'
	}
	return nil
}

func (w *jsonWriter) object(depth int) error {
	start := w.i
	save := w.i
	if err := w.skip(); err != nil {
		return err
	}
	if num, ok := parser.ParsePlaceholder(w.in[start:w.i]); ok && num < len(w.atts) {
		att := w.atts[num]
		switch n := len(att); {
		case n <= math.MaxUint8:
			w.out = append(w.out, 0xc4, byte(n))
		case n <= math.MaxUint16:
			w.out = binary.BigEndian.AppendUint16(append(w.out, 0xc5), uint16(n))
		default:
			w.out = binary.BigEndian.AppendUint32(append(w.out, 0xc6), uint32(n))
		}
		w.out = append(w.out, att...)
		return nil
	}
	w.i = save
	n, err := w.count(true)
	if err != nil {
		return err
	}
	w.out = appendContainerHeader(w.out, n, 0x80, 0xde, 0xdf)
	w.i++ // '{'
	for k := 0; k < n; k++ {
		w.ws()
		if w.i >= len(w.in) || w.in[w.i] != '"' {
			return errBadJSON
		}
		if err := w.str(); err != nil {
			return err
		}
		w.ws()
		w.i++ // ':'
		if err := w.value(depth + 1); err != nil {
			return err
		}
		w.ws()
		w.i++ // ',' or '}'
	}
	if n == 0 {
		w.ws()
		w.i++ // '}'
	}
	return nil
}
