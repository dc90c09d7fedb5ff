package engineio

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Memory release after a burst of sessions (Config.KeepMemoryAfterBurst).
const (
	// releaseMinPeak: smaller peaks leave too little memory behind to be worth a full GC.
	releaseMinPeak = 1000
	// releaseDelay lets the rest of a closing burst close first: one release for it.
	releaseDelay = 3 * time.Second
)

// burstTracker remembers the peak of live sessions since the last release and whether
// a release is scheduled.
type burstTracker struct {
	peak      atomic.Int64
	scheduled atomic.Bool
	timer     atomic.Pointer[time.Timer] // the last release scheduled
}

// opened records live sessions after one opened.
func (b *burstTracker) opened(live int64) {
	for {
		p := b.peak.Load()
		if live <= p || b.peak.CompareAndSwap(p, live) {
			return
		}
	}
}

// closed is called with the live sessions after one closed: once they are down to half
// a peak of at least releaseMinPeak, a release is scheduled.
func (srv *Server) closed(live int64) {
	b := &srv.burst
	if srv.cfg.KeepMemoryAfterBurst || live*2 > b.peak.Load() || b.peak.Load() < releaseMinPeak ||
		!b.scheduled.CompareAndSwap(false, true) {
		return
	}
	b.timer.Store(time.AfterFunc(releaseDelay, srv.releaseAfterBurst))
}

// releaseAfterBurst returns the memory the closed sessions held to the OS, unless a new
// burst has already brought the sessions back above half the peak; the peak restarts
// from the sessions left, so each further halving releases again.
func (srv *Server) releaseAfterBurst() {
	b := &srv.burst
	defer b.scheduled.Store(false)
	live := srv.live.Load()
	if live*2 > b.peak.Load() {
		return
	}
	debug.FreeOSMemory()
	b.peak.Store(live)
}
