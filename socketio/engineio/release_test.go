package engineio

import "testing"

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
