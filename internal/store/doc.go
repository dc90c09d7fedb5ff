// Package store keeps users, sessions and revoked token ids.
//
// [Store] is the interface the rest of the server uses, so that a
// PostgreSQL implementation can follow; [Open] returns the SQLite one
// (modernc.org/sqlite, no cgo), a single file in DATA_DIR in WAL mode with
// a busy timeout, its schema migrated on open.
//
// Lookups of absent rows return [ErrNotFound]; inserting a duplicate
// returns [ErrExists]. Any other error is a storage failure.
//
// Concurrency: a *SQLite is safe for concurrent use (database/sql pools
// the connections; SQLite serialises writers, waiting up to the busy
// timeout).
package store
