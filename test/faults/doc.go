// Package faults is the fault suite of rtserver: it builds cmd/server, starts the
// real binary on 127.0.0.1 (by PID, with env), drives it with many Socket.IO clients
// over WebSocket and records what the "Faults" table of SECURITY_CASES.md asks for:
//
//   - TestFaultsRestart: SIGTERM mid-traffic and a restart on the same DATA_DIR and
//     port; clients reconnect with socket.io-client's backoff and re-send unacked
//     messages with the same cid. Time until all are back, broadcasts lost on the
//     plain path, and loss with acks + ids + history (must be 0).
//   - TestFaultsSlowConsumer: one member of a busy room stops reading. Its undelivered
//     bytes at disconnect, time until the server drops it (and why), the others' p99
//     delivery latency before and during, server RSS.
//   - TestFaultsAbruptCut: 30% of the connections cut without a close frame (FIN, RST,
//     or silent); fds, threads, RSS (and goroutines/heap when /metrics exists) back to
//     baseline after pingInterval+pingTimeout, and room presence shrinks.
//   - TestFaultsReconnectStorm: every client reconnects at once after a restart:
//     handshakes/s, p99 connect time, 503s against other failures, no crash.
//   - TestFaultsGracefulShutdown: SIGTERM with acks in flight: sent, acked, every
//     acked message in history after restart, clients see a transport close (never
//     "io server disconnect"), handshakes during shutdown get 503.
//
// The suite sits behind the e2e build tag. FAULTS_SCALE picks the size: ci (default,
// a few hundred clients, well under two minutes) or full (thousands):
//
//	go test -tags e2e -run Faults -v ./test/faults/
//	ulimit -n 20000; FAULTS_SCALE=full go test -tags e2e -run Faults -v -timeout 30m ./test/faults/
//
// Every figure is logged with t.Logf and the whole table is printed to stdout at the
// end of the run.
//
// Concurrency: each test client has one read goroutine; writes go through the
// client's write mutex. Shared counters are atomics or guarded by the owning
// scenario's mutex. The server process is started and stopped only by its PID.
package faults
