// Command loadgen runs the load scenarios against the Go engine (test/load/goserver), the
// floor server (test/load/floorserver) and the Node reference server
// (test/load/nodeserver.mjs, socket.io 4.8.4), and the connect and idle scenarios against the
// product (cmd/server) and the Node reference product (test/load/nodeproduct.mjs), in one run,
// and prints absolute numbers and Go/Floor, Go/Node and Product/Node product ratios.
// test/load/run.sh builds it and starts it pinned to the client core; loadgen starts each server itself, pinned with `taskset -c LOAD_SERVER_CPU`, so
// it knows their PIDs, reads their CPU time and RSS from /proc, and stops exactly those PIDs.
//
// Why a Go load client and not socket.io-client: measured on this machine (2 cores), one
// Node process running socket.io-client 4.8.4 (WebSocket transport) spends about 0.4 ms of
// CPU per connect: 1,700 connects/s used 73 % of its core against the Node server, which
// itself managed about 1,800/s. The handshake target is 5x Node's rate, which a Node client
// on the other core cannot generate, so it would measure itself. client.go is a minimal
// Engine.IO v4 / Socket.IO v5 WebSocket client that speaks exactly the frames the
// scenarios use (open, CONNECT with auth, ping/pong, EVENT, ACK). Its own CPU use is printed
// per scenario; when it is near 100 % of its core, the number is client-bound and says so.
//
// Servers (LOAD_SERVERS, default go,floor,node,product,nodeproduct): go, floor and node are
// connected on namespace / with one fixed token (LOAD_TOKEN). product and nodeproduct are
// connected on /chat, each client with an HS256 JWT of its own user and jti, minted here
// (jwt.go) with a JWT_SECRET generated for the run, before the measurement starts; they
// run connect and idle only. The product gets a fresh DATA_DIR (removed after),
// HANDSHAKE_RATE=0, METRICS_ADDR=off and LOG_LEVEL=warn, and none of the caller's product
// variables (productEnv).
//
// Scenarios (sizes times LOAD_SCALE):
//
//	connect  5,000 authenticated connects (WebSocket, CONNECT with auth), 100 in flight:
//	         handshakes/s, server CPU per handshake
//	idle     10,000 idle authenticated WebSocket connections: server RSS growth per
//	         connection after LOAD_IDLE_SECONDS idle, then how far RSS comes back within
//	         LOAD_RELEASE_SECONDS once they close
//	fanout   1,000 clients in one room, one sender: server CPU per delivered message at each
//	         equal rate (LOAD_EQUAL_DELIVERIES deliveries/s, default 20000,40000,60000), p99 at
//	         those rates, and the highest rate whose p99 stays under 250 ms with nothing lost
//	pairs    2,000 clients in 1,000 rooms of 2, each sending once a second: p99, server CPU
//
// Latency is measured from a timestamp the sender puts in each message to the moment a
// receiving client reads it (sender and receivers are in this process, same clock).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
