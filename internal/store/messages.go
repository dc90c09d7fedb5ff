package store

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// AppendMessage implements Messages: it queues m for the writer goroutine
// and waits for the batch that stores m to commit. A zero TS becomes now.
// When ctx ends first it returns ctx's error and m may or may not be
// stored. After Close it returns ErrClosed.
func (s *SQLite) AppendMessage(ctx context.Context, m Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	return s.writer.append(ctx, m)
}

// ageCutoff returns the oldest TS (in ms) retention keeps.
func (s *SQLite) ageCutoff() int64 {
	if s.historyMaxAge <= 0 {
		return math.MinInt64
	}
	return millis(s.now().Add(-s.historyMaxAge))
}

// History implements Messages. A limit <= 0 means DefaultPage, and at most
// MaxPage messages come back. Retention applies as soon as an append
// returns: History skips messages beyond the room's newest HistoryLimit
// and messages older than HistoryMaxAge even before the writer deleted
// them.
func (s *SQLite) History(ctx context.Context, room, beforeID string, limit int) ([]Message, bool, error) {
	limit = clampLimit(limit, MaxPage)
	before, err := cursorSeq("history", beforeID, func(seq *int64) error {
		return s.db.QueryRowContext(ctx, `SELECT seq FROM messages WHERE id = ? AND room = ?`, beforeID, room).Scan(seq)
	})
	if err != nil {
		return nil, false, err
	}
	// The subquery finds the oldest seq the count limit keeps; both it
	// and the outer query walk messages_room_seq.
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, user_id, user_name, text, ts FROM messages
		 WHERE room = ?1 AND seq < ?2 AND ts >= ?3 AND seq >= coalesce(
			(SELECT seq FROM messages WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?4), 0)
		 ORDER BY seq DESC LIMIT ?5`,
		room, before, s.ageCutoff(), s.historyLimit-1, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: history: %w", err)
	}
	defer rows.Close()
	out, err := collectRows("history", rows, limit+1, func(row scanner) (Message, error) {
		m := Message{Room: room}
		var ts int64
		if err := row.Scan(&m.ID, &m.UserID, &m.UserName, &m.Text, &ts); err != nil {
			return Message{}, fmt.Errorf("store: history: %w", err)
		}
		m.TS = fromMillis(ts)
		return m, nil
	})
	if err != nil {
		return nil, false, err
	}
	out, more := cutPage(out, limit)
	slices.Reverse(out)
	return out, more, nil
}
