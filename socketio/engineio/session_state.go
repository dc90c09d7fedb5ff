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
// fan-out: it first reads a few sessions and their WebSockets in a row, then writes to
// them, so the cache misses of reaching each one overlap one another instead of each
// following the previous recipient's write(2) (whose kernel work evicts them). What it
// reads ahead is used (a closed session is skipped, the WebSocket is handed to send):
// reads whose values nobody uses are removed by the compiler.
func SendEach(ss []*Session, volatile bool, frames ...*Frame) (dropped int) {
	var (
		closed [sendAhead]bool
		ws     [sendAhead]*wsConn
	)
	for i := 0; i < len(ss); i += sendAhead {
		chunk := ss[i:min(i+sendAhead, len(ss))]
		for j, s := range chunk {
			closed[j], ws[j] = s.state.Load() != stateOpen, nil
			// raw is set before ws is published, and the fields tryWrite reads share
			// its cache line (TestWSConnLayout).
			if c := s.ws.Load(); c != nil && c.raw != nil {
				ws[j] = c
			}
		}
		for j, s := range chunk {
			switch {
			case closed[j]: // states only move on: Send would refuse it
				if volatile {
					dropped++
				}
			case volatile:
				if !s.SendVolatile(frames...) {
					dropped++
				}
			default:
				_ = s.send(frames, ws[j])
			}
		}
	}
	return dropped
}
