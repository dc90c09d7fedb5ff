package engineio

import (
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// Frame is one Engine.IO message (packet type 4) payload, encoded once and shareable by
// any number of sessions (broadcast). Immutable after NewFrame. It lazily caches the
// WebSocket encodings it needs (*websocket.PreparedMessage) with sync.Once, so N
// WebSocket recipients share one encoded frame. Polling recipients encode it into their
// response body.
type Frame struct {
	// enc is the packet type prefix followed by the data: '4' for text (the v4 and v3
	// text packet), 0x04 for binary (the v3 binary packet; v4 sends enc[1:]).
	enc    []byte
	binary bool
	// noCompress keeps the message out of permessage-deflate (NewUncompressedFrame).
	noCompress bool
	// refs counts sends, saturating at 2: a frame sent once is written directly, a
	// shared one through its prepared messages.
	refs atomic.Int32
	pm   [2]preparedSlot // 0: text or v4 binary, 1: v3 binary (0x04 prefix)
}

type preparedSlot struct {
	once  sync.Once
	msg   *websocket.PreparedMessage
	wonce sync.Once
	wire  []byte // the whole uncompressed WebSocket frame, written raw (rawConn)
}

// NewFrame copies data into a new Frame; binary selects a binary message. The copy lets
// the caller reuse data and lets the Frame prepend the packet type without a second copy.
func NewFrame(data []byte, binary bool) *Frame {
	enc := make([]byte, len(data)+1)
	if binary {
		enc[0] = 4
	} else {
		enc[0] = typeMessage
	}
	copy(enc[1:], data)
	return &Frame{enc: enc, binary: binary}
}

// NewUncompressedFrame is NewFrame for a message that is never compressed, even on
// a WebSocket that negotiated permessage-deflate (Socket.IO's compress(false)): data
// that is already compressed, or latency that matters more than bytes.
func NewUncompressedFrame(data []byte, binary bool) *Frame {
	f := NewFrame(data, binary)
	f.noCompress = true
	return f
}

// Compressible reports whether the frame may be compressed (see
// NewUncompressedFrame).
func (f *Frame) Compressible() bool { return !f.noCompress }

// Data returns the message payload. It must not be modified.
func (f *Frame) Data() []byte { return f.enc[1:] }

// Binary reports whether the message is binary.
func (f *Frame) Binary() bool { return f.binary }

// Len returns the payload length in bytes.
func (f *Frame) Len() int { return len(f.enc) - 1 }

// markSent records one more recipient.
func (f *Frame) markSent() {
	if f.refs.Load() < 2 {
		f.refs.Add(1)
	}
}

// shared reports whether more than one session was handed the frame.
func (f *Frame) shared() bool { return f.refs.Load() > 1 }

// wsMessage returns the WebSocket message type and bytes of the frame for protocol proto.
func (f *Frame) wsMessage(proto int) (int, []byte, int) {
	switch {
	case !f.binary:
		return websocket.TextMessage, f.enc, 0
	case proto == 4:
		return websocket.BinaryMessage, f.enc[1:], 0
	default:
		return websocket.BinaryMessage, f.enc, 1
	}
}

// wire returns the frame as one whole uncompressed server WebSocket frame for slot,
// built once: every recipient's socket gets these same bytes.
func (f *Frame) wire(slot, typ int, b []byte) []byte {
	s := &f.pm[slot]
	s.wonce.Do(func() { s.wire = wsFrame(typ, b) })
	return s.wire
}

// prepared returns the cached prepared message for slot, building it once.
func (f *Frame) prepared(slot, typ int, b []byte) *websocket.PreparedMessage {
	s := &f.pm[slot]
	s.once.Do(func() {
		// Only fails for compression settings, which are never used here; a nil message
		// makes the writer fall back to a plain write.
		s.msg, _ = websocket.NewPreparedMessage(typ, b)
	})
	return s.msg
}
