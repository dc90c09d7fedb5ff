package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

const notificationColumns = `id, user_id, type, title, body, data, ts, read_at`

func scanNotification(row scanner) (Notification, error) {
	var (
		n      Notification
		data   sql.NullString
		ts     int64
		readAt sql.NullInt64
	)
	if err := row.Scan(&n.ID, &n.UserID, &n.Type, &n.Title, &n.Body, &data, &ts, &readAt); err != nil {
		return Notification{}, fmt.Errorf("store: read notification: %w", err)
	}
	if data.Valid {
		n.Data = json.RawMessage(data.String)
	}
	n.TS = fromMillis(ts)
	if readAt.Valid {
		n.ReadAt = fromMillis(readAt.Int64)
	}
	return n, nil
}

func scanNotifications(rows *sql.Rows) ([]Notification, error) {
	defer rows.Close()
	return collectRows("read notifications", rows, 0, scanNotification)
}

// AddNotifications implements Notifications. ID and UserID are required
// and Data must be valid JSON or empty (stored as NULL, read back as nil);
// a zero TS becomes now. Nothing is stored when any fails.
func (s *SQLite) AddNotifications(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	for _, n := range ns {
		if err := checkNotification(n); err != nil {
			return err
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: add notifications: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO notifications (id, user_id, type, title, body, data, ts, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: add notifications: %w", err)
	}
	defer stmt.Close()
	now := s.now()
	for _, n := range ns {
		var data, readAt any // nil binds NULL
		if len(n.Data) > 0 {
			data = string(n.Data)
		}
		if !n.ReadAt.IsZero() {
			readAt = millis(n.ReadAt)
		}
		ts := n.TS
		if ts.IsZero() {
			ts = now
		}
		_, err := stmt.ExecContext(ctx, n.ID, n.UserID, n.Type, n.Title, n.Body, data, millis(ts), readAt)
		if isConstraint(err) {
			return fmt.Errorf("store: notification %q: %w", n.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("store: add notifications: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add notifications: %w", err)
	}
	return nil
}

// Unread implements Notifications. A limit <= 0 means DefaultPage, and at
// most MaxUnread come back.
func (s *SQLite) Unread(ctx context.Context, userID string, limit int) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+notificationColumns+` FROM notifications
		 WHERE user_id = ? AND read_at IS NULL ORDER BY seq LIMIT ?`,
		userID, clampLimit(limit, MaxUnread))
	if err != nil {
		return nil, fmt.Errorf("store: unread: %w", err)
	}
	return scanNotifications(rows)
}

// ListNotifications implements Notifications. A limit <= 0 means
// DefaultPage, and at most MaxPage come back.
func (s *SQLite) ListNotifications(ctx context.Context, userID, beforeID string, limit int) ([]Notification, bool, error) {
	limit = clampLimit(limit, MaxPage)
	before, err := cursorSeq("list notifications", beforeID, func(seq *int64) error {
		return s.db.QueryRowContext(ctx,
			`SELECT seq FROM notifications WHERE id = ? AND user_id = ?`, beforeID, userID).Scan(seq)
	})
	if err != nil {
		return nil, false, err
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+notificationColumns+` FROM notifications
		 WHERE user_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
		userID, before, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: list notifications: %w", err)
	}
	out, err := scanNotifications(rows)
	if err != nil {
		return nil, false, err
	}
	out, more := cutPage(out, limit)
	return out, more, nil
}

// MarkRead implements Notifications in one transaction. A zero at means
// now, so that a marked notification always reports Read.
func (s *SQLite) MarkRead(ctx context.Context, userID string, ids []string, at time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if at.IsZero() {
		at = s.now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: mark read: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx,
		`UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: mark read: %w", err)
	}
	defer stmt.Close()
	var changed []string
	for _, id := range ids {
		res, err := stmt.ExecContext(ctx, millis(at), id, userID)
		if err != nil {
			return nil, fmt.Errorf("store: mark read: %w", err)
		}
		// A repeated id finds its row read already: it is listed once.
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("store: mark read: %w", err)
		} else if n == 1 {
			changed = append(changed, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: mark read: %w", err)
	}
	return changed, nil
}

// TrimNotifications implements Store, in one transaction.
func (s *SQLite) TrimNotifications(ctx context.Context) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	defer tx.Rollback()
	var total int64
	if s.notifMaxAge > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM notifications WHERE ts < ?`, millis(s.now().Add(-s.notifMaxAge)))
		if err != nil {
			return 0, fmt.Errorf("store: trim notifications: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	// Only users over the cap are ranked: the GROUP BY walks the
	// (user_id, seq) index, and most inboxes are under it.
	res, err := tx.ExecContext(ctx,
		`DELETE FROM notifications WHERE seq IN (
		   SELECT seq FROM (
		     SELECT seq, row_number() OVER (PARTITION BY user_id ORDER BY seq DESC) AS rn
		     FROM notifications
		     WHERE user_id IN (SELECT user_id FROM notifications GROUP BY user_id HAVING count(*) > ?1)
		   ) WHERE rn > ?1)`, s.notifLimit)
	if err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	n, _ := res.RowsAffected()
	total += n
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	return total, nil
}
