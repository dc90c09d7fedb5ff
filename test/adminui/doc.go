// Package adminui holds the end-to-end suites of the Socket.IO Admin UI
// (ADMIN_UI=1): protocol.test.mjs drives the protocol with socket.io-client
// against rtserver and against reference-fixture.mjs (Node's instrument() from
// @socket.io/admin-ui 0.5.1), so every expectation is Node's. Build tag e2e.
package adminui
