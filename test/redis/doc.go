// Package redise2e is the interop suite of rtserver/socketio/redisadapter: a Go node
// (gonode_test.go, in process) and a Node.js socket.io 4.8.4 node with
// @socket.io/redis-adapter 8.x (started by interop.test.mjs) share one throwaway
// redis-server; real socket.io-client 4.8.4 clients on both nodes and
// @socket.io/redis-emitter 5.x check broadcasts, fetchSockets, disconnectSockets,
// socketsJoin, serverSideEmit, broadcasts with acks and serverCount both ways.
//
// It sits behind the e2e build tag because it needs redis-server, Node and
// test/node_modules:
//
//	cd test && npm ci && cd ..
//	go test -race -count=1 -tags e2e ./test/redis/
//
// A missing redis-server, node or node_modules fails the run; it is never skipped.
//
// Concurrency: the Go node's bookkeeping (server-side events received) is guarded by one
// mutex; its control endpoints call the socketio API, which is safe for concurrent use.
package redise2e
