// Package tlscert holds the server's TLS certificate (TLS_CERT_FILE,
// TLS_KEY_FILE): [Load] reads and checks a PEM certificate chain and its
// key, and a [Reloader] serves the current pair to every TLS handshake
// through [Reloader.GetCertificate] and swaps in a new one read from the
// same files on [Reloader.Reload] (SIGHUP) or when [Reloader.Watch] sees
// the files change. A reload that fails keeps the pair being served.
//
// Connections already established keep the certificate they were made
// with; only new handshakes see a new one, so a reload drops nothing.
//
// Concurrency: a Reloader is safe for concurrent use; GetCertificate is an
// atomic load and never waits for a reload.
package tlscert
