// Package wsbench compares the two WebSocket libraries considered for the engine,
// gorilla/websocket v1.5.3 (in use) and github.com/coder/websocket v1.8.15, on what the
// engine's load targets depend on: server CPU per written message (one recipient, and
// one message written to many recipients, where gorilla's PreparedMessage frames it
// once) and server memory per idle connection with one reading goroutine each.
//
// It is its own module so the main go.mod does not depend on coder/websocket:
//
//	cd test/load/wsbench && go test -run Idle -v -bench . -benchmem
package wsbench
