package socketio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"rtserver/socketio/parser"
)

// Args are the arguments of a received event or acknowledgement, kept as the raw
// JSON the client sent (key order, number forms and escapes intact, whitespace
// outside strings removed) plus its binary attachments. Passing Args to Emit or an
// Ack sends them back byte for byte. Args are immutable and stay valid after the
// handler returns; the zero Args has no arguments.
type Args struct {
	elems [][]byte
	atts  [][]byte
}

// ParseArgs returns the Args of a JSON array payload (an EVENT without its name, or
// an ACK) and its attachments, for adapters that receive packets from other nodes.
// The payload is validated (depth <= maxDepth; <= 0 means the default).
func ParseArgs(array []byte, attachments [][]byte, maxDepth int) (Args, error) {
	elems, err := parser.SplitArray(array, maxDepth)
	if err != nil {
		return Args{}, err
	}
	return Args{elems: elems, atts: attachments}, nil
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.elems) }

// Raw returns argument i as raw JSON, or nil when i is out of range. A binary
// argument is its placeholder object {"_placeholder":true,"num":N}.
func (a Args) Raw(i int) json.RawMessage {
	if i < 0 || i >= len(a.elems) {
		return nil
	}
	return a.elems[i]
}

// Decode unmarshals argument i into v (a pointer), for typed handlers. Binary
// attachments, at the top or nested in objects and arrays ({file: Buffer} from
// socket.io-client), decode into []byte fields; a field of another type (any,
// string) gets them as base64 text.
func (a Args) Decode(i int, v any) error {
	raw := a.Raw(i)
	if raw == nil {
		return fmt.Errorf("socketio: no argument %d", i)
	}
	if len(a.atts) > 0 && hasPlaceholder(raw) {
		raw = inlineAttachments(raw, a.atts)
	}
	return json.Unmarshal(raw, v)
}

// String returns argument i when it is a JSON string.
func (a Args) String(i int) (string, bool) {
	raw := a.Raw(i)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	return parser.Unquote(raw)
}

// Binary returns argument i when it is a binary attachment (a top-level
// placeholder). The bytes must not be modified.
func (a Args) Binary(i int) ([]byte, bool) {
	raw := a.Raw(i)
	if len(raw) == 0 || raw[0] != '{' || len(a.atts) == 0 {
		return nil, false
	}
	n, ok := parser.ParsePlaceholder(raw)
	if !ok || n >= len(a.atts) {
		return nil, false
	}
	return a.atts[n], true
}

// Attachments returns every binary attachment the arguments refer to (also those
// nested inside objects), in placeholder number order. They must not be modified.
func (a Args) Attachments() [][]byte { return a.atts }

// MarshalJSON returns the arguments as a JSON array (placeholders included), so
// Args can be logged or stored.
func (a Args) MarshalJSON() ([]byte, error) {
	return parser.AppendArray(nil, a.elems), nil
}

// encoder builds the JSON array of an EVENT or ACK from Emit arguments and collects
// their binary attachments.
type encoder struct {
	buf   []byte
	atts  [][]byte
	first bool
	tmp   bytes.Buffer
}

func (e *encoder) sep() {
	if e.first {
		e.first = false
		return
	}
	e.buf = append(e.buf, ',')
}

// encodeArgs appends each argument: []byte → a binary attachment (placeholder),
// json.RawMessage → validated and compacted (nil or empty → null), Args → spliced
// with their attachments renumbered after those already collected, anything else
// → json.Marshal (strings and numbers take a fast path).
func (e *encoder) encodeArgs(args []any) error {
	for _, a := range args {
		if err := e.encodeArg(a); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) encodeArg(a any) error {
	switch v := a.(type) {
	case nil:
		e.sep()
		e.buf = append(e.buf, "null"...)
	case string:
		e.sep()
		e.buf = parser.AppendString(e.buf, v)
	case int:
		e.sep()
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int64:
		e.sep()
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case bool:
		e.sep()
		e.buf = strconv.AppendBool(e.buf, v)
	case []byte:
		e.sep()
		e.buf = parser.AppendPlaceholder(e.buf, len(e.atts))
		e.atts = append(e.atts, v)
	case json.RawMessage:
		e.sep()
		if len(v) == 0 {
			e.buf = append(e.buf, "null"...)
			break
		}
		e.tmp.Reset()
		if err := json.Compact(&e.tmp, v); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		}
		e.buf = append(e.buf, e.tmp.Bytes()...)
	case Args:
		base := len(e.atts)
		for _, el := range v.elems {
			e.sep()
			if len(v.atts) > 0 {
				e.buf = appendRenumbered(e.buf, el, base)
			} else {
				e.buf = append(e.buf, el...)
			}
		}
		e.atts = append(e.atts, v.atts...)
	default:
		e.sep()
		buf, ok, err := marshalBinary(e.buf, v, &e.atts)
		if err == nil && !ok {
			var b []byte
			b, err = json.Marshal(v)
			buf = append(e.buf, b...)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		}
		e.buf = buf
	}
	return nil
}

