package engineio

import (
	"testing"
	"time"
)

func TestReleaseAfterBurst(t *testing.T) {
	tests := []struct {
		name      string
		keep      bool
		peak      int64
		live      int64
		scheduled bool
	}{
		{"half of a large peak", false, 10000, 5000, true},
		{"more than half left", false, 10000, 5001, false},
		{"small peak", false, releaseMinPeak - 1, 0, false},
		{"KeepMemoryAfterBurst", true, 10000, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig()
			cfg.KeepMemoryAfterBurst = tt.keep
			srv, err := NewServer(cfg, newTestHandler())
			if err != nil {
				t.Fatal(err)
			}
			srv.burst.opened(tt.peak)
			srv.live.Store(tt.live)
			srv.closed(tt.live)
			if got := srv.burst.scheduled.Load(); got != tt.scheduled {
				t.Fatalf("scheduled = %v, want %v", got, tt.scheduled)
			}
			if !tt.scheduled {
				return
			}
			srv.burst.timer.Load().Stop()
			srv.releaseAfterBurst()
			if p := srv.burst.peak.Load(); p != tt.live || srv.burst.scheduled.Load() {
				t.Errorf("after the release: peak %d, scheduled %v; want peak %d, not scheduled", p, srv.burst.scheduled.Load(), tt.live)
			}
			srv.closed(tt.live) // no further halving: nothing scheduled
			if srv.burst.scheduled.Load() {
				t.Error("scheduled again without a new halving")
			}
		})
	}
}

// TestReleaseAfterOpens: a release is scheduled once the live sessions are
// releaseMinPeak above the fewest since the last release, waits while sessions
// keep opening, and after it the count starts again from the sessions live then.
func TestReleaseAfterOpens(t *testing.T) {
	tests := []struct {
		name      string
		keep      bool
		base      int64 // live sessions at the last release
		live      int64
		scheduled bool
	}{
		{"a burst of opens", false, 0, releaseMinPeak, true},
		{"a burst on top of sessions", false, 5000, 5000 + releaseMinPeak, true},
		{"fewer opens than the threshold", false, 5000, 5000 + releaseMinPeak - 1, false},
		{"KeepMemoryAfterBurst", true, 0, 10000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fastConfig()
			cfg.KeepMemoryAfterBurst = tt.keep
			srv, err := NewServer(cfg, newTestHandler())
			if err != nil {
				t.Fatal(err)
			}
			b := &srv.burst
			b.base.Store(tt.base)
			srv.live.Store(tt.live)
			srv.opened(tt.live)
			if got := b.growPending.Load(); got != tt.scheduled {
				t.Fatalf("scheduled = %v, want %v", got, tt.scheduled)
			}
			if !tt.scheduled {
				return
			}
			// A session opened just now: the release waits.
			srv.releaseAfterOpens()
			if !b.growPending.Load() || b.base.Load() != tt.base {
				t.Fatalf("released while sessions were still opening (base %d)", b.base.Load())
			}
			b.lastOpen.Store(time.Now().Add(-releaseDelay).UnixNano())
			srv.releaseAfterOpens()
			if b.growPending.Load() || b.base.Load() != tt.live {
				t.Fatalf("after the release: pending %v, base %d; want not pending, base %d", b.growPending.Load(), b.base.Load(), tt.live)
			}
			srv.opened(tt.live + 1) // one more open: nothing scheduled
			if b.growPending.Load() {
				t.Error("scheduled again without a new burst")
			}
			srv.closed(tt.live - 10) // the fewest sessions lower the base
			if b.base.Load() != tt.live-10 {
				t.Errorf("base %d after a close, want %d", b.base.Load(), tt.live-10)
			}
		})
	}
}
