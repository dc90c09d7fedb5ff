package store

import (
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// Paging helpers shared by History, Unread and ListNotifications of both
// stores: the SQL differs, the limits and cursors do not.

// clampLimit maps limit <= 0 to DefaultPage and caps it at maxLimit.
func clampLimit(limit, maxLimit int) int {
	if limit <= 0 {
		return DefaultPage
	}
	return min(limit, maxLimit)
}

// cursorSeq returns the seq of the row a beforeID cursor names, read by
// scan, or math.MaxInt64 (no bound) for an empty beforeID without calling
// scan. ErrNotFound when scan finds no row; op names the call in other
// errors.
func cursorSeq(op, beforeID string, scan func(seq *int64) error) (int64, error) {
	if beforeID == "" {
		return math.MaxInt64, nil
	}
	var seq int64
	err := scan(&seq)
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", op, err)
	}
	return seq, nil
}

// scanner is one row of database/sql's or pgx's.
type scanner interface{ Scan(dest ...any) error }

// rowSet is what database/sql's and pgx's result sets share.
type rowSet interface {
	scanner
	Next() bool
	Err() error
}

// collectRows reads every row of rs with scan (whose errors it returns as
// they are), and the iteration error as op's. The caller closes rs. The
// result is nil for no rows unless capacity > 0.
func collectRows[T any](op string, rs rowSet, capacity int, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	if capacity > 0 {
		out = make([]T, 0, capacity)
	}
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	return out, nil
}

// cutPage cuts a page read with one row more than limit back to limit,
// and reports whether that row was there: more remain beyond the page.
func cutPage[T any](page []T, limit int) ([]T, bool) {
	if len(page) > limit {
		return page[:limit], true
	}
	return page, false
}
