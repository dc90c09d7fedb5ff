package engineio

import (
	"testing"
	"unsafe"
)

// TestWSConnLayout: what tryWrite reads of a wsConn fits in its first cache line, and
// the size keeps every wsConn on a cache line boundary (see wsConn).
func TestWSConnLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("laid out for 64-bit platforms")
	}
	var w wsConn
	if size := unsafe.Sizeof(w); size%64 != 0 {
		t.Errorf("wsConn is %d bytes, not a multiple of 64: pad it (see wsConn)", size)
	}
	if end := unsafe.Offsetof(w.rc0) + unsafe.Offsetof(w.rc0.closed) + 1; end > 64 {
		t.Errorf("tryWrite's fields end at byte %d of wsConn, past its first cache line", end)
	}
}
