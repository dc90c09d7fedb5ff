// Package streams is a cluster adapter for rtserver/socketio that speaks the protocol
// of Node's @socket.io/redis-streams-adapter 0.3.x, so Go and Node.js Socket.IO
// servers share one cluster, and that keeps connection state recovery working across
// nodes, also when a node dies.
//
//	cluster, err := streams.New(ctx, streams.Config{Client: rdb, SessionTTL: window})
//	srv, err := socketio.NewServer(socketio.Config{NewAdapter: cluster.NewAdapter, Recovery: ...})
//	...
//	srv.Shutdown(ctx)
//	cluster.Close()
//
// # Wire protocol (as observed from 0.3.1)
//
//   - One stream (StreamName, default "socket.io") for every namespace. Entries are
//     XADD stream MAXLEN ~ MaxLen * uid <node> nsp <nsp> type <n> data <d>, d being
//     JSON, or base64 of msgpack when it carries binary. Types: 3 broadcast
//     {packet: {type: 2, data}, opts: {rooms, except, flags}}, 4 socketsJoin and
//     5 socketsLeave {opts, rooms}, 6 disconnectSockets {opts, close}. Every node
//     reads it with XREAD COUNT ReadCount BLOCK from the last id it read.
//   - Pub/sub for requests and answers: msgpack {type, data, uid, nsp} on
//     prefix#nsp# (to all) and prefix#nsp#uid# (answers to node uid): 3 broadcast
//     with acks (data.requestId, opts.flags.timeout), 7 fetchSockets, 8 its answer
//     {requestId, sockets}, 9 serverSideEmit {packet: [event, ...args], requestId?},
//     10 its answer, 11 a node's client count, 12 one ack. PUBSUB NUMSUB prefix#nsp#
//     is the server count; 0.3.x writes no heartbeats.
//   - A disconnected session is SET sessionKeyPrefix+pid to base64 of msgpack
//     {sid, pid, rooms, data} PX the recovery window, and taken with GET+DEL in
//     MULTI; a broadcast's offset is its entry id, and missed packets are read with
//     XRANGE after it (the offset must still be in the stream). Go nodes add offset
//     and owner to the session (Node ignores them).
//
// # Failover
//
// A node that is SIGKILLed persists nothing, so Go nodes also keep the session of
// every connected socket under LiveKeyPrefix+pid (written within LiveSync of a
// change, refreshed every SessionTTL/3) naming their node, and a heartbeat key per
// node (NodeTTL). A handshake for a pid whose session is live on a node whose
// heartbeat has expired takes that session, with the same owner rule. A client
// reconnects sooner than that (socket.io-client: about a second), so while the
// node's heartbeat is current the handshake waits for it, up to NodeTTL + LiveSync,
// polling every NodeTTL/8: the node is seen dead, or persists the session itself. A node of
// @socket.io/redis-streams-adapter neither writes nor reads live sessions.
//
// # Redis outages and ordering
//
// Every write goes through one bounded queue (QueueSize, default MaxLen) drained by
// one writer that pipelines bursts. Stream entries and sessions are tried again until
// Redis takes them, in order; pub/sub requests are dropped (their callers time out).
// The reader resumes from the last entry it read, so a node loses only entries the
// stream trimmed meanwhile (or all unread ones if Redis itself loses its data).
// An XADD that Redis executed but whose reply the writer lost when Redis died is
// appended again; Go nodes number their entries (field seq), and readers drop a
// number they have already read from that node, so each entry is delivered once
// (TestResentEntryDeliveredOnce; Node's entries carry no seq and are taken as they
// come).
// With recovery on, a node delivers its own broadcasts to its local sockets when it
// reads them back from the stream, so every socket gets packets in stream order with
// their entry id as offset; during an outage those wait for Redis too. Without
// recovery, local delivery is immediate.
//
// # Limits
//
// A serverSideEmit from another node that asks for acks gets none from a Go node on
// this branch (its handlers take none; see host.go). Acks forwarded from other nodes
// carry their first argument only and AckResponse.SocketID is "". A session persisted
// by a Node node has no owner, so a Go namespace with RecoveryConfig.Owner refuses it.
//
// # Concurrency
//
// Cluster and its adapters are safe for concurrent use. One goroutine reads the
// stream and handles entries in order; one reads the subscription; one writes; one
// keeps live sessions and the heartbeat. None holds a lock while calling into the
// socketio package or Redis. Calls from a namespace do not wait on Redis except
// FetchSockets, Sockets, ServerCount, ServerSideEmitWithAck and RestoreSession,
// bounded by their context and RequestsTimeout.
package streams
