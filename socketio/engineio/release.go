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
// a release is scheduled; and, for a burst of opens, the live sessions at the last
// release (base) and when a session last opened.
type burstTracker struct {
	peak      atomic.Int64
	scheduled atomic.Bool
	timer     atomic.Pointer[time.Timer] // the last release scheduled

	base        atomic.Int64 // the fewest live sessions since the last release
	lastOpen    atomic.Int64 // time.Now().UnixNano() of the last open
	growPending atomic.Bool  // a release after opens is scheduled
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

// opened is called with the live sessions after one opened: once they are
// releaseMinPeak above what they were at the last release, a release is scheduled
// for when opens have stopped for releaseDelay. A burst of handshakes leaves the heap
// at the GC's goal, about twice what the sessions hold (their garbage is freed but its
// pages stay mapped until a later GC and the background scavenger): the connections
// then sit idle at twice the memory they need. V8's memory reducer does the same for
// Node once it is idle.
func (srv *Server) opened(live int64) {
	b := &srv.burst
	b.opened(live)
	if srv.cfg.KeepMemoryAfterBurst {
		return
	}
	b.lastOpen.Store(time.Now().UnixNano())
	if live-b.base.Load() < releaseMinPeak || !b.growPending.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(releaseDelay, srv.releaseAfterOpens)
}

// releaseAfterOpens returns the memory a burst of opens left behind to the OS once no
// session has opened for releaseDelay (until then it waits again).
func (srv *Server) releaseAfterOpens() {
	b := &srv.burst
	if quiet := time.Since(time.Unix(0, b.lastOpen.Load())); quiet < releaseDelay {
		time.AfterFunc(releaseDelay-quiet, srv.releaseAfterOpens)
		return
	}
	defer b.growPending.Store(false)
	debug.FreeOSMemory()
	b.base.Store(srv.live.Load())
}

// closed is called with the live sessions after one closed: once they are down to half
// a peak of at least releaseMinPeak, a release is scheduled.
func (srv *Server) closed(live int64) {
	b := &srv.burst
	for base := b.base.Load(); live < base; base = b.base.Load() {
		if b.base.CompareAndSwap(base, live) {
			break
		}
	}
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
	b.base.Store(live)
}
