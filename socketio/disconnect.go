package socketio

import "rtserver/socketio/engineio"

// DisconnectReason says why a socket left its namespace. OnDisconnect and
// OnDisconnecting handlers receive it. The values are socket.io's strings, so code
// and dashboards written for the Node server read the same; compare with the
// constants, or convert with string() for logs.
type DisconnectReason string

// Reasons a socket disconnects, as the server sees them.
const (
	// ReasonServerNamespaceDisconnect: the server called Socket.Disconnect (or
	// DisconnectSockets); the client sees ReasonIOServerDisconnect and does not
	// reconnect.
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect"
	// ReasonClientNamespaceDisconnect: the client called socket.disconnect() (it
	// sent DISCONNECT); the client sees ReasonIOClientDisconnect.
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect"
	// ReasonTransportClose: the client went away or closed the connection.
	ReasonTransportClose DisconnectReason = "transport close"
	// ReasonTransportError: the connection failed.
	ReasonTransportError DisconnectReason = "transport error"
	// ReasonPingTimeout: the client stopped answering heartbeats.
	ReasonPingTimeout DisconnectReason = "ping timeout"
	// ReasonParseError: the client sent a malformed packet; the session was closed.
	ReasonParseError DisconnectReason = "parse error"
	// ReasonForcedClose: the Engine.IO session was closed on the server side (a
	// connect timeout, an invalid state, Session.Close).
	ReasonForcedClose DisconnectReason = "forced close"
	// ReasonForcedServerClose is what Node reports when its server closes a
	// connection that still has sockets. This server disconnects a connection's
	// sockets before closing it (Socket.Disconnect(true)), so its handlers see
	// ReasonServerNamespaceDisconnect; the name is here for code that matches on
	// Node's full list.
	ReasonForcedServerClose DisconnectReason = "forced server close"
	// ReasonServerShuttingDown: Server.Shutdown; clients reconnect on their own.
	ReasonServerShuttingDown DisconnectReason = "server shutting down"
	// ReasonSlowConsumer (this server's addition): the client did not read fast
	// enough; its write queue passed engineio.Config.MaxWriteQueueBytes.
	ReasonSlowConsumer DisconnectReason = "slow consumer"
	// ReasonPayloadTooLarge (this server's addition): the client sent a message over
	// the payload limit.
	ReasonPayloadTooLarge DisconnectReason = "payload too large"
)

// Reasons a socket.io client reports for its own "disconnect" event, for tests and
// documentation: the server never passes them to its handlers.
const (
	// ReasonIOServerDisconnect: the server disconnected the socket
	// (ReasonServerNamespaceDisconnect on the server side).
	ReasonIOServerDisconnect DisconnectReason = "io server disconnect"
	// ReasonIOClientDisconnect: the client disconnected the socket itself
	// (ReasonClientNamespaceDisconnect on the server side).
	ReasonIOClientDisconnect DisconnectReason = "io client disconnect"
)

// String returns the reason as socket.io spells it.
func (r DisconnectReason) String() string { return string(r) }

// reasonOf maps an engine close reason onto the socket.io name.
func reasonOf(r engineio.Reason) DisconnectReason {
	switch r {
	case engineio.ReasonClientClose:
		return ReasonTransportClose // the Node server names a client `1` so too
	case "":
		return ReasonTransportClose
	}
	return DisconnectReason(r)
}

// recoverable reports whether a socket that ended with reason may be restored by
// connection state recovery: only unexpected losses, never a deliberate disconnect.
func (r DisconnectReason) recoverable() bool {
	switch r {
	case ReasonTransportClose, ReasonTransportError, ReasonPingTimeout,
		ReasonForcedClose, ReasonServerShuttingDown:
		return true
	}
	return false
}
