package store_test

import (
	"sync/atomic"
	"testing"

	"rtserver/internal/store"
	"rtserver/internal/store/pgtest"
)

// BenchmarkPostgresAppendMessage runs benchAppend on PostgreSQL, as
// BenchmarkAppendMessage does on SQLite. The server is a local throwaway
// one with fsync off, so the numbers show the store's batching, not a
// disk's.
//
// The server and the store are set up once, in the parent benchmark;
// the sub-benchmark is the one the framework repeats with growing b.N.
func BenchmarkPostgresAppendMessage(b *testing.B) {
	st, err := store.OpenPostgres(b.Context(), pgtest.New(b).NewDatabase(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var next atomic.Int64 // ids stay unique across the runs
	b.Run("callers=64", func(b *testing.B) { benchAppend(b, st, &next) })
}
