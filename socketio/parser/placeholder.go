package parser

import "strconv"

// Placeholder returns the JSON object that stands for binary attachment n in an
// event or ack payload, exactly {"_placeholder":true,"num":N}.
func Placeholder(n int) []byte { return AppendPlaceholder(nil, n) }

// AppendPlaceholder appends Placeholder(n) to dst without allocating when dst has room.
func AppendPlaceholder(dst []byte, n int) []byte {
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '}')
}

// ParsePlaceholder reports whether elem (one JSON value, e.g. from SplitArray) is a
// placeholder object and returns its attachment number. Member order and
// whitespace are free; any other member, a duplicate, "_placeholder" other than
// true or "num" other than a non-negative integer makes it not a placeholder.
func ParsePlaceholder(elem []byte) (int, bool) {
	if len(elem) < len(`{"num":0,"_placeholder":true}`) || elem[0] != '{' {
		return 0, false
	}
	var w walker
	w.s.reset(elem, 1) // a placeholder holds no nested container
	w.placeholders = true
	w.n = MaxAttachmentsLimit
	w.lenient = true
	if _, err := w.finish(); err != nil || w.found != 1 {
		return 0, false
	}
	return w.lastNum, true
}

// ValidatePlaceholders checks a JSON payload that travels with n binary
// attachments: it must be valid JSON no deeper than maxDepth (<= 0: default), every
// object with a "_placeholder" member must be exactly a placeholder whose "num" is
// an integer in 0..n-1, and each of the n attachments must be referenced. With
// n == 0 any placeholder is an error.
func ValidatePlaceholders(data []byte, n, maxDepth int) error {
	if n < 0 || n > MaxAttachmentsLimit {
		return ErrTooManyAttachments
	}
	var w walker
	w.s.reset(data, maxDepth)
	w.n = n
	w.placeholders = true
	_, err := w.finish()
	return err
}
