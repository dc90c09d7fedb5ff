package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rtserver/internal/store/pgtest"
)

// TestPostgresInternals checks what the conformance suite cannot see
// through the Store interface, on one throwaway server.
func TestPostgresInternals(t *testing.T) {
	t.Parallel()
	srv := pgtest.New(t)
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, url string)
	}{
		{"TrimDeletesRows", testPgTrimDeletesRows},
		{"BatchOrderAndDuplicates", testPgBatchOrderAndDuplicates},
		{"ConcurrentMigrations", testPgConcurrentMigrations},
		{"NewerSchemaRefused", testPgNewerSchemaRefused},
		{"TextPostgresCannotStore", testPgTextPostgresCannotStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, srv.NewDatabase(t))
		})
	}
}

func openPg(t *testing.T, url string, opts Options) *Postgres {
	t.Helper()
	s, err := OpenPostgres(t.Context(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testPgTrimDeletesRows checks that retention deletes rows, not only
// hides them from History: Close finishes trimming.
func testPgTrimDeletesRows(t *testing.T, url string) {
	fillBeyondRetention(t, openPg(t, url, trimOptions))
	s := openPg(t, url, Options{})
	rows, err := s.pool.Query(t.Context(), roomCountsQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wantTrimmedRooms(t, rows)
}

// testPgBatchOrderAndDuplicates runs testBatchOrderAndDuplicates on
// PostgreSQL.
func testPgBatchOrderAndDuplicates(t *testing.T, url string) {
	s := openPg(t, url, Options{})
	testBatchOrderAndDuplicates(t, s, s.writer)
}

// testPgConcurrentMigrations opens several stores on a new database at
// once: the advisory lock lets one migrate and the others find the
// schema in place.
func testPgConcurrentMigrations(t *testing.T, url string) {
	const nodes = 8
	var (
		wg     sync.WaitGroup
		stores = make([]*Postgres, nodes)
		errs   = make([]error, nodes)
	)
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = OpenPostgres(t.Context(), url, Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}
	var versions []int32
	rows, err := stores[0].pool.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int32
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if want := []int32{1, 2}; !slices.Equal(versions, want) || len(pgMigrations()) != len(want) {
		t.Fatalf("schema_migrations %v; want %v", versions, want)
	}
}

// testPgNewerSchemaRefused checks that a server refuses a database that a
// newer server migrated, and that bad options are refused before any
// connection.
func testPgNewerSchemaRefused(t *testing.T, url string) {
	s := openPg(t, url, Options{})
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES (99)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := OpenPostgres(t.Context(), url, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if err == nil {
			s.Close()
		}
		t.Fatalf("newer schema: %v", err)
	}
	for _, o := range []Options{{HistoryLimit: -1}, {HistoryMaxAge: -time.Second}} {
		if s, err := OpenPostgres(t.Context(), url, o); err == nil {
			s.Close()
			t.Errorf("%+v accepted", o)
		}
	}
	_, err := OpenPostgres(t.Context(), "postgres://u:s3cret@[bad", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: %v", err)
	}
}

// testPgTextPostgresCannotStore checks that strings PostgreSQL cannot
// store are refused by the call that carries them, not ErrExists, and do
// not fail other appends.
func testPgTextPostgresCannotStore(t *testing.T, url string) {
	s := openPg(t, url, Options{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			m := Message{ID: fmt.Sprint("ok", i), Room: "r", Text: "fine"}
			if i%2 == 0 {
				m = Message{ID: fmt.Sprint("bad", i), Room: "r", Text: "nul\x00byte"}
			}
			err := s.AppendMessage(t.Context(), m)
			if (err == nil) != (i%2 == 1) || errors.Is(err, ErrExists) {
				t.Errorf("%s: %v", m.ID, err)
			}
		})
	}
	wg.Wait()
	if page, _, err := s.History(t.Context(), "r", "", 50); err != nil || len(page) != 8 {
		t.Errorf("history: %d, %v", len(page), err)
	}
	if err := s.AppendMessage(t.Context(), Message{ID: "x", Room: "r", Text: "\xff"}); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if err := s.CreateUser(t.Context(), User{ID: "u", Username: "a\x00b"}); err == nil || errors.Is(err, ErrExists) {
		t.Errorf("NUL in username: %v", err)
	}
	if _, err := s.UserByName(t.Context(), "a\x00b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup of NUL name: %v", err)
	}
	if err := s.AddNotifications(t.Context(), []Notification{{ID: "n", UserID: "u", Title: "\x00"}}); err == nil || errors.Is(err, ErrExists) {
		t.Errorf("NUL in title: %v", err)
	}
	if _, _, err := s.History(t.Context(), "r", "\x00", 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("NUL cursor: %v", err)
	}
}
