package store

import (
	"testing"
	"time"
)

func openSQLite(t *testing.T, dir string, opts Options) *SQLite {
	t.Helper()
	s, err := Open(t.Context(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestTrimDeletesRows checks that retention deletes rows, not only hides
// them from History: Close finishes trimming, and the rows are counted in
// the reopened file.
func TestTrimDeletesRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillBeyondRetention(t, openSQLite(t, dir, trimOptions))
	s := openSQLite(t, dir, Options{})
	rows, err := s.db.QueryContext(t.Context(), roomCountsQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantTrimmedRooms(t, rows)
}

// TestBatchOrderAndDuplicates runs testBatchOrderAndDuplicates on SQLite.
func TestBatchOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	s := openSQLite(t, t.TempDir(), Options{})
	testBatchOrderAndDuplicates(t, s, s.writer)
}

// TestOpenRefusesNegativeRetention checks the options Open validates.
func TestOpenRefusesNegativeRetention(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{{HistoryLimit: -1}, {HistoryMaxAge: -time.Second}} {
		if s, err := Open(t.Context(), t.TempDir(), o); err == nil {
			s.Close()
			t.Errorf("%+v accepted", o)
		}
	}
}
