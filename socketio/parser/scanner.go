package parser

import "unicode/utf8"

// MaxDepthLimit is the largest nesting depth the JSON scanner supports. The
// container stack is a fixed bit set of this size, so scanning never allocates.
const MaxDepthLimit = 1024

// tokenKind is the kind of one JSON token returned by scanner.next.
type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokObjectStart
	tokObjectEnd
	tokArrayStart
	tokArrayEnd
	tokKey // an object member name, including its quotes; the ':' is consumed
	tokString
	tokNumber
	tokTrue
	tokFalse
	tokNull
)

// expectState is what the grammar allows at the scanner's position.
type expectState uint8

const (
	expValue      expectState = iota // a value: top level, after ':' or after ',' in an array
	expValueOrEnd                    // after '['
	expKeyOrEnd                      // after '{'
	expKey                           // after ',' in an object
	expCommaOrEnd                    // after a value inside a container
	expDone                          // the top-level value is complete
)

// scanner is an iterative, strict (RFC 8259, UTF-8) JSON tokenizer. It walks one
// JSON text token by token with an explicit container stack, so deeply nested
// input costs a depth check, not stack frames, and it allocates nothing.
type scanner struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
	ws       int // whitespace bytes skipped so far (outside strings)
	expect   expectState
	objects  [MaxDepthLimit / 64]uint64 // bit d set: the container at depth d+1 is an object
}

func (s *scanner) reset(data []byte, maxDepth int) {
	s.data, s.pos, s.depth, s.ws, s.expect = data, 0, 0, 0, expValue
	s.maxDepth = clampDepth(maxDepth)
}

// clampDepth maps a configured depth onto 1..MaxDepthLimit; <= 0 means the default.
func clampDepth(d int) int {
	switch {
	case d <= 0:
		return DefaultMaxDepth
	case d > MaxDepthLimit:
		return MaxDepthLimit
	}
	return d
}

func (s *scanner) inObject() bool {
	d := s.depth - 1
	return s.objects[d>>6]&(1<<(uint(d)&63)) != 0
}

func (s *scanner) push(object bool) error {
	if s.depth >= s.maxDepth {
		return ErrTooDeep
	}
	d := s.depth
	if object {
		s.objects[d>>6] |= 1 << (uint(d) & 63)
	} else {
		s.objects[d>>6] &^= 1 << (uint(d) & 63)
	}
	s.depth++
	return nil
}

func (s *scanner) afterValue() {
	if s.depth == 0 {
		s.expect = expDone
	} else {
		s.expect = expCommaOrEnd
	}
}

func (s *scanner) pop() {
	s.depth--
	s.afterValue()
}

func (s *scanner) skipWS() {
	start := s.pos
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			s.ws += s.pos - start
			return
		}
	}
	s.ws += s.pos - start
}

// next returns the next token and its byte range [start, end). At the end of a
// complete JSON text it returns tokEOF; anything after the value is an error.
func (s *scanner) next() (tokenKind, int, int, error) {
	for {
		s.skipWS()
		if s.pos >= len(s.data) {
			if s.expect == expDone {
				return tokEOF, s.pos, s.pos, nil
			}
			return tokEOF, s.pos, s.pos, ErrInvalidJSON
		}
		c, start := s.data[s.pos], s.pos
		switch s.expect {
		case expDone:
			return tokEOF, start, start, ErrInvalidJSON
		case expCommaOrEnd:
			obj := s.inObject()
			switch {
			case c == ',':
				s.pos++
				if obj {
					s.expect = expKey
				} else {
					s.expect = expValue
				}
				continue
			case c == '}' && obj:
				s.pos++
				s.pop()
				return tokObjectEnd, start, s.pos, nil
			case c == ']' && !obj:
				s.pos++
				s.pop()
				return tokArrayEnd, start, s.pos, nil
			}
			return tokEOF, start, start, ErrInvalidJSON
		case expKeyOrEnd, expKey:
			if c == '}' && s.expect == expKeyOrEnd {
				s.pos++
				s.pop()
				return tokObjectEnd, start, s.pos, nil
			}
			if c != '"' {
				return tokEOF, start, start, ErrInvalidJSON
			}
			end, ok := scanString(s.data, start)
			if !ok {
				return tokEOF, start, start, ErrInvalidJSON
			}
			s.pos = end
			s.skipWS()
			if s.pos >= len(s.data) || s.data[s.pos] != ':' {
				return tokEOF, start, start, ErrInvalidJSON
			}
			s.pos++
			s.expect = expValue
			return tokKey, start, end, nil
		case expValueOrEnd:
			if c == ']' {
				s.pos++
				s.pop()
				return tokArrayEnd, start, s.pos, nil
			}
		}
		return s.value(c, start)
	}
}

// value scans the value starting with byte c at start.
func (s *scanner) value(c byte, start int) (tokenKind, int, int, error) {
	var k tokenKind
	end := -1
	switch c {
	case '{', '[':
		if err := s.push(c == '{'); err != nil {
			return tokEOF, start, start, err
		}
		s.pos++
		if c == '{' {
			s.expect = expKeyOrEnd
			return tokObjectStart, start, s.pos, nil
		}
		s.expect = expValueOrEnd
		return tokArrayStart, start, s.pos, nil
	case '"':
		k = tokString
		if e, ok := scanString(s.data, start); ok {
			end = e
		}
	case 't':
		k, end = tokTrue, literal(s.data, start, "true")
	case 'f':
		k, end = tokFalse, literal(s.data, start, "false")
	case 'n':
		k, end = tokNull, literal(s.data, start, "null")
	default:
		k, end = tokNumber, scanNumber(s.data, start)
	}
	if end < 0 {
		return tokEOF, start, start, ErrInvalidJSON
	}
	s.pos = end
	s.afterValue()
	return k, start, end, nil
}

func literal(data []byte, i int, lit string) int {
	if end := i + len(lit); end <= len(data) && string(data[i:end]) == lit {
		return end
	}
	return -1
}

// scanString returns the index just past the string whose opening quote is at
// data[i], checking escapes, control characters and UTF-8.
func scanString(data []byte, i int) (int, bool) {
	for i++; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(data) {
				return 0, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex4(data[i+2:i+6]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, false
			}
			i += size
		}
	}
	return 0, false
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber returns the index just past the number at data[i], or -1.
// Grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func scanNumber(data []byte, i int) int {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return -1
	case data[i] == '0':
		i++
	case isDigit(data[i]):
		i = digits(data, i)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(data []byte, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}
