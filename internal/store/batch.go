package store

import (
	"context"
	"fmt"
)

// The SQLite side of the message writer (writer.go): SQLite implements
// messageBackend with trimWhenDrained.

// insertMessages implements messageBackend: one prepared INSERT per
// request, in batch order, in one transaction. ON CONFLICT DO NOTHING
// leaves a duplicate's row count 0, for an id stored earlier in the batch
// too.
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

// trim implements messageBackend. Both deletes walk an index
// (messages_room_seq, messages_ts). It never returns errTrimBusy: SQLite
// serialises writers, waiting up to the busy timeout.
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
