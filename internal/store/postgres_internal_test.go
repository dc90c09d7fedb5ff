package store

import (
	"context"
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
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openPg(t, url, Options{HistoryLimit: 5, HistoryMaxAge: time.Hour, Now: func() time.Time { return now }})
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

	s = openPg(t, url, Options{})
	rows, err := s.pool.Query(t.Context(), `SELECT room || ':' || count(*) || ':' || min(id) FROM messages GROUP BY room ORDER BY room`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "[a:5:a15 b:1:b3]"; fmt.Sprint(got) != want {
		t.Fatalf("rows per room %v; want %s", got, want)
	}
}

// testPgBatchOrderAndDuplicates hands one batch to writeBatch, so that
// the batching is known: the rows keep the batch order, a duplicate
// within the batch fails all but its first request (whose message is the
// one stored), a stored id fails, and a canceled request is skipped.
func testPgBatchOrderAndDuplicates(t *testing.T, url string) {
	s := openPg(t, url, Options{})
	if err := s.AppendMessage(t.Context(), Message{ID: "old", Room: "r", Text: "old"}); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	req := func(ctx context.Context, id, text string) *appendReq {
		return &appendReq{ctx: ctx, m: Message{ID: id, Room: "r", Text: text, TS: time.Now()}, done: make(chan error, 1)}
	}
	batch := []*appendReq{
		req(t.Context(), "m5", "first m5"),
		req(t.Context(), "m3", ""),
		req(t.Context(), "old", "again"),
		req(canceled, "gone", ""),
		req(t.Context(), "m5", "second m5"),
		req(t.Context(), "m1", ""),
	}
	dirty := map[string]struct{}{}
	s.writeBatch(batch, dirty)
	want := []error{nil, nil, ErrExists, context.Canceled, ErrExists, nil}
	for i, r := range batch {
		if err := <-r.done; !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("request %d (%s): %v; want %v", i, r.m.ID, err, want[i])
		}
	}
	if _, ok := dirty["r"]; !ok || len(dirty) != 1 {
		t.Errorf("dirty = %v", dirty)
	}
	page, _, err := s.History(t.Context(), "r", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range page {
		got = append(got, m.ID+"/"+m.Text)
	}
	if want := []string{"old/old", "m5/first m5", "m3/", "m1/"}; !slices.Equal(got, want) {
		t.Fatalf("history %v; want %v", got, want)
	}
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
