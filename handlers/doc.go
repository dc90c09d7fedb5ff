// Package handlers holds the server's Gin handlers (login, logout, health,
// the demo page), the socket event handlers, and routes.go, which lists
// every HTTP route and Socket.IO namespace.
//
// Concurrency: constructors precompute their state and return closures
// that are safe for concurrent requests. Shared state lives in two types,
// each guarded by its own mutex and never held across I/O or a callback:
// LoginLimiter (failure counts per username and client IP) and Tracker
// (live sockets by user, token and session; disconnects run after the lock
// is released). A connect takes a Tracker ticket before its credential is
// verified (the admission middleware, first in every namespace) and is
// registered only if no logout, revoke or kick named its login since: the
// ordering argument is on Tracker. Event handlers are registered once per
// namespace (socketio.Namespace.On); what one socket holds is its claims
// and its conn (admission.go), built to stay small for idle sockets:
// cmd/server's BenchmarkIdleChatMemory measures it. Client-facing errors
// come only from package apierr.
package handlers
