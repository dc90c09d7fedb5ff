// Package engineio is an Engine.IO server (protocol v4, and v3 for socket.io-client 2.x
// behind Config.AllowEIO3): the transport layer under Socket.IO. It performs the
// handshake, HTTP long-polling (GET/POST, `\x1e` framing, `b`+base64 binary), WebSocket,
// the polling→WebSocket upgrade, heartbeats and the bounded write queue of each session.
//
// # Concurrency contract
//
//   - Server and Session methods are safe for concurrent use.
//   - Every state change of one session (polls, posts, upgrade, timers, Send, Close) is
//     made under that session's lock, so concurrent HTTP requests for one sid are
//     ordered: a GET racing a POSTed close gets its noop, a GET made during an upgrade
//     waits briefly for the `5` that may already be in flight.
//   - SessionHandler.OnMessage is called from one goroutine at a time per session (the
//     WebSocket read loop, or the POST being handled), in the order the client sent the
//     messages. OnOpen returns before any OnMessage; OnClose runs exactly once, after
//     the last OnMessage has returned, on its own goroutine. A handler may call Send and
//     Close from any of these callbacks.
//   - Session.Send never blocks on the network. On a WebSocket whose queue is empty and
//     whose writer is idle it writes the frame at once, one non-blocking write(2) (as
//     Node's uv_try_write; on Linux, macOS and the BSDs; elsewhere every frame is queued);
//     otherwise, and for what the socket does not take, it appends to the session's
//     queue, bounded by Config.MaxWriteQueueBytes (past it the session closes with
//     ReasonSlowConsumer and Send returns ErrQueueFull). No session lock is held while
//     writing to the network. A polling queue is written by the next GET; a WebSocket
//     queue by a flusher goroutine that exists only while the queue is non-empty
//     (several frames go out in one writev), so an idle WebSocket has no writer.
//     SendEach is a broadcast's fan-out over many sessions.
//   - A WebSocket's read loop is one goroutine at a time, not always the same: once
//     nothing is buffered it returns and the server's idle poller (one epoll instance
//     and one goroutine per Server, Linux) starts a new one when the socket is
//     readable, so an idle WebSocket has no goroutine either. A connection sending
//     messages less than a second apart waits on a small goroutine instead (parkWS,
//     quicker to wake) until it has been quiet for 2 s. On macOS and the BSDs parkWS
//     is the only way; elsewhere the loop just blocks.
//   - A Frame is immutable and may be sent to any number of sessions; it encodes its
//     WebSocket form once (a prepared message per encoding) for all recipients.
//   - Each session has one timer (heartbeat, or the close/linger deadline).
//   - Shutdown refuses new handshakes with 503, closes every session after flushing, and
//     waits (bounded by its context) until no goroutine of the package runs.
package engineio
