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
)

// BenchmarkAppendMessage runs benchAppend on SQLite.
func BenchmarkAppendMessage(b *testing.B) {
	st, err := store.Open(b.Context(), b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchAppend(b, st, new(atomic.Int64))
}

// benchAppend measures AppendMessage on st from 64 concurrent callers
// over 16 rooms, with the default history limit trimming the rooms as it
// goes, and reports stored messages per second and the 99th percentile
// of one call's latency. next numbers the messages, so that a store
// reused across runs gets new ids.
func benchAppend(b *testing.B, st store.Store, next *atomic.Int64) {
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
}
