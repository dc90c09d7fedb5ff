// Package socketio is a Socket.IO server (protocol v5 over Engine.IO v4, from
// package engineio, with the packet codec of package parser). Legacy clients
// (socket.io-client 2.x: Engine.IO 3, Socket.IO protocol v4) are served when
// engineio.Config.AllowEIO3 is set.
//
// A Server holds namespaces (static with Of, dynamic with OfFunc and OfRegexp).
// Connection middleware (Namespace.Use) sees the Handshake (auth payload, query,
// headers, cookies, remote address) and may refuse with a *ConnectError, which the
// client receives as connect_error {message, data}. A connected Socket has typed
// handlers, func(s *Socket, args Args, ack Ack): Args keep the client's JSON bytes
// exactly (Decode, String, Binary read them) and Ack answers. Emit takes []byte
// (binary attachment), json.RawMessage (raw JSON), Args (spliced back byte for byte)
// or any value json.Marshal accepts. Rooms, broadcasts (Operator), acknowledgements
// in both directions, connection state recovery and graceful shutdown mirror
// socket.io's semantics; the Adapter interface mirrors socket.io's adapter so a
// cluster adapter can be added later. Recovery differs in one respect: by default
// the middleware runs before a session is restored, and RecoveryConfig.Owner and
// KeepRoom let the application bind a session to who created it and restore only
// the rooms its current rules allow, so a leaked pid hands nothing over.
//
// # Concurrency contract
//
// Each client connection has one read loop (owned by engineio). Every packet of
// that connection is handled on it, in arrival order: namespace middleware,
// OnConnection callbacks, packet middleware, OnAny and event listeners of all the
// connection's sockets, and the callbacks of EmitWithAckFunc when the ack arrives.
// A handler may block (a database write before its ack, say); that only delays
// the same connection's later packets. It must not wait for something only that
// read loop can deliver: Socket.EmitWithAck waits for the client's ack, which
// arrives on that loop, so from a handler use EmitWithAckFunc or a goroutine.
//
// OnAnyOutgoing listeners run on the goroutine that emits (a handler, a
// broadcast's caller, a cluster adapter delivering a remote broadcast).
//
// OnDisconnect and OnDisconnecting callbacks run on the goroutine that ended the
// socket: the read loop (client DISCONNECT), the engine's close goroutine
// (transport loss, ping timeout, shutdown) or the caller of Socket.Disconnect or
// DisconnectSockets.
//
// Everything else is safe to call from any goroutine: Emit, EmitWithAck(Func),
// Ack functions (once), Join, Leave, Rooms, Set/Get, SetData/Data, Disconnect, and
// every Namespace, Operator and Server method. Emits never block on the network:
// frames are queued on the Engine.IO session, whose queue is bounded (a client
// that does not read is disconnected as a slow consumer). A broadcast encodes its
// packet once and hands the same frames to every recipient; the recipient list is
// copied under the adapter's read locks and the frames are sent after releasing
// them. A room of 32 or more members keeps its resolved sockets between broadcasts
// until its members change, so a broadcast to it reads one slice of sockets. Pending acknowledgements are bounded per socket and removed when their
// context ends or the socket disconnects.
//
// A panicking handler or middleware is recovered and logged; the connection goes
// on (a panicking middleware refuses the connection with "internal error").
package socketio
