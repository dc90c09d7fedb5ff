package socketio

import (
	"rtserver/socketio/engineio"
	"rtserver/socketio/parser"
)

// Deliver sends p as it is to the local sockets selected by opts, without keeping it
// for recovery. It is for cluster adapters that keep recovery state themselves (a
// Redis stream), whose packets already carry their offset.
// Broadcast is the store's add (when recovery is on) and then Deliver.
func (a *MemoryAdapter) Deliver(p *parser.Packet, opts BroadcastOptions) {
	frames := a.nsp.srv.encodeFrames(p, !opts.Uncompressed)
	recipients := a.recipients(opts)
	out := outgoingEvent{p: p}
	// One pass over the sockets, then one over their sessions (engineio.SendEach): the
	// reads of each pass are independent of one another, so their cache misses overlap.
	sessions := make([]*engineio.Session, 0, len(recipients))
	for _, s := range recipients {
		out.notify(s)
		if s.connected.Load() {
			sessions = append(sessions, s.sess)
		}
	}
	a.nsp.srv.stats.packetsOut.Add(uint64(len(sessions)))
	if dropped := engineio.SendEach(sessions, opts.Volatile, frames...); dropped > 0 {
		a.nsp.srv.stats.volatileDropped.Add(uint64(dropped))
	}
	a.nsp.observeSent(p, recipients...)
	a.nsp.srv.stats.deliveries.Add(uint64(len(recipients)))
}

// Recovery returns the namespace's connection state recovery settings, defaults
// applied, or nil when recovery is off.
func (a *MemoryAdapter) Recovery() *RecoveryConfig {
	if a.nsp == nil {
		return nil
	}
	return a.nsp.recovery()
}

// WithOffset returns a copy of event packet p with offset appended as its last
// argument, as socket.io sends a broadcast that can be recovered.
func WithOffset(p *parser.Packet, offset string) *parser.Packet {
	data := make([]byte, 0, len(p.Data)+len(offset)+3)
	data = append(data, p.Data[:len(p.Data)-1]...)
	if len(p.Data) > 2 {
		data = append(data, ',')
	}
	data = parser.AppendString(data, offset)
	cp := *p
	cp.Data = append(data, ']')
	return &cp
}

// Session returns what PersistSession would keep of s were it lost now, for cluster
// adapters that keep the state of live sockets elsewhere so that a node that dies
// without closing them can still be recovered from. ok is false when s is not
// recoverable (recovery off, or no owner for it under RecoveryConfig.Owner).
func (s *Socket) Session() (ps PersistedSession, ok bool) {
	if s.pid == "" || !s.connected.Load() {
		return PersistedSession{}, false
	}
	owner, ok := s.nsp.ownerOf(s)
	if !ok {
		return PersistedSession{}, false
	}
	return PersistedSession{SID: s.id, PID: s.pid, Rooms: s.Rooms(), Data: s.Data(),
		Offset: s.offset, DisconnectedAt: s.nsp.srv.now(), Owner: owner}, true
}
