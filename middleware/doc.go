// Package middleware holds the Gin middleware (slog request log with token
// redaction, recovery, security headers, CORS) and the Socket.IO namespace
// auth middleware with the typed claims accessors.
//
// Concurrency: every constructor returns a closure or an immutable value
// (Origins, Credentials) that is safe for concurrent use. Nothing here
// keeps package state; loggers are injected (nil discards).
package middleware
