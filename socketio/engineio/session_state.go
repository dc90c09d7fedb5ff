package engineio

// Buffered returns the bytes queued on the session but not yet written. The
// Socket.IO layer uses it to drop volatile packets for a client that is behind.
func (s *Session) Buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueBytes
}

// Closed reports whether the session is closing or closed.
func (s *Session) Closed() bool { return s.state.Load() != stateOpen }

// SendVolatile queues frames only when nothing is waiting in the session's queue (the
// client keeps up); it reports whether it queued them. Volatile broadcasts use it so a
// client that is behind misses them instead of growing its queue.
func (s *Session) SendVolatile(frames ...*Frame) bool {
	s.mu.Lock()
	busy := len(s.queue) > 0 || s.state.Load() != stateOpen
	s.mu.Unlock()
	return !busy && s.Send(frames...) == nil
}

// sendAhead is how many sessions SendEach reads ahead of its writes.
const sendAhead = 16

// SendEach sends frames to every session of ss, as Send does (SendVolatile when
// volatile), and returns how many volatile sends were dropped. It is a broadcast's
// fan-out: it first reads a few sessions in a row, then writes to them, so the cache
// misses of reaching each session overlap one another instead of each following the
// previous recipient's write(2) (whose kernel work evicts them).
func SendEach(ss []*Session, volatile bool, frames ...*Frame) (dropped int) {
	var sink int32
	for i := 0; i < len(ss); i += sendAhead {
		chunk := ss[i:min(i+sendAhead, len(ss))]
		for _, s := range chunk {
			sink |= s.state.Load()
		}
		for _, s := range chunk {
			if volatile {
				if !s.SendVolatile(frames...) {
					dropped++
				}
				continue
			}
			_ = s.Send(frames...)
		}
	}
	_ = sink
	return dropped
}
