package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"rtserver/internal/store"
	"rtserver/internal/store/pgtest"
	"rtserver/internal/store/storetest"
)

// TestPostgresConformance runs the storetest suite on PostgreSQL: one
// throwaway server (see pgtest) for the test, a new database on it for
// each subtest. Without the PostgreSQL binaries it skips, or fails when
// CI=true.
func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	srv := pgtest.New(t)
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		url := srv.NewDatabase(t)
		return func(opts store.Options) (store.Store, error) {
			st, err := store.OpenPostgres(t.Context(), url, opts)
			if err != nil {
				return nil, err // not a nil *Postgres in a non-nil Store
			}
			return st, nil
		}
	})
}

// TestPostgresTwoNodes runs two stores on one database, as two server
// nodes do: both append to the same rooms with a small history limit, so
// that their writers and trimmers overlap, and each sees the other's
// messages.
func TestPostgresTwoNodes(t *testing.T) {
	t.Parallel()
	url := pgtest.New(t).NewDatabase(t)
	const limit, rooms, each = 20, 3, 150
	var nodes [2]*store.Postgres
	for i := range nodes {
		st, err := store.OpenPostgres(t.Context(), url, store.Options{HistoryLimit: limit})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		nodes[i] = st
	}
	var wg sync.WaitGroup
	for n, st := range nodes {
		for w := range 8 {
			wg.Go(func() {
				for i := range each {
					m := store.Message{ID: fmt.Sprintf("n%d-w%d-%d", n, w, i), Room: fmt.Sprintf("room%d", (w+i)%rooms), UserID: "u"}
					if err := st.AppendMessage(t.Context(), m); err != nil {
						t.Errorf("%s: %v", m.ID, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for r := range rooms {
		room := fmt.Sprintf("room%d", r)
		for n, st := range nodes {
			page, more, err := st.History(t.Context(), room, "", store.MaxPage)
			if err != nil || more || len(page) != limit {
				t.Errorf("node %d, %s: %d messages, more %v, %v; want %d", n, room, len(page), more, err, limit)
			}
		}
	}
	// Each node closes: the rows beyond the limit are gone, whichever
	// node deleted them.
	for _, st := range nodes {
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM messages`).Scan(&n); err != nil || n != rooms*limit {
		t.Fatalf("%d rows, %v; want %d", n, err, rooms*limit)
	}
}
