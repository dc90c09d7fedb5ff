package socketio

import (
	"maps"
	"slices"
	"sync/atomic"

	"rtserver/socketio/parser"
)

// OutgoingHandler sees every event sent to a socket (Emit, EmitWithAck and
// broadcasts that reach it), before it is queued. Acknowledgements are not events
// and are not shown. It runs on the goroutine that emits.
type OutgoingHandler func(s *Socket, event string, args Args)

// listener is one registered handler. Lists of listeners are copied on write, so
// a dispatch works on a snapshot and handlers may add or remove listeners.
type listener[H any] struct {
	h     H
	once  bool
	fired atomic.Bool // a once listener runs for the first dispatch that claims it
}

// claim reports whether l should run now: always, or the first time for once.
func (l *listener[H]) claim() bool { return !l.once || l.fired.CompareAndSwap(false, true) }

func with[H any](list []*listener[H], l *listener[H], prepend bool) []*listener[H] {
	out := make([]*listener[H], 0, len(list)+1)
	if prepend {
		out = append(out, l)
	}
	out = append(out, list...)
	if !prepend {
		out = append(out, l)
	}
	return out
}

func without[H any](list []*listener[H], l *listener[H]) []*listener[H] {
	i := slices.Index(list, l)
	if i < 0 {
		return list
	}
	return slices.Concat(list[:i], list[i+1:])
}

// On adds h to the listeners of event; every listener of an event runs, in
// registration order, as in socket.io. The returned function removes this
// listener (socket.off(event, listener)); calling it again does nothing.
func (s *Socket) On(event string, h EventHandler) (remove func()) {
	return s.addListener(event, &listener[EventHandler]{h: h})
}

// On sets h as the namespace-wide handler of event: it runs for a socket of n
// that has no listener of its own for event (Socket.On, Socket.Once), after the
// packet middleware and catch-all listeners, like a socket's listener. A second On
// for the same event replaces the handler; nil removes it. Handlers that are the
// same for every socket belong here rather than in OnConnection: set once, they
// cost nothing per socket.
func (n *Namespace) On(event string, h EventHandler) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var next map[string]EventHandler
	if cur := n.events.Load(); cur != nil {
		next = maps.Clone(*cur)
	}
	if next == nil {
		next = make(map[string]EventHandler)
	}
	if h == nil {
		delete(next, event)
	} else {
		next[event] = h
	}
	n.events.Store(&next)
}

// handler returns the namespace-wide handler of event, or nil.
func (n *Namespace) handler(event string) EventHandler {
	if m := n.events.Load(); m != nil {
		return (*m)[event]
	}
	return nil
}

// Once adds h as a listener of event that runs for the next such event only. The
// returned function removes it before it ran.
func (s *Socket) Once(event string, h EventHandler) (remove func()) {
	return s.addListener(event, &listener[EventHandler]{h: h, once: true})
}

func (s *Socket) addListener(event string, l *listener[EventHandler]) func() {
	s.mu.Lock()
	if s.handlers == nil {
		s.handlers = make(map[string][]*listener[EventHandler])
	}
	s.handlers[event] = with(s.handlers[event], l, false)
	s.mu.Unlock()
	return func() { s.removeListener(event, l) }
}

func (s *Socket) removeListener(event string, l *listener[EventHandler]) {
	s.mu.Lock()
	if list := without(s.handlers[event], l); len(list) > 0 {
		s.handlers[event] = list
	} else {
		delete(s.handlers, event)
	}
	s.mu.Unlock()
}

// Off removes every listener of event (socket.removeAllListeners(event)). To
// remove one listener, call the function On or Once returned.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	delete(s.handlers, event)
	s.mu.Unlock()
}

// OnAny adds a listener that sees every received event, after the packet
// middleware and before the event's own listeners. The returned function removes
// it (socket.offAny(listener)).
func (s *Socket) OnAny(h AnyHandler) (remove func()) { return s.addAny(h, false) }

