// Package store keeps users, sessions, revoked token ids, chat history
// and notification inboxes.
//
// [Store] is the interface the rest of the server uses; every
// implementation runs the conformance suite in package storetest. [Open]
// returns the SQLite one (modernc.org/sqlite, no cgo), a single file in
// DATA_DIR in WAL mode with a busy timeout, its schema migrated on open;
// [OpenPostgres] the PostgreSQL one (pgx), shared by several nodes, its
// migrations applied under an advisory lock.
//
// Lookups of absent rows return [ErrNotFound]; inserting a duplicate
// returns [ErrExists]; appending a message after Close returns
// [ErrClosed]. Any other error is a storage failure.
//
// Chat history is ordered by append (an autoincrement seq), not by the
// messages' TS. [SQLite.AppendMessage] hands its message to a single
// writer goroutine, which takes every append queued (up to 512), inserts
// them in one transaction (a duplicate id fails only its own append),
// answers each caller once the commit is done, and only then applies
// retention: the rooms the batch touched keep their newest
// Options.HistoryLimit messages, and messages older than
// Options.HistoryMaxAge go. Retention runs when the queue is empty, or at
// least every 100ms under load, so it never delays an answer; History
// applies the same limits as it reads, so it never shows a message
// retention is about to delete.
//
// Notifications are written directly: each AddNotifications and MarkRead
// call is one transaction.
//
// Concurrency: a *SQLite is safe for concurrent use. database/sql pools
// the connections; SQLite serialises writers, waiting up to the busy
// timeout. Only the writer goroutine writes the messages table. Close
// refuses new appends, waits for the writer to store the accepted ones
// and exit, then closes the database.
//
// Durability: synchronous=NORMAL in WAL mode. A commit survives a crash
// of the process; a power loss may undo the last commits but does not
// corrupt the file.
package store
