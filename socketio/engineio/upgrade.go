package engineio

// UpgradeHandler is implemented by a SessionHandler that wants to know when its
// session moved from polling to WebSocket (Node's "upgrade" event on the socket).
// OnUpgrade runs once, on the WebSocket's read loop, serialized with OnMessage
// and OnClose, after Transport reports "websocket".
type UpgradeHandler interface {
	OnUpgrade()
}

// notifyUpgrade tells s's handler that the upgrade completed.
func (s *Session) notifyUpgrade() {
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if u, ok := s.handler.(UpgradeHandler); ok && s.state.Load() == stateOpen {
		u.OnUpgrade()
	}
}
