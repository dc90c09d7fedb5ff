package socketio

import (
	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// encodeFrames encodes p once into the engine frames every recipient shares;
// compress false keeps them out of permessage-deflate. The default JSON parser is
// called directly, not through parser.Codec, so its scratch buffer stays on the
// stack: the default costs nothing for the option of another parser.
func (s *Server) encodeFrames(p *parser.Packet, compress bool) []*engineio.Frame {
	if s == nil || s.codec == nil {
		return encodeJSONFrames(p, compress)
	}
	var scratch [256]byte // on the heap: an interface call keeps its arguments
	first, binary, rest, err := s.codec.AppendEncode(scratch[:0], p)
	if err != nil {
		// Packets are built by this package, so this is a codec bug: log it, send nothing.
		s.log.Error("socketio: parser cannot encode packet", "type", p.Type.String(), "nsp", p.Nsp, "err", err)
		return nil
	}
	frames := make([]*engineio.Frame, 1+len(rest))
	frames[0] = newFrame(first, binary, compress)
	for i, b := range rest {
		frames[i+1] = newFrame(b, true, compress)
	}
	return frames
}

// encodeJSONFrames is encodeFrames for the JSON parser: the text packet, then one
// binary frame per attachment.
func encodeJSONFrames(p *parser.Packet, compress bool) []*engineio.Frame {
	frames := make([]*engineio.Frame, 1+len(p.Attachments))
	var scratch [256]byte
	frames[0] = newFrame(parser.AppendEncode(scratch[:0], p), false, compress)
	for i, att := range p.Attachments {
		frames[i+1] = newFrame(att, true, compress)
	}
	return frames
}

// newFrame copies data into a frame (a static call, so data may live on the
// caller's stack).
func newFrame(data []byte, binary, compress bool) *engineio.Frame {
	if compress {
		return engineio.NewFrame(data, binary)
	}
	return engineio.NewUncompressedFrame(data, binary)
}

// newDecoder returns the packet decoder of one connection.
func (s *Server) newDecoder(cfg parser.DecoderConfig) parser.PacketDecoder {
	if s.codec == nil {
		return parser.NewDecoder(cfg)
	}
	return s.codec.NewDecoder(cfg)
}
