// Package tls holds the end-to-end suite of HTTPS and WSS (build tag e2e).
// Each test generates a CA and a server certificate (crypto/x509) and runs
// the real socket.io-client (tls.test.mjs, trusting the CA through
// NODE_EXTRA_CA_CERTS) against:
//
//   - TestTLSDirect: the server serving TLS itself (TLS_CERT_FILE,
//     TLS_KEY_FILE): polling, WebSocket, the upgrade, the Secure cookie on
//     a wss:// handshake from an allowed origin; Chromium loads the demo
//     page over https:// and alice and bob chat (tls-chat.mjs, screenshot
//     in test/artifacts/); then the certificate files are replaced and the
//     server gets SIGHUP: a new connection sees the new certificate and a
//     socket opened before stays connected (reload.mjs).
//   - TestTLSNginx: nginx terminating TLS in front of one plain-HTTP node
//     that trusts it (TRUSTED_PROXIES): the same checks, the cookie Secure
//     through X-Forwarded-Proto.
//
// Run it with: go test -race -tags e2e ./test/tls/
package tls
