package store_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rtserver/internal/store"
	"rtserver/internal/store/pgtest"
)

// BenchmarkPostgresAppendMessage measures AppendMessage on PostgreSQL as
// BenchmarkAppendMessage does on SQLite: 64 concurrent callers over 16
// rooms, the default history limit trimming the rooms as it goes; it
// reports stored messages per second and the 99th percentile of one
// call's latency. The server is a local throwaway one with fsync off, so
// the numbers show the store's batching, not a disk's.
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
	b.Run("callers=64", func(b *testing.B) {
		const callers = 64
		b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		text := strings.Repeat("x", 100)
		var (
			mu  sync.Mutex
			lat []time.Duration
		)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			for pb.Next() {
				i := next.Add(1)
				m := store.Message{
					ID: fmt.Sprintf("m%d", i), Room: fmt.Sprintf("room%d", i%16),
					UserID: "alice", UserName: "Alice", Text: text,
				}
				start := time.Now()
				if err := st.AppendMessage(b.Context(), m); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(start))
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		slices.Sort(lat)
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
}
