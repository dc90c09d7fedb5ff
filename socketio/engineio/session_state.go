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
