package socketio

import (
	"bytes"
	"crypto/rand"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"rtserver/socketio/parser"
)

// Binary nested in arguments, both ways, as Node's server does with Buffers inside
// objects and arrays: Args.Decode fills []byte fields from the attachments their
// placeholders name, and Emit (and Ack) sends the []byte found anywhere inside a
// struct, map, slice, pointer or interface as attachments.
//
// Sending works on a copy of the value in which each []byte is replaced by a marker
// (a per-process random prefix and an index, which encoding/json writes as a base64
// string), so struct tags, omitempty and embedding keep encoding/json's rules; the
// markers are then replaced by placeholders, numbered in the order they appear.

// maxBinaryDepth bounds the walk for []byte (a cyclic value stops there).
const maxBinaryDepth = 64

var (
	// markerPrefix starts every marker; its 12 bytes are 16 base64 characters.
	markerPrefix = func() (p [12]byte) {
		_, _ = rand.Read(p[:])
		return p
	}()
	markerQuoted = `"` + base64.StdEncoding.EncodeToString(markerPrefix[:])

	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

	holdsBytesCache sync.Map // reflect.Type → bool
)

// binWalker collects the []byte values of one argument.
type binWalker struct {
	bins [][]byte
}

// marshalBinary appends the JSON of v to dst with every []byte inside it sent as an
// attachment appended to atts. ok is false when v holds no []byte (the caller
// marshals it as usual).
func marshalBinary(dst []byte, v any, atts *[][]byte) (out []byte, ok bool, err error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !holdsBytes(rv.Type()) {
		return dst, false, nil
	}
	var w binWalker
	nv, changed := w.walk(rv, 0, false)
	if !changed {
		return dst, false, nil
	}
	b, err := json.Marshal(nv.Interface())
	if err != nil {
		return dst, false, err
	}
	for {
		i := strings.Index(string(b), markerQuoted)
		if i < 0 {
			break
		}
		end := i + len(markerQuoted) + 8 // 4 index bytes: 6 characters and "=="
		var idx [4]byte
		if end >= len(b) || b[end] != '"' {
			break
		}
		if _, err := base64.StdEncoding.Decode(idx[:], b[i+len(markerQuoted):end]); err != nil {
			break
		}
		n := int(idx[0])<<24 | int(idx[1])<<16 | int(idx[2])<<8 | int(idx[3])
		if n >= len(w.bins) {
			break
		}
		dst = append(dst, b[:i]...)
		dst = parser.AppendPlaceholder(dst, len(*atts))
		*atts = append(*atts, w.bins[n])
		b = b[end+1:]
	}
	return append(dst, b...), true, nil
}

// marker returns the stand-in for the n-th []byte.
func marker(n int) []byte {
	m := make([]byte, 0, 16)
	m = append(m, markerPrefix[:]...)
	return append(m, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// walk returns v with every []byte replaced by a marker, copying only what lies on
// the way to one; changed is false when there is none. omitEmpty is the omitempty of
// the struct field v is.
func (w *binWalker) walk(v reflect.Value, depth int, omitEmpty bool) (reflect.Value, bool) {
	if depth > maxBinaryDepth || !v.IsValid() {
		return v, false
	}
	t := v.Type()
	if isMarshaler(t) {
		return v, false
	}
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return v, false
		}
		if t.Elem().Kind() == reflect.Uint8 {
			mt := reflect.TypeOf([]byte(nil))
			if (omitEmpty && v.Len() == 0) || !mt.ConvertibleTo(t) {
				return v, false
			}
			w.bins = append(w.bins, v.Bytes())
			return reflect.ValueOf(marker(len(w.bins) - 1)).Convert(t), true
		}
		if !holdsBytes(t.Elem()) {
			return v, false
		}
		var out reflect.Value
		for i := range v.Len() {
			nv, ch := w.walk(v.Index(i), depth+1, false)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeSlice(t, v.Len(), v.Len())
				reflect.Copy(out, v)
			}
			out.Index(i).Set(nv)
		}
		return out, out.IsValid()
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 || !holdsBytes(t.Elem()) { // [N]byte is a JSON array
			return v, false
		}
		var out reflect.Value
		for i := range v.Len() {
			nv, ch := w.walk(v.Index(i), depth+1, false)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			out.Index(i).Set(nv)
		}
		return out, out.IsValid()
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		nv, ch := w.walk(v.Elem(), depth+1, false)
		if !ch {
			return v, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(nv)
		return p, true
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		nv, ch := w.walk(v.Elem(), depth+1, false)
		if !ch {
			return v, false
		}
		out := reflect.New(t).Elem()
		out.Set(nv)
		return out, true
	case reflect.Map:
		if v.IsNil() || !holdsBytes(t.Elem()) {
			return v, false
		}
		var out reflect.Value
		it := v.MapRange()
		for it.Next() {
			nv, ch := w.walk(it.Value(), depth+1, false)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(t, v.Len())
				it2 := v.MapRange()
				for it2.Next() {
					out.SetMapIndex(it2.Key(), it2.Value())
				}
			}
			out.SetMapIndex(it.Key(), nv)
		}
		return out, out.IsValid()
	case reflect.Struct:
		var out reflect.Value
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || !holdsBytes(f.Type) {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			omit := strings.Contains(tag, ",omitempty") || strings.Contains(tag, ",omitzero")
			nv, ch := w.walk(v.Field(i), depth+1, omit)
			if !ch {
				continue
			}
			if !out.IsValid() {
				out = reflect.New(t).Elem()
				out.Set(v)
			}
			out.Field(i).Set(nv)
		}
		return out, out.IsValid()
	}
	return v, false
}

// isMarshaler reports whether encoding/json encodes t with its own method, so its
// insides are not walked (json.RawMessage, time.Time, Args).
func isMarshaler(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	return t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)
}

// holdsBytes reports whether a value of type t may hold a []byte that JSON would
// encode (an interface may hold anything). Cached per type.
func holdsBytes(t reflect.Type) bool {
	if v, ok := holdsBytesCache.Load(t); ok {
		return v.(bool)
	}
	h := reachesBytes(t, map[reflect.Type]bool{})
	holdsBytesCache.Store(t, h)
	return h
}

// reachesBytes searches t for a []byte; seen breaks cycles of recursive types.
func reachesBytes(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if isMarshaler(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 || reachesBytes(t.Elem(), seen)
	case reflect.Array, reflect.Pointer, reflect.Map:
		return t.Elem().Kind() != reflect.Uint8 && reachesBytes(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && reachesBytes(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// inlineAttachments returns the JSON value el with every placeholder that names an
// attachment replaced by that attachment as a base64 string, which encoding/json
// decodes into a []byte.
func inlineAttachments(el []byte, atts [][]byte) []byte {
	return appendPlaceholders(nil, el, func(dst []byte, num int) ([]byte, bool) {
		if num >= len(atts) {
			return dst, false
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, atts[num])
		return append(dst, '"'), true
	})
}

// hasPlaceholder reports whether el may hold a placeholder object.
func hasPlaceholder(el []byte) bool { return bytes.Contains(el, []byte(`"_placeholder"`)) }
