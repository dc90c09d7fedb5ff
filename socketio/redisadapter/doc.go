// Package redisadapter is a cluster adapter for rtserver/socketio that speaks the
// protocol of Node's @socket.io/redis-adapter 8.x (the classic pub/sub adapter, not
// the sharded one), so Go and Node.js Socket.IO servers, and @socket.io/redis-emitter
// 5.x, can share one Redis.
//
//	cluster, err := redisadapter.New(ctx, redisadapter.Config{Client: rdb})
//	srv, err := socketio.NewServer(socketio.Config{NewAdapter: cluster.NewAdapter})
//	...
//	srv.Shutdown(ctx) // closes the namespace adapters
//	cluster.Close()
//
// # Wire protocol
//
// For namespace nsp and Key k (default "socket.io"):
//
//   - k#nsp# carries broadcasts, k#nsp#room# those to exactly one room, as msgpack
//     [uid, {type: 2, data: [event, ...args], nsp}, {rooms, except, flags}] with binary
//     arguments as msgpack bin. Every node PSUBSCRIBEs k#nsp#*.
//   - k-request#nsp# carries requests ({uid, requestId, type, ...}), JSON except
//     BROADCAST and any request carrying binary, which are msgpack: 0 sockets,
//     1 allRooms, 2 remoteJoin, 3 remoteLeave, 4 remoteDisconnect, 5 fetchSockets,
//     6 serverSideEmit (with a requestId when acks are wanted), 7 broadcast with acks.
//   - k-response#nsp# (and k-response#nsp#uid#, the requester's own) carry answers:
//     {requestId, sockets|rooms}, and for broadcasts with acks one
//     {type: 8, requestId, clientCount} per node then {type: 9, requestId, packet} per
//     ack, packet being the ack's first argument; {type: 6, requestId, data} is a
//     node's answer to a serverSideEmit with acks.
//   - PUBSUB NUMSUB k-request#nsp# is the server count.
//
// # Redis outages
//
// Local delivery never depends on Redis. Messages for Redis go through one bounded queue
// (Config.QueueSize) drained by one publisher goroutine that pipelines bursts, each
// batch bounded by Config.PublishTimeout; a full queue drops and counts (Stats). While
// Redis is unreachable Healthy reports false, ServerCount reports 1 so broadcasts with
// acks complete with the local answers, and requests to other nodes end early with
// ErrUnavailable. go-redis reconnects and resubscribes on its own; messages published
// meanwhile are lost, as with Node's adapter (pub/sub keeps nothing).
//
// # Limits
//
// Connection state recovery stays per node (the Node adapter has none either). An ack
// forwarded from another node (a broadcast's, or a node's answer to
// ServerSideEmitWithAck) carries its first argument only, as with Node's adapter, and
// AckResponse.SocketID is "" for it.
//
// # Concurrency
//
// Cluster and the adapters it makes are safe for concurrent use. One goroutine reads the
// subscription and runs the handling of every received message (local delivery, which
// only queues frames); one goroutine publishes. Neither holds a lock while calling into
// the socketio package or Redis, and no call from a namespace waits on Redis except
// FetchSockets, Sockets and ServerCount, bounded by their context and RequestsTimeout.
package redisadapter
