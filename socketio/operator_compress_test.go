package socketio

import "testing"

// TestOperatorCompress: Compress(false) marks the broadcast uncompressed
// without changing the operator it was derived from, and Compress(true)
// takes the mark back off.
func TestOperatorCompress(t *testing.T) {
	base := &Operator{}
	off := base.To("r").Compress(false)
	if base.opts.Uncompressed || !off.opts.Uncompressed {
		t.Fatalf("base %+v, derived %+v", base.opts, off.opts)
	}
	if on := off.Compress(true); on.opts.Uncompressed || !off.opts.Uncompressed {
		t.Fatalf("Compress(true) %+v after %+v", on.opts, off.opts)
	}
}