// appendRenumbered appends the valid JSON value el, rewriting every placeholder
// object in it as {"_placeholder":true,"num":N+base} (canonical form).
func appendRenumbered(dst, el []byte, base int) []byte {
	if !hasPlaceholder(el) {
		return append(dst, el...)
	}
	return appendPlaceholders(dst, el, func(dst []byte, num int) ([]byte, bool) {
		return parser.AppendPlaceholder(dst, num+base), true
	})
}

// appendPlaceholders appends the valid JSON value el with every placeholder object
// replaced by what repl appends for its number (kept as it is when repl says false).
// Only objects holding no container can be placeholders; the walk is iterative.
func appendPlaceholders(dst, el []byte, repl func(dst []byte, num int) ([]byte, bool)) []byte {
	// starts[i] is the start of the innermost open object at depth i, or -1 for an
	// array or an object that holds a container.
	var starts []int
	last := 0
	for i := 0; i < len(el); i++ {
		switch c := el[i]; c {
		case '"':
			for i++; i < len(el) && el[i] != '"'; i++ {
				if el[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if n := len(starts); n > 0 {
				starts[n-1] = -1 // the parent holds a container: not a placeholder
			}
			if c == '{' {
				starts = append(starts, i)
			} else {
				starts = append(starts, -1)
			}
		case '}', ']':
			n := len(starts) - 1
			if n < 0 {
				break
			}
			start := starts[n]
			starts = starts[:n]
			if c == '}' && start >= 0 {
				if num, ok := parser.ParsePlaceholder(el[start : i+1]); ok {
					if out, ok := repl(append(dst, el[last:start]...), num); ok {
						dst = out
						last = i + 1
					}
				}
			}
		}
	}
	return append(dst, el[last:]...)
}

// newEncoder starts a JSON array.
func newEncoder(capacity int) *encoder {
	e := &encoder{buf: make([]byte, 0, capacity), first: true}
	e.buf = append(e.buf, '[')
	return e
}

// eventPacket builds an EVENT (or BINARY_EVENT) packet for nsp with ack id id
// (parser.NoID for none).
func eventPacket(nsp, event string, args []any, id int64) (*parser.Packet, error) {
	if parser.IsReservedEvent(event) {
		return nil, ErrReservedEvent
	}
	e := newEncoder(16 + len(event) + 16*len(args))
	e.sep()
	e.buf = parser.AppendString(e.buf, event)
	if err := e.encodeArgs(args); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, ']')
	p := &parser.Packet{Type: parser.Event, Nsp: nsp, ID: id, Data: e.buf}
	if len(e.atts) > 0 {
		p.Type = parser.BinaryEvent
		p.Attachments = e.atts
	}
	return p, nil
}

// ackPacket builds an ACK (or BINARY_ACK) packet for nsp.
func ackPacket(nsp string, id int64, args []any) (*parser.Packet, error) {
	e := newEncoder(8 + 16*len(args))
	if err := e.encodeArgs(args); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, ']')
	p := &parser.Packet{Type: parser.Ack, Nsp: nsp, ID: id, Data: e.buf}
	if len(e.atts) > 0 {
		p.Type = parser.BinaryAck
		p.Attachments = e.atts
	}
	return p, nil
}

// splitEvent splits a decoded EVENT payload into its name and Args.
func splitEvent(p *parser.Packet, maxDepth int) (string, Args, error) {
	elems, err := parser.SplitArray(p.Data, maxDepth)
	if err != nil {
		return "", Args{}, err
	}
	if len(elems) == 0 {
		return "", Args{}, errors.New("socketio: event without name")
	}
	name, ok := parser.Unquote(elems[0])
	if !ok {
		return "", Args{}, errors.New("socketio: event name is not a string")
	}
	return name, Args{elems: elems[1:], atts: p.Attachments}, nil
}
