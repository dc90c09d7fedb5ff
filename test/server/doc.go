// Package server holds the end-to-end suite of the authenticated real-time
// server: e2e_test.go (build tag e2e) builds cmd/server, starts it four
// times (the main server; one with AUTH_AFTER_CONNECT=1; a strict one with
// short tokens and the default event rate; and the edge one, behind a
// trusted proxy played by the suite, with the handshake limit on), runs the Node
// suites in this directory (`node --test`) with socket.io-client against
// them, stops the processes by PID and checks that no token the suites used
// reached the server logs.
//
// Run it with: go test -race -tags e2e ./test/server/ (needs node and
// test/node_modules from `make setup-node`; a missing node fails the test).
package server
