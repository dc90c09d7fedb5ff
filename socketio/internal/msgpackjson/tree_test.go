package msgpackjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
)

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
		return jsonNode{}, ErrTooDeep
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

// encodeTree is the reference for AppendMsgpack: it parses raw with encoding/json
// into a tree, then writes it with the msgpack library.
func encodeTree(e *msgpack.Encoder, raw []byte, atts [][]byte) error {
	n, err := parseJSON(raw, len(atts))
	if err != nil {
		return err
	}
	return encodeNode(e, n, atts)
}
