// Package engine holds the end-to-end suites of the rtserver Socket.IO engine: Go fixture
// servers built with rtserver/socketio (fixture_test.go) driven by the real npm clients
// socket.io-client 4.8.x (v4.test.mjs) and socket.io-client 2.x (v2.test.mjs) through
// `node --test` (e2e_test.go).
//
// The suites sit behind the e2e build tag because they need Node and test/node_modules:
//
//	cd test && npm ci && cd ..
//	go test -race -count=1 -tags e2e ./test/engine/
//
// A missing node binary or node_modules fails the run; it is never skipped. Set
// E2E_TEST_NAME_PATTERN to run only the matching Node test cases.
//
// Concurrency: each fixture server is safe for concurrent use by any number of client
// connections; its bookkeeping (disconnect reasons, connections by session) is guarded by
// one mutex, and no lock is held while calling into the engine.
package engine
