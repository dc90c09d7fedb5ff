package store

import (
	"context"
	"fmt"
	"time"
)

// Message appends go through one writer goroutine (writeLoop), started by
// Open and stopped by Close. Invariants: only writeLoop writes the
// messages table; it answers every request it receives exactly once; it
// exits only after Close closed s.appends and the queue is drained.

const (
	// appendQueue is how many appends may wait for the writer. A full
	// queue makes AppendMessage wait, bounded by its ctx.
	appendQueue = 1024
	// maxBatch caps the appends written in one transaction, so that the
	// latency of one commit stays bounded.
	maxBatch = 512
	// trimEvery is how long trimming may be postponed while appends keep
	// arriving: the writer trims as soon as the queue is empty, and at
	// least this often under sustained load.
	trimEvery = 100 * time.Millisecond
	// trimRooms caps the rooms trimmed in one transaction, so that a
	// burst over many rooms does not hold up the next batch for long.
	trimRooms = 256
	// ageChunk caps the messages deleted for age in one transaction; the
	// rest go in later passes (History hides them meanwhile).
	ageChunk = 1000
)

// appendReq is one AppendMessage waiting for the writer.
type appendReq struct {
	ctx context.Context
	m   Message
	// done is buffered so that the writer never waits for a caller that
	// gave up.
	done chan error
}

// writeLoop is the single writer: it takes whatever appends are queued
// (up to maxBatch), stores them in one transaction, answers each, and only
// then trims the rooms it touched, so that trimming never delays the
// answers of the batch it follows.
func (s *SQLite) writeLoop() {
	defer close(s.writerDone)
	var (
		batch    = make([]*appendReq, 0, maxBatch)
		dirty    = make(map[string]struct{})
		lastTrim = time.Now()
	)
	for r := range s.appends {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-s.appends:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.writeBatch(batch, dirty)
		clear(batch) // let the requests be collected
		if len(dirty) > 0 && (len(s.appends) == 0 || time.Since(lastTrim) >= trimEvery) {
			s.trimLogged(dirty)
			lastTrim = time.Now()
		}
	}
	// Closed: finish the trimming the last batches left, so that a closed
	// store is within its retention limits.
	for len(dirty) > 0 {
		if !s.trimLogged(dirty) {
			return
		}
	}
}

// writeBatch stores batch in one transaction, answers every request and
// adds the rooms it stored messages in to dirty. A request whose ctx has
// ended is answered with ctx's error and not stored; a duplicate id fails
// only its own request; any other failure fails the whole batch.
func (s *SQLite) writeBatch(batch []*appendReq, dirty map[string]struct{}) {
	errs := make([]error, len(batch))
	live := 0
	for i, r := range batch {
		if errs[i] = r.ctx.Err(); errs[i] == nil {
			live++
		}
	}
	if live > 0 {
		if err := s.insertMessages(batch, errs); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
		if errs[i] == nil {
			dirty[r.m.Room] = struct{}{}
		}
	}
}

// insertMessages inserts the requests of batch whose errs entry is nil,
// setting it to ErrExists for a duplicate id, and commits.
func (s *SQLite) insertMessages(batch []*appendReq, errs []error) error {
	// The batch belongs to many callers, so no caller's ctx may cancel
	// it; busy_timeout bounds the wait for the write lock.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: append message: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO messages (id, room, user_id, user_name, text, ts) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("store: append message: %w", err)
	}
	defer stmt.Close()
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		m := r.m
		res, err := stmt.ExecContext(ctx, m.ID, m.Room, m.UserID, m.UserName, m.Text, millis(m.TS))
		if err != nil {
			// Not a duplicate (DO NOTHING took those): SQLite may have
			// rolled the transaction back, so nothing more is written.
			return fmt.Errorf("store: append message: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: append message: %w", err)
		} else if n == 0 {
			errs[i] = ErrExists
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: append message: %w", err)
	}
	return nil
}

// trimLogged runs trim, logging a failure (the rooms stay dirty and are
// tried again after the next batch), and reports whether it succeeded.
func (s *SQLite) trimLogged(dirty map[string]struct{}) bool {
	if err := s.trim(dirty); err != nil {
		s.log.Error("store: trim history", "err", err, "rooms", len(dirty))
		return false
	}
	return true
}

// trim applies retention in one transaction: up to trimRooms rooms of
// dirty keep their newest historyLimit messages (and leave dirty), and,
// with a max age, up to ageChunk messages older than it go. Both deletes
// walk an index (messages_room_seq, messages_ts).
func (s *SQLite) trim(dirty map[string]struct{}) error {
	rooms := make([]string, 0, min(len(dirty), trimRooms))
	for room := range dirty {
		if len(rooms) == trimRooms {
			break
		}
		rooms = append(rooms, room)
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx,
		`DELETE FROM messages WHERE room = ?1 AND seq < (
			SELECT seq FROM messages WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, room := range rooms {
		if _, err := stmt.ExecContext(ctx, room, s.historyLimit-1); err != nil {
			return err
		}
	}
	if s.historyMaxAge > 0 {
		_, err := tx.ExecContext(ctx,
			`DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE ts < ? LIMIT ?)`,
			s.ageCutoff(), ageChunk)
		if err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, room := range rooms {
		delete(dirty, room)
	}
	return nil
}
