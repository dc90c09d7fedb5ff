package engineio

import (
	"errors"

	"github.com/gorilla/websocket"
)

// Defaults of PerMessageDeflate, documented on its fields.
const (
	DefaultDeflateThreshold = 1024
	DefaultDeflateLevel     = 1
)

// PerMessageDeflate turns on WebSocket compression (RFC 7692 permessage-deflate,
// without context takeover) for clients that offer it, as Node's perMessageDeflate
// option does. It costs CPU and, per connection while a message is written, a
// compressor; it pays for large text messages on slow links.
type PerMessageDeflate struct {
	// Threshold is the size, in bytes, from which a message is compressed; smaller
	// ones are sent as they are. Default 1024 (Node's).
	Threshold int
	// Level is the flate level, 1 (fastest) to 9 (smallest). Default 1.
	Level int
}

func (p PerMessageDeflate) withDefaults() PerMessageDeflate {
	if p.Threshold == 0 {
		p.Threshold = DefaultDeflateThreshold
	}
	if p.Level == 0 {
		p.Level = DefaultDeflateLevel
	}
	return p
}

func (p PerMessageDeflate) validate() error {
	switch {
	case p.Threshold < 0:
		return errors.New("engineio: PerMessageDeflate.Threshold must not be negative")
	case p.Level < 1 || p.Level > 9:
		return errors.New("engineio: PerMessageDeflate.Level must be in 1..9")
	}
	return nil
}

// setupDeflate applies the compression level to a new WebSocket; whether each
// message is compressed is decided by compressNext.
func (srv *Server) setupDeflate(c *websocket.Conn) {
	if d := srv.cfg.PerMessageDeflate; d != nil {
		_ = c.SetCompressionLevel(d.Level) // validated
		c.EnableWriteCompression(false)
	}
}

// compressNext decides whether the next message written to c, of n bytes, is
// compressed: never for an uncompressible frame or under the threshold. Without
// permessage-deflate on the connection it has no effect.
func (srv *Server) compressNext(c *wsConn, f *Frame, n int) {
	if d := srv.cfg.PerMessageDeflate; d != nil {
		c.EnableWriteCompression(f != nil && f.Compressible() && n >= d.Threshold)
	}
}
