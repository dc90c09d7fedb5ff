//go:build !linux

package engineio

// idlePoller has no epoll here: idle read loops park on a goroutine (parkWS).
type idlePoller struct{ srv *Server }

func (p *idlePoller) enabled() bool { return false }

func (p *idlePoller) park(*Session, *wsConn) bool { return false }

func (p *idlePoller) forget(*wsConn) {}
