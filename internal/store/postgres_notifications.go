package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// data::text reads json back as the stored text, byte for byte.
const pgNotificationColumns = `id, user_id, type, title, body, data::text, ts, read_at`

func pgScanNotification(row scanner) (Notification, error) {
	var (
		n      Notification
		data   *string
		readAt *time.Time
	)
	if err := row.Scan(&n.ID, &n.UserID, &n.Type, &n.Title, &n.Body, &data, &n.TS, &readAt); err != nil {
		return Notification{}, fmt.Errorf("store: read notification: %w", err)
	}
	if data != nil {
		n.Data = json.RawMessage(*data)
	}
	n.TS = n.TS.UTC()
	if readAt != nil {
		n.ReadAt = readAt.UTC()
	}
	return n, nil
}

func pgScanNotifications(rows pgx.Rows) ([]Notification, error) {
	defer rows.Close()
	return collectRows("read notifications", rows, 0, pgScanNotification)
}

// AddNotifications implements Notifications. ID and UserID are required
// and Data must be valid JSON or empty (stored as NULL, read back as nil);
// a zero TS becomes now. Nothing is stored when any fails. All go in one
// INSERT, in the order given (which is the order Unread and
// ListNotifications keep), so the call is one round trip and one
// transaction; a duplicate id, stored or within ns, fails it with
// ErrExists.
func (s *Postgres) AddNotifications(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	var (
		ids, users, types, titles, bodies = make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns))
		data                              = make([]*string, len(ns))
		tss                               = make([]time.Time, len(ns))
		readAts                           = make([]*time.Time, len(ns))
		now                               = s.now()
	)
	for i, n := range ns {
		if err := checkNotification(n); err != nil {
			return err
		}
		if !pgText(n.ID, n.UserID, n.Type, n.Title, n.Body, string(n.Data)) {
			return fmt.Errorf("store: notification %q: %w", n.ID, errText)
		}
		ids[i], users[i], types[i], titles[i], bodies[i] = n.ID, n.UserID, n.Type, n.Title, n.Body
		if len(n.Data) > 0 {
			d := string(n.Data)
			data[i] = &d
		}
		ts := n.TS
		if ts.IsZero() {
			ts = now
		}
		tss[i] = pgTime(ts)
		if !n.ReadAt.IsZero() {
			r := pgTime(n.ReadAt)
			readAts[i] = &r
		}
	}
	// The rows go in the order of ns: the identity's nextval runs as the
	// rows leave the ordered subquery.
	_, err := s.pool.Exec(ctx,
		`INSERT INTO notifications (id, user_id, type, title, body, data, ts, read_at)
		 SELECT id, user_id, type, title, body, data::json, ts, read_at
		 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
		      WITH ORDINALITY AS n(id, user_id, type, title, body, data, ts, read_at, ord)
		 ORDER BY ord`,
		ids, users, types, titles, bodies, data, tss, readAts)
	if pgCode(err) == pgUniqueViolation {
		return fmt.Errorf("store: add notifications: %w", ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store: add notifications: %w", err)
	}
	return nil
}

// Unread implements Notifications. A limit <= 0 means DefaultPage, and at
// most MaxUnread come back. It walks notifications_unread.
func (s *Postgres) Unread(ctx context.Context, userID string, limit int) ([]Notification, error) {
	if !pgText(userID) {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+pgNotificationColumns+` FROM notifications
		 WHERE user_id = $1 AND read_at IS NULL ORDER BY seq LIMIT $2`,
		userID, clampLimit(limit, MaxUnread))
	if err != nil {
		return nil, fmt.Errorf("store: unread: %w", err)
	}
	return pgScanNotifications(rows)
}

// ListNotifications implements Notifications. A limit <= 0 means
// DefaultPage, and at most MaxPage come back.
func (s *Postgres) ListNotifications(ctx context.Context, userID, beforeID string, limit int) ([]Notification, bool, error) {
	limit = clampLimit(limit, MaxPage)
	if !pgText(userID, beforeID) {
		if beforeID != "" {
			return nil, false, ErrNotFound
		}
		return nil, false, nil
	}
	before, err := cursorSeq("list notifications", beforeID, func(seq *int64) error {
		return s.pool.QueryRow(ctx,
			`SELECT seq FROM notifications WHERE id = $1 AND user_id = $2`, beforeID, userID).Scan(seq)
	})
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+pgNotificationColumns+` FROM notifications
		 WHERE user_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
		userID, before, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("store: list notifications: %w", err)
	}
	out, err := pgScanNotifications(rows)
	if err != nil {
		return nil, false, err
	}
	out, more := cutPage(out, limit)
	return out, more, nil
}

// MarkRead implements Notifications in one statement. A zero at means
// now, so that a marked notification always reports Read. Concurrent
// calls for the same ids report each id changed by one of them only: the
// UPDATE rechecks read_at IS NULL once it holds the row.
func (s *Postgres) MarkRead(ctx context.Context, userID string, ids []string, at time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if at.IsZero() {
		at = s.now()
	}
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if pgText(id) { // others were never stored
			valid = append(valid, id)
		}
	}
	if !pgText(userID) || len(valid) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx,
		`UPDATE notifications SET read_at = $1
		 WHERE id = ANY($2) AND user_id = $3 AND read_at IS NULL RETURNING id`,
		pgTime(at), valid, userID)
	if err != nil {
		return nil, fmt.Errorf("store: mark read: %w", err)
	}
	marked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: mark read: %w", err)
	}
	if len(marked) == 0 {
		return nil, nil
	}
	// In the order given, a repeated id once.
	pending := make(map[string]bool, len(marked))
	for _, id := range marked {
		pending[id] = true
	}
	changed := make([]string, 0, len(marked))
	for _, id := range ids {
		if pending[id] {
			changed = append(changed, id)
			delete(pending, id)
		}
	}
	return changed, nil
}

// TrimNotifications implements Store, in one transaction. Nodes trimming
// at once delete the same rows at worst: each count is then its own.
func (s *Postgres) TrimNotifications(ctx context.Context) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	defer tx.Rollback(ctx)
	var total int64
	if s.notifMaxAge > 0 {
		tag, err := tx.Exec(ctx, `DELETE FROM notifications WHERE ts < $1`, pgTime(s.now().Add(-s.notifMaxAge)))
		if err != nil {
			return 0, fmt.Errorf("store: trim notifications: %w", err)
		}
		total += tag.RowsAffected()
	}
	// Only users over the cap are ranked; most inboxes are under it.
	tag, err := tx.Exec(ctx,
		`DELETE FROM notifications WHERE seq IN (
		   SELECT seq FROM (
		     SELECT seq, row_number() OVER (PARTITION BY user_id ORDER BY seq DESC) AS rn
		     FROM notifications
		     WHERE user_id IN (SELECT user_id FROM notifications GROUP BY user_id HAVING count(*) > $1)
		   ) ranked WHERE rn > $1)`, s.notifLimit)
	if err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	total += tag.RowsAffected()
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("store: trim notifications: %w", err)
	}
	return total, nil
}
