package parser

// Member classes tracked while scanning objects.
const (
	keyOther uint8 = iota
	keyMarker
	keyNum
)

// objState describes the innermost open object while scanning for placeholders.
// Only the innermost object needs state: a placeholder holds no nested container,
// so once an object contains one it is "tainted" and may not become a placeholder.
type objState struct {
	object  bool  // the innermost container is an object
	tainted bool  // it contains a nested container
	marker  bool  // it has a "_placeholder" member
	hasNum  bool  // it has a "num" member
	badNum  bool  // "num" is not a non-negative integer, or repeats
	members int   // member count
	key     uint8 // class of the member being read
	num     int
}

// walker drives the scanner over one JSON text and, when placeholders is set,
// enforces the placeholder rules with fixed-size state.
type walker struct {
	s            scanner
	placeholders bool
	lenient      bool // ParsePlaceholder: num may exceed n; only count
	n            int
	cur          objState
	used         [MaxAttachmentsLimit / 64]uint64
	found        int // placeholders seen
	lastNum      int
	end          int // end of the last token
}

// step returns the next token after applying the placeholder rules to it.
func (w *walker) step() (tokenKind, int, int, error) {
	k, start, end, err := w.s.next()
	if err == nil && k != tokEOF {
		w.end = end
	}
	if err != nil || !w.placeholders {
		return k, start, end, err
	}
	st := &w.cur
	switch k {
	case tokObjectStart, tokArrayStart:
		if st.object && st.marker {
			return k, start, end, ErrInvalidPlaceholder
		}
		w.cur = objState{object: k == tokObjectStart}
	case tokObjectEnd, tokArrayEnd:
		if st.marker {
			if st.members != 2 || !st.hasNum || st.badNum || st.num >= w.n {
				return k, start, end, ErrInvalidPlaceholder
			}
			w.used[st.num>>6] |= 1 << (uint(st.num) & 63)
			w.found++
			w.lastNum = st.num
		}
		w.cur = objState{object: w.s.depth > 0 && w.s.inObject(), tainted: true}
	case tokKey:
		st.members++
		st.key = keyOther
		switch {
		case stringIs(w.s.data[start:end], "_placeholder"):
			if st.tainted || st.marker {
				return k, start, end, ErrInvalidPlaceholder
			}
			st.key, st.marker = keyMarker, true
		case stringIs(w.s.data[start:end], "num"):
			st.key = keyNum
			st.badNum = st.badNum || st.hasNum
			st.hasNum = true
		}
	case tokEOF:
	default: // scalar
		if !st.object {
			break
		}
		switch st.key {
		case keyMarker:
			if k != tokTrue {
				return k, start, end, ErrInvalidPlaceholder
			}
		case keyNum:
			num, ok := attachmentIndex(w.s.data[start:end], k)
			st.num = num
			st.badNum = st.badNum || !ok
		}
	}
	return k, start, end, nil
}

// finish walks to the end of the JSON text and checks that every attachment was
// referenced. It returns the end offset of the value (trailing whitespace excluded).
func (w *walker) finish() (int, error) {
	for {
		k, _, _, err := w.step()
		if err != nil {
			return 0, err
		}
		if k == tokEOF {
			break
		}
	}
	if w.placeholders && !w.lenient {
		for i := 0; i < w.n; i++ {
			if w.used[i>>6]&(1<<(uint(i)&63)) == 0 {
				return 0, ErrInvalidPlaceholder
			}
		}
	}
	return w.end, nil
}

// attachmentIndex parses a placeholder "num": a JSON number that is a plain
// non-negative integer (no sign, fraction or exponent) below MaxAttachmentsLimit.
func attachmentIndex(b []byte, k tokenKind) (int, bool) {
	if k != tokNumber || len(b) > 4 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n < MaxAttachmentsLimit
}
