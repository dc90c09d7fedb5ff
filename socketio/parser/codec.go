package parser

// Codec is a Socket.IO parser: how packets travel as Engine.IO messages (the
// `parser` option of Node's server and client). A server and its clients must use
// the same one. JSON, this package's format, is the default; a Codec for another
// format (socketio/msgpackparser) translates to and from Packet, whose Data stays
// the JSON form with binary placeholders and Attachments, so the rest of the
// server is the same whatever the wire carries.
type Codec interface {
	// AppendEncode encodes p, which is trusted (see AppendEncode): the payload of
	// the first Engine.IO message is appended to dst and returned with whether
	// that message is binary; rest are the binary messages that follow it.
	AppendEncode(dst []byte, p *Packet) (first []byte, binary bool, rest [][]byte, err error)
	// NewDecoder returns the decoder of one connection.
	NewDecoder(cfg DecoderConfig) PacketDecoder
}

// PacketDecoder turns the Engine.IO messages of one connection into packets. Add
// returns a complete packet, or nil while the packet waits for more messages;
// an error means the peer broke the protocol. It is used from one goroutine.
type PacketDecoder interface {
	Add(data []byte, binary bool) (*Packet, error)
}

// JSON is the default Codec: socket.io-parser's text packets, each binary
// attachment in a binary message of its own.
var JSON Codec = jsonCodec{}

type jsonCodec struct{}

// AppendEncode implements Codec.
func (jsonCodec) AppendEncode(dst []byte, p *Packet) ([]byte, bool, [][]byte, error) {
	return AppendEncode(dst, p), false, p.Attachments, nil
}

// NewDecoder implements Codec.
func (jsonCodec) NewDecoder(cfg DecoderConfig) PacketDecoder { return NewDecoder(cfg) }
