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
