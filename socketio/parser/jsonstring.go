package parser

import (
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a compact JSON string, so callers can build event names
// and error messages without encoding/json (whose Encoder adds a newline). Control
// characters are escaped, invalid UTF-8 becomes U+FFFD, and U+2028/U+2029 are
// escaped for JavaScript peers; HTML characters are left alone.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			switch r {
			case '\u2028':
				dst = append(dst, `\u2028`...)
			case '\u2029':
				dst = append(dst, `\u2029`...)
			default:
				dst = append(dst, `\ufffd`...)
			}
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Unquote decodes a JSON string token (with its quotes), e.g. an event name taken
// from SplitArray. It reports false when raw is not exactly one valid JSON string.
func Unquote(raw []byte) (string, bool) {
	if end, ok := scanString(raw, 0); !ok || end != len(raw) || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if !hasBackslash(inner) {
		return string(inner), true
	}
	buf := make([]byte, 0, len(inner))
	for i := 0; i < len(inner); {
		var r rune
		r, i = decodeChar(inner, i)
		buf = utf8.AppendRune(buf, r)
	}
	return string(buf), true
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// decodeChar decodes the character at inner[i] of an already validated string body
// and returns it with the index of the next one. Lone surrogates become U+FFFD.
func decodeChar(inner []byte, i int) (rune, int) {
	c := inner[i]
	if c >= utf8.RuneSelf {
		r, size := utf8.DecodeRune(inner[i:])
		return r, i + size
	}
	if c != '\\' {
		return rune(c), i + 1
	}
	switch inner[i+1] {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		r := hex4(inner[i+2:])
		i += 6
		if utf16.IsSurrogate(r) {
			if i+6 <= len(inner) && inner[i] == '\\' && inner[i+1] == 'u' {
				if pair := utf16.DecodeRune(r, hex4(inner[i+2:])); pair != utf8.RuneError {
					return pair, i + 6
				}
			}
			return utf8.RuneError, i
		}
		return r, i
	}
	return rune(inner[i+1]), i + 2 // '"', '\\', '/'
}

func hex4(b []byte) rune {
	return rune(hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3]))
}

// stringIs reports whether the validated JSON string token raw decodes to lit,
// without allocating; escapes such as "conn\u0065ct" are decoded.
func stringIs(raw []byte, lit string) bool {
	inner := raw[1 : len(raw)-1]
	if !hasBackslash(inner) {
		return string(inner) == lit
	}
	j := 0
	for i := 0; i < len(inner); {
		var r rune
		r, i = decodeChar(inner, i)
		if j >= len(lit) || r >= utf8.RuneSelf || byte(r) != lit[j] {
			return false // lit is ASCII
		}
		j++
	}
	return j == len(lit)
}
