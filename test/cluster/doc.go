// Package cluster is the multi-node suite of rtserver: two server nodes (NODE_ID a and
// b) sharing one throwaway redis-server (REDIS_URL) and one throwaway PostgreSQL
// database (DATABASE_URL), behind nginx, driven by the real socket.io-client 4.8.4 and
// by a minimal Go Socket.IO client. Every process (redis-server, postgres, the two
// nodes, nginx, a Node.js socket.io node) is started here on 127.0.0.1 and free ports
// and stopped by its PID.
//
//   - TestNginx (cluster.test.mjs "nginx" cases): a client that starts on polling
//     upgrades to WebSocket through nginx, polling-only clients keep their node over
//     many requests (the access log is checked: every request carrying a sid went to
//     the node that made it), handshakes are spread over both nodes.
//   - TestCrossNode (cluster.test.mjs "cross-node" cases): clients pinned to node a
//     and node b chat in one room (ack after store, shared history), typing, presence,
//     /admin online and kick (counted over both nodes), POST /logout and the publish
//     API across nodes.
//   - TestInterop (interop.test.mjs): a Node.js socket.io 4.8.4 node with
//     @socket.io/redis-adapter 8.x and @socket.io/redis-emitter 5.x on the same Redis.
//   - TestRedisOutage: redis-server killed for 10 s and restarted on its port while
//     both nodes carry traffic; figures: cross-node loss, local loss, time to resume,
//     /readyz, goroutines.
//   - TestNodeKilled: SIGKILL of one node; its users go offline for a client on the
//     other node within PRESENCE_TTL.
//   - TestStreams (REDIS_ADAPTER=streams, behind nginx): the /admin cases of
//     cluster.test.mjs; streams.test.mjs: a Node.js socket.io 4.8.4 node with
//     @socket.io/redis-streams-adapter 0.3.1 on the same stream, broadcasts both ways;
//     then the node of a client connected through nginx is SIGKILLed by the script
//     (by PID): its CLUSTER_FAILOVER_N (default 20) clients' share reconnects through
//     nginx to the other node recovered (same id, rooms, the messages broadcast
//     meanwhile in order, none twice), and another user with a recovered pid gets a
//     fresh session; figures: recovery time p50/p99.
//   - TestStreamsRedisRestart: redis-server down 3 s under traffic with the streams
//     adapter; every acked message reaches both nodes once (figures: lost, twice).
//   - TestBench (only with CLUSTER_BENCH=1, see bench.sh): two Go nodes with Redis
//     against two Node.js socket.io nodes with @socket.io/redis-adapter.
//
// It sits behind the e2e build tag and needs redis-server, nginx, PostgreSQL, Node and
// test/node_modules (make setup):
//
//	go test -race -count=1 -tags e2e ./test/cluster/
//
// A missing redis-server, nginx, node or node_modules fails the run. PostgreSQL comes
// from internal/store/pgtest, which skips without the binaries unless CI=true.
//
// Concurrency: each Go test client has one read goroutine and a write mutex; counters
// shared with it are atomics or guarded by the scenario's mutex.
package cluster
