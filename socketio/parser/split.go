package parser

// SplitArray returns the top-level elements of the JSON array raw, after validating
// all of it (strict JSON, depth <= maxDepth; <= 0 means DefaultMaxDepth). Elements
// keep their bytes exactly (key order, number form, escapes) except that
// whitespace outside strings is removed. An element without such whitespace
// aliases raw; the others share one new buffer no larger than raw.
func SplitArray(raw []byte, maxDepth int) ([][]byte, error) {
	return AppendSplitArray(nil, raw, maxDepth)
}

// AppendSplitArray is SplitArray appending to dst, so a caller can reuse one slice
// across packets. On error dst is returned unchanged.
func AppendSplitArray(dst [][]byte, raw []byte, maxDepth int) ([][]byte, error) {
	var s scanner
	s.reset(raw, maxDepth)
	k, _, _, err := s.next()
	if err != nil {
		return dst, err
	}
	if k != tokArrayStart {
		return dst, ErrInvalidPayload
	}
	base := len(dst)
	var buf []byte // compacted elements; never grows past len(raw), so slices stay valid
	elemStart, elemWS := 0, 0
	for {
		k, start, end, err := s.next()
		if err != nil {
			return dst[:base], err
		}
		switch {
		case k == tokArrayEnd && s.depth == 0:
			if k, _, _, err := s.next(); err != nil || k != tokEOF {
				return dst[:base], ErrInvalidJSON
			}
			return dst, nil
		case (k == tokObjectStart || k == tokArrayStart) && s.depth == 2:
			elemStart, elemWS = start, s.ws
			continue
		case (k == tokObjectEnd || k == tokArrayEnd) && s.depth == 1:
			start = elemStart
		case k == tokKey || s.depth != 1:
			continue
		}
		// [start, end) is one complete element.
		if k == tokObjectEnd || k == tokArrayEnd {
			if s.ws != elemWS {
				if buf == nil {
					buf = make([]byte, 0, len(raw))
				}
				from := len(buf)
				buf = appendCompact(buf, raw[start:end])
				dst = append(dst, buf[from:len(buf):len(buf)])
				continue
			}
		}
		dst = append(dst, raw[start:end:end])
	}
}

// appendCompact appends the valid JSON value src without whitespace outside strings.
func appendCompact(dst, src []byte) []byte {
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst = append(dst, c)
			switch c {
			case '\\':
				i++
				dst = append(dst, src[i])
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendArray appends the JSON array of elems to dst: "[" elems joined by "," "]".
// The elements are trusted to be valid JSON values (e.g. from SplitArray, AppendString,
// Placeholder or json.Marshal); they are not checked.
func AppendArray(dst []byte, elems [][]byte) []byte {
	dst = append(dst, '[')
	for i, e := range elems {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, e...)
	}
	return append(dst, ']')
}
