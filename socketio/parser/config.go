package parser

import "fmt"

// Defaults of DecoderConfig, applied to zero fields.
const (
	DefaultMaxAttachments  = 10
	DefaultMaxDepth        = 32
	DefaultMaxNamespaceLen = 256
)

// MaxAttachmentsLimit is the largest MaxAttachments supported: the decoder tracks
// which attachments are referenced in a fixed bit set of this size.
const MaxAttachmentsLimit = 1024

// DecoderConfig bounds what one connection may send. Every limit exists so that a
// hostile peer cannot make the server hold or walk unbounded state.
type DecoderConfig struct {
	// MaxAttachments is the largest binary attachment count a packet may announce
	// ("<n>-"). Zero means 10. At most MaxAttachmentsLimit.
	MaxAttachments int
	// MaxDepth is the deepest JSON nesting accepted in a payload ([[1]] is depth 2).
	// Zero means 32. At most MaxDepthLimit.
	MaxDepth int
	// MaxNamespaceLen is the longest namespace accepted, in bytes. Zero means 256.
	MaxNamespaceLen int
	// Legacy selects protocol v4 (socket.io-client 2.x, Engine.IO 3): a namespace
	// may carry a query ("/admin?token=x", split into Packet.Query) and a
	// CONNECT_ERROR payload may be a JSON string. Zero means v5.
	Legacy bool
}

// withDefaults returns c with zero fields set to their defaults and every field
// clamped to its supported range, so a Decoder is always usable.
func (c DecoderConfig) withDefaults() DecoderConfig {
	c.MaxAttachments = clamp(c.MaxAttachments, DefaultMaxAttachments, MaxAttachmentsLimit)
	c.MaxDepth = clampDepth(c.MaxDepth)
	c.MaxNamespaceLen = clamp(c.MaxNamespaceLen, DefaultMaxNamespaceLen, 1<<20)
	return c
}

func clamp(v, def, limit int) int {
	switch {
	case v <= 0:
		return def
	case v > limit:
		return limit
	}
	return v
}

// Validate reports a field outside its range, so a server can refuse to start on a
// bad setting instead of silently running with a clamped one. Zero fields are valid.
func (c DecoderConfig) Validate() error {
	switch {
	case c.MaxAttachments < 0 || c.MaxAttachments > MaxAttachmentsLimit:
		return fmt.Errorf("socketio/parser: MaxAttachments %d outside 0..%d", c.MaxAttachments, MaxAttachmentsLimit)
	case c.MaxDepth < 0 || c.MaxDepth > MaxDepthLimit:
		return fmt.Errorf("socketio/parser: MaxDepth %d outside 0..%d", c.MaxDepth, MaxDepthLimit)
	case c.MaxNamespaceLen < 0 || c.MaxNamespaceLen > 1<<20:
		return fmt.Errorf("socketio/parser: MaxNamespaceLen %d outside 0..%d", c.MaxNamespaceLen, 1<<20)
	}
	return nil
}
