package socketio

import (
	"encoding/json"
	"errors"
	"fmt"

	"rtserver/socketio/parser"
)

// Errors returned by Socket, Namespace and Operator methods. Compare with errors.Is.
var (
	// ErrDisconnected: the socket is no longer connected, so nothing was sent.
	ErrDisconnected = errors.New("socketio: socket disconnected")
	// ErrTooManyRooms: Join would pass Config.MaxRoomsPerSocket.
	ErrTooManyRooms = errors.New("socketio: too many rooms for this socket")
	// ErrTooManyAcks: the socket already waits for Config.MaxPendingAcks
	// acknowledgements.
	ErrTooManyAcks = errors.New("socketio: too many pending acknowledgements")
	// ErrReservedEvent: the event name is reserved by the protocol (connect,
	// connect_error, disconnect, disconnecting, newListener, removeListener).
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrAckSent: an Ack function was called more than once.
	ErrAckSent = errors.New("socketio: acknowledgement already sent")
	// ErrAckTimeout: EmitWithAck's context ended before every acknowledgement came.
	ErrAckTimeout = errors.New("socketio: acknowledgement timed out")
	// ErrShutdown: the server is shutting down.
	ErrShutdown = errors.New("socketio: server shutting down")
	// ErrInvalidArgument: an Emit argument could not be encoded as JSON.
	ErrInvalidArgument = errors.New("socketio: invalid argument")
)

// PartialError comes with the answers so far when a request to every node of a
// cluster (FetchSockets, Sockets) ends before each node answered. Nodes count
// this one, which always answers. Err wraps the adapter's reason (its ErrTimeout
// or ErrUnavailable), so errors.Is still finds it.
type PartialError struct {
	Answered, Expected int
	Err                error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%v: %d of %d nodes answered", e.Err, e.Answered, e.Expected)
}

func (e *PartialError) Unwrap() error { return e.Err }

// internalErrorMessage is what a client sees when a middleware fails with an error
// that is not a *ConnectError: details stay in the log.
const internalErrorMessage = "internal error"

// invalidNamespaceMessage is the CONNECT_ERROR message for an unknown namespace
// (socket.io's exact text; clients match on it).
const invalidNamespaceMessage = "Invalid namespace"

// ConnectError refuses a connection to a namespace. A Middleware returns it; the
// client receives CONNECT_ERROR {"message": Message, "data": Data} and its
// connect_error handler gets an Error whose message is Message and data is Data.
// Any other middleware error is sent as {"message":"internal error"} and logged.
type ConnectError struct {
	// Message is shown to the client; keep it to a small fixed set.
	Message string
	// Data is marshalled to JSON; nil sends no "data" key.
	Data any
}

// Error returns the message, so a ConnectError can be returned as an error.
func (e *ConnectError) Error() string { return e.Message }

// appendPayload appends the CONNECT_ERROR payload: an object for protocol v5; for
// a v4 (legacy) client Data when set, else Message as a JSON string, which is what
// socket.io-client 2.x turns into its `error` event.
func (e *ConnectError) appendPayload(dst []byte, legacy bool) []byte {
	var data []byte
	if e.Data != nil {
		if b, err := json.Marshal(e.Data); err == nil {
			data = b
		}
	}
	if legacy {
		if data != nil {
			return append(dst, data...)
		}
		return parser.AppendLegacyConnectError(dst, e.Message)
	}
	return parser.AppendConnectError(dst, e.Message, data)
}
