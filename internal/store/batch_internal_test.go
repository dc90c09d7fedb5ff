package store

import (
	"fmt"
	"testing"
	"time"
)

// TestTrimDeletesRows checks that retention deletes rows, not only hides
// them from History: Close finishes trimming, and the rows are counted in
// the reopened file.
func TestTrimDeletesRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := Open(t.Context(), dir, Options{HistoryLimit: 5, HistoryMaxAge: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	add := func(room string, i int, ts time.Time) {
		t.Helper()
		if err := s.AppendMessage(t.Context(), Message{ID: fmt.Sprintf("%s%d", room, i), Room: room, TS: ts}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		add("a", i, now)
	}
	for i := range 3 {
		add("b", i, now.Add(-2*time.Hour))
	}
	add("b", 3, now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.db.QueryContext(t.Context(), `SELECT room, count(*), min(id) FROM messages GROUP BY room ORDER BY room`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			room, oldest string
			n            int
		)
		if err := rows.Scan(&room, &n, &oldest); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%d:%s", room, n, oldest))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "[a:5:a15 b:1:b3]"; fmt.Sprint(got) != want {
		t.Fatalf("rows per room %v; want %s", got, want)
	}
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
