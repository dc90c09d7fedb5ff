package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgtype"
)

// AppendMessage implements Messages: it queues m for the writer goroutine
// and waits for the batch that stores m to commit. A zero TS becomes now.
// When ctx ends first it returns ctx's error and m may or may not be
// stored. After Close it returns ErrClosed.
//
// Unlike SQLite, PostgreSQL cannot store text that is not valid UTF-8 or
// holds a NUL byte; such a message is refused here (not ErrExists), so
// that it cannot fail the batch of the appends queued with it.
func (s *Postgres) AppendMessage(ctx context.Context, m Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	if !pgText(m.ID, m.Room, m.UserID, m.UserName, m.Text) {
		return errText
	}
	return s.writer.append(ctx, m)
}

// historyCutoff is the age bound History applies: -infinity without a
// max age.
func (s *Postgres) historyCutoff() pgtype.Timestamptz {
	if s.historyMaxAge <= 0 {
		return pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	}
	return pgtype.Timestamptz{Time: s.ageCutoff(), Valid: true}
}

// History implements Messages. A limit <= 0 means DefaultPage, and at most
// MaxPage messages come back. Retention applies as soon as an append
// returns: History skips messages beyond the room's newest HistoryLimit
// and messages older than HistoryMaxAge even before the writer deleted
// them.
func (s *Postgres) History(ctx context.Context, room, beforeID string, limit int) ([]Message, bool, error) {
	limit = clampLimit(limit, MaxPage)
	if !pgText(room, beforeID) {
		if beforeID != "" {
			return nil, false, ErrNotFound
		}
		return []Message{}, false, nil // no room has that name
	}
	before, err := cursorSeq("history", beforeID, func(seq *int64) error {
		return s.pool.QueryRow(ctx, `SELECT seq FROM messages WHERE id = $1 AND room = $2`, beforeID, room).Scan(seq)
	})
	if err != nil {
		return nil, false, err
	}
	// The subquery finds the oldest seq the count limit keeps; both it
	// and the outer query walk messages_room_seq.
	rows, err := s.pool.Query(ctx,
		`SELECT id, user_id, user_name, text, ts FROM messages
		 WHERE room = $1 AND seq < $2 AND ts >= $3 AND seq >= coalesce(
			(SELECT seq FROM messages WHERE room = $1 ORDER BY seq DESC OFFSET $4 LIMIT 1), 0)
		 ORDER BY seq DESC LIMIT $5`,
		room, before, s.historyCutoff(), s.historyLimit-1, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	out, err := collectRows("history", rows, limit+1, func(row scanner) (Message, error) {
		m := Message{Room: room}
		if err := row.Scan(&m.ID, &m.UserID, &m.UserName, &m.Text, &m.TS); err != nil {
			return Message{}, fmt.Errorf("store: history: %w", err)
		}
		m.TS = m.TS.UTC()
		return m, nil
	})
	if err != nil {
		return nil, false, err
	}
	out, more := cutPage(out, limit)
	slices.Reverse(out)
	return out, more, nil
}
