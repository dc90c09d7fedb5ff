package parser

// Type is a Socket.IO packet type, the first character of the text part.
type Type byte

// Packet types of protocol v5. ConnectError was called ERROR in v4 with the same code.
const (
	Connect Type = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
)

// NoID is the Packet.ID of a packet that carries no acknowledgement id. It is
// negative so that 0 stays a valid id.
const NoID int64 = -1

// MaxID is the largest acknowledgement id accepted (2^53-1), the largest integer a
// JavaScript peer represents exactly.
const MaxID int64 = 1<<53 - 1

var typeNames = [...]string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}

// String returns the protocol name of t (e.g. "BINARY_EVENT") for logs and metrics.
func (t Type) String() string {
	if t.Valid() {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// Valid reports whether t is one of the seven packet types, so callers can check
// packets they build before encoding them.
func (t Type) Valid() bool { return t <= BinaryAck }

// Binary reports whether packets of type t are followed by binary attachments and
// carry the "<n>-" count in their header.
func (t Type) Binary() bool { return t == BinaryEvent || t == BinaryAck }

// carriesID reports whether an ack id may appear in packets of type t.
func (t Type) carriesID() bool {
	return t == Event || t == Ack || t == BinaryEvent || t == BinaryAck
}

// Packet is one Socket.IO packet. Data is the raw JSON payload exactly as received
// or to be sent: for Event and Ack a JSON array, possibly holding
// {"_placeholder":true,"num":N} objects that stand for Attachments[N]; for Connect
// and ConnectError an object or nil (a JSON string for ConnectError in v4).
// Attachments are the binary frames of BinaryEvent and BinaryAck packets.
type Packet struct {
	Type Type
	// Nsp is the namespace; "/" (or "") is the main namespace.
	Nsp string
	// Query is the query string a v4 client (socket.io-client 2.x) appends to the
	// namespace of a CONNECT ("/admin?token=x" gives Nsp "/admin", Query "token=x").
	// It is never set by a v5 decoder.
	Query string
	// ID is the acknowledgement id, or NoID (-1). A zero Packet has ID 0: set NoID
	// explicitly on events that want no acknowledgement.
	ID          int64
	Data        []byte
	Attachments [][]byte
}

// HasID reports whether the packet carries an acknowledgement id, i.e. whether an
// EVENT asks for an ACK.
func (p *Packet) HasID() bool { return p.ID >= 0 && p.Type.carriesID() }