// PrependAny is OnAny, but h runs before the catch-all listeners already added.
func (s *Socket) PrependAny(h AnyHandler) (remove func()) { return s.addAny(h, true) }

// OffAny removes every catch-all listener added by OnAny and PrependAny.
func (s *Socket) OffAny() {
	s.mu.Lock()
	s.anyHandlers = nil
	s.mu.Unlock()
}

func (s *Socket) addAny(h AnyHandler, prepend bool) func() {
	l := &listener[AnyHandler]{h: h}
	s.mu.Lock()
	s.anyHandlers = with(s.anyHandlers, l, prepend)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.anyHandlers = without(s.anyHandlers, l)
		s.mu.Unlock()
	}
}

// OnAnyOutgoing adds a listener that sees every event sent to this socket (see
// OutgoingHandler). The returned function removes it.
func (s *Socket) OnAnyOutgoing(h OutgoingHandler) (remove func()) { return s.addOutgoing(h, false) }

// PrependAnyOutgoing is OnAnyOutgoing, but h runs before the outgoing listeners
// already added.
func (s *Socket) PrependAnyOutgoing(h OutgoingHandler) (remove func()) {
	return s.addOutgoing(h, true)
}

// OffAnyOutgoing removes every outgoing listener.
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	s.outgoing = nil
	s.hasOutgoing.Store(false)
	s.mu.Unlock()
}

func (s *Socket) addOutgoing(h OutgoingHandler, prepend bool) func() {
	l := &listener[OutgoingHandler]{h: h}
	s.mu.Lock()
	s.outgoing = with(s.outgoing, l, prepend)
	s.hasOutgoing.Store(true)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.outgoing = without(s.outgoing, l)
		s.hasOutgoing.Store(len(s.outgoing) > 0)
		s.mu.Unlock()
	}
}

// notifyOutgoing runs the outgoing listeners for event packet p.
func (s *Socket) notifyOutgoing(p *parser.Packet) { (&outgoingEvent{p: p}).notify(s) }

// outgoingEvent is an event packet on its way to one or more sockets; it is split
// into its name and Args once, and only when a recipient has outgoing listeners.
type outgoingEvent struct {
	p     *parser.Packet
	split bool
	ok    bool
	name  string
	args  Args
}

func (e *outgoingEvent) notify(s *Socket) {
	if !s.hasOutgoing.Load() {
		return
	}
	s.mu.RLock()
	list := s.outgoing
	s.mu.RUnlock()
	if len(list) == 0 {
		return
	}
	if !e.split {
		var err error
		e.name, e.args, err = splitEvent(e.p, 0)
		e.split, e.ok = true, err == nil
	}
	if !e.ok {
		return
	}
	defer s.recoverHandler(e.name)
	for _, l := range list {
		l.h(s, e.name, e.args)
	}
}

// dispatch runs the listeners of a received event: packet middleware, catch-all
// listeners, then the event's listeners, each list a snapshot taken at arrival;
// without any, the namespace's handler (Namespace.On).
func (s *Socket) dispatch(name string, args Args, ack Ack) {
	s.mu.RLock()
	mws, anys, hs := s.middlewares, s.anyHandlers, s.handlers[name]
	s.mu.RUnlock()
	defer s.recoverHandler(name)
	for _, o := range s.nsp.srv.observing() {
		o.EventReceived(s, name, args)
	}
	for _, mw := range mws {
		if mw(s, name, args, ack) != nil {
			return
		}
	}
	for _, a := range anys {
		a.h(s, name, args, ack)
	}
	if len(hs) == 0 {
		if h := s.nsp.handler(name); h != nil {
			h(s, args, ack)
		}
		return
	}
	for _, l := range hs {
		if !l.claim() {
			continue
		}
		if l.once {
			s.removeListener(name, l)
		}
		l.h(s, args, ack)
	}
}
