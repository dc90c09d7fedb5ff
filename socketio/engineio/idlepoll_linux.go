package engineio

import (
	"os"
	"runtime"
	"sync"
	"syscall"
)

// idlePoller waits for the idle WebSockets of a Server to become readable on one
// goroutine, with an epoll instance of its own, so an idle connection holds no goroutine:
// neither its stack (2 KiB at best, more when the runtime starts goroutines at the
// average stack size it has seen) nor its descriptor (about 480 bytes, which the runtime
// keeps for reuse after the goroutine exits, so a burst of parked goroutines would stay
// in the heap for good).
//
// A read loop that finds nothing buffered arms its socket (EPOLLONESHOT) and returns;
// when the socket is readable, closed or failed, the poller starts a new read loop for
// it. Each armed socket is reported once, so there is never more than one read loop per
// connection. The epoll instance is itself waited on through Go's netpoller, so the
// poller blocks no thread. It runs while some socket has a slot, and closes its epoll
// instance when the last slot is freed (forget), so a server without idle WebSockets has
// no poller goroutine.
type idlePoller struct {
	srv *Server

	mu    sync.Mutex
	ep    *os.File   // the epoll instance; nil while no slot is in use
	epfd  int        // ep's descriptor (os.File.Fd would make it blocking)
	slots []idleSlot // index 0 unused: wsConn.slot 0 means none
	free  []int32    // freed slot indices
	inUse int        // slots allocated
}

// idleSlot is one socket known to the epoll instance; gen tells a stale event (for a
// slot freed and reused since) from a current one.
type idleSlot struct {
	s     *Session
	c     *wsConn
	gen   uint32
	armed bool // an event is expected: the read loop returned
}

// enabled reports whether idle sockets can be handed to the poller.
func (p *idlePoller) enabled() bool { return true }

// idleEvents is how many events one epoll_wait takes.
const idleEvents = 128

// park arms c, the WebSocket of s, whose read loop is about to return: the poller starts
// a new one when c is readable. false: the poller cannot take c (the caller parks it on a
// goroutine instead).
func (p *idlePoller) park(s *Session, c *wsConn) bool {
	if c.rc == nil {
		return false
	}
	p.mu.Lock()
	if c.gone {
		p.mu.Unlock()
		return false
	}
	if p.ep == nil && !p.startLocked() {
		p.mu.Unlock()
		return false
	}
	op := syscall.EPOLL_CTL_MOD
	if c.slot == 0 {
		op = syscall.EPOLL_CTL_ADD
		c.slot = p.allocLocked()
	}
	sl := &p.slots[c.slot]
	sl.s, sl.c, sl.armed = s, c, true
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     c.slot,
		Pad:    int32(sl.gen),
	}
	epfd := p.epfd
	var cerr error
	// Under mu, so forget cannot free the slot (and the socket be closed) in between;
	// Control keeps the descriptor open while it runs.
	err := c.rc.Control(func(fd uintptr) { cerr = syscall.EpollCtl(epfd, op, int(fd), &ev) })
	if err == nil {
		err = cerr
	}
	if err != nil {
		p.freeLocked(c)
	}
	p.mu.Unlock()
	return err == nil
}

// forget frees c's slot before c is closed; c is never parked again.
func (p *idlePoller) forget(c *wsConn) {
	p.mu.Lock()
	c.gone = true
	p.freeLocked(c)
	p.mu.Unlock()
}

func (p *idlePoller) allocLocked() int32 {
	p.inUse++
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i
	}
	if len(p.slots) == 0 {
		p.slots = append(p.slots, idleSlot{}) // index 0 means none
	}
	p.slots = append(p.slots, idleSlot{})
	return int32(len(p.slots) - 1)
}

// freeLocked releases c's slot (a socket closed later leaves the epoll set by itself);
// once no slot is in use the poller stops and the table is dropped.
func (p *idlePoller) freeLocked(c *wsConn) {
	if c.slot == 0 {
		return
	}
	sl := &p.slots[c.slot]
	*sl = idleSlot{gen: sl.gen + 1}
	p.free = append(p.free, c.slot)
	c.slot = 0
	p.inUse--
	if p.inUse == 0 {
		_ = p.ep.Close() // the poller's wait ends with an error and it exits
		p.ep, p.slots, p.free = nil, nil, nil
	}
}

// startLocked creates the epoll instance and starts the poller on it.
func (p *idlePoller) startLocked() bool {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return false
	}
	if err := syscall.SetNonblock(fd, true); err != nil { // so os.NewFile uses the netpoller
		_ = syscall.Close(fd)
		return false
	}
	f := os.NewFile(uintptr(fd), "engineio-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return false
	}
	p.ep, p.epfd = f, fd
	p.srv.track.add()
	go p.run(f, rc)
	return true
}

// run is the poller: it waits for the epoll instance to have events through Go's
// netpoller, then starts a read loop for each armed socket reported. It returns once the
// instance f is closed.
func (p *idlePoller) run(f *os.File, rc syscall.RawConn) {
	defer p.srv.track.done()
	evs := make([]syscall.EpollEvent, idleEvents)
	for {
		n := 0
		var werr error
		err := rc.Read(func(fd uintptr) bool {
			n, werr = syscall.EpollWait(int(fd), evs, 0)
			return !(n == 0 && werr == nil) && werr != syscall.EAGAIN // nothing yet: wait
		})
		if err != nil {
			return // closed by freeLocked
		}
		if werr != nil {
			if werr == syscall.EINTR {
				continue
			}
			return
		}
		p.mu.Lock()
		if p.ep != f { // closed meanwhile: its slots are gone, maybe reused by another instance
			p.mu.Unlock()
			return
		}
		for i := range evs[:n] {
			slot, gen := evs[i].Fd, uint32(evs[i].Pad)
			if slot <= 0 || int(slot) >= len(p.slots) {
				continue
			}
			sl := &p.slots[slot]
			if sl.gen != gen || !sl.armed {
				continue
			}
			sl.armed = false
			s, c := sl.s, sl.c
			p.srv.track.add()
			go s.readWS(c, false, true)
		}
		p.mu.Unlock()
		clear(evs[:n])
		// The read loops just started run before the next batch, so when thousands of
		// sockets are reported at once (a burst of clients closing) their goroutines
		// end and are reused instead of all existing together: the runtime keeps the
		// descriptor of every goroutine it ever ran at the same time.
		runtime.Gosched()
	}
}
