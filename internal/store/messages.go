package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
)

// clampLimit maps limit <= 0 to DefaultPage and caps it at maxLimit.
func clampLimit(limit, maxLimit int) int {
	if limit <= 0 {
		return DefaultPage
	}
	return min(limit, maxLimit)
}

// AppendMessage implements Messages: it queues m for the writer goroutine
// and waits for the batch that stores m to commit. A zero TS becomes now.
// When ctx ends first it returns ctx's error and m may or may not be
// stored. After Close it returns ErrClosed.
func (s *SQLite) AppendMessage(ctx context.Context, m Message) error {
	if m.ID == "" || m.Room == "" {
		return errors.New("store: message id and room are required")
	}
	if m.TS.IsZero() {
		m.TS = s.now()
	}
	r := &appendReq{ctx: ctx, m: m, done: make(chan error, 1)}
	if err := s.enqueue(ctx, r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue hands r to the writer. It holds closeMu read-locked while it
// waits for room in the queue, so that Close cannot close the queue under
// it; the writer keeps draining meanwhile, so Close waits at most for the
// queue to move.
func (s *SQLite) enqueue(ctx context.Context, r *appendReq) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.appends <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	before := int64(math.MaxInt64)
	if beforeID != "" {
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM messages WHERE id = ? AND room = ?`, beforeID, room).Scan(&before)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, ErrNotFound
		}
		if err != nil {
			return nil, false, fmt.Errorf("store: history: %w", err)
		}
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
	out := make([]Message, 0, limit+1)
	for rows.Next() {
		m := Message{Room: room}
		var ts int64
		if err := rows.Scan(&m.ID, &m.UserID, &m.UserName, &m.Text, &ts); err != nil {
			return nil, false, fmt.Errorf("store: history: %w", err)
		}
		m.TS = fromMillis(ts)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: history: %w", err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, more, nil
}
