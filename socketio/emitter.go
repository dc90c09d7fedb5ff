package socketio

import (
	"context"
	"time"

	"rtserver/socketio/parser"
)

// Emitter is an emit to one socket with flags, built by Socket.Timeout, Volatile
// and Compress (socket.timeout(ms).emit, socket.volatile.emit and
// socket.compress(false).emit in socket.io). Each modifier returns a new Emitter,
// so one can be kept and reused from any goroutine.
type Emitter struct {
	s          *Socket
	timeout    time.Duration
	volatile   bool
	noCompress bool
}

// Timeout returns an emit whose EmitWithAck and EmitWithAckFunc give up after d
// (ErrAckTimeout wrapping context.DeadlineExceeded), in addition to their context.
func (s *Socket) Timeout(d time.Duration) *Emitter { return (&Emitter{s: s}).Timeout(d) }

// Volatile returns an emit that is dropped, instead of queued, when the transport
// cannot take it at once (a polling client between requests with data waiting,
// say): for values that the next one replaces, like positions.
func (s *Socket) Volatile() *Emitter { return (&Emitter{s: s}).Volatile() }

// Compress returns an emit whose WebSocket frames are compressed (true, the
// default) or not (false) when the connection negotiated permessage-deflate
// (engineio.Config.PerMessageDeflate); without it the flag has no effect.
func (s *Socket) Compress(compress bool) *Emitter { return (&Emitter{s: s}).Compress(compress) }

// Timeout returns a copy of e whose acknowledgements wait at most d.
func (e *Emitter) Timeout(d time.Duration) *Emitter {
	c := *e
	c.timeout = d
	return &c
}

// Volatile returns a copy of e that is dropped when it cannot be sent at once.
func (e *Emitter) Volatile() *Emitter {
	c := *e
	c.volatile = true
	return &c
}

// Compress returns a copy of e with the compress flag set.
func (e *Emitter) Compress(compress bool) *Emitter {
	c := *e
	c.noCompress = !compress
	return &c
}

// Emit sends an event to the socket, with the arguments of Socket.Emit.
func (e *Emitter) Emit(event string, args ...any) error {
	p, err := eventPacket(e.s.nsp.name, event, args, parser.NoID)
	if err != nil {
		return err
	}
	if e.s.connected.Load() {
		e.s.notifyOutgoing(p)
	}
	if err := e.send(p); err != nil {
		return err
	}
	e.s.nsp.observeSent(p, e.s)
	return nil
}

// EmitWithAck is Socket.EmitWithAck with e's flags: it waits for the client's
// acknowledgement, at most e's timeout. The same caution applies: not from a
// handler of the same connection.
func (e *Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	type result struct {
		args Args
		err  error
	}
	ch := make(chan result, 1)
	err := e.EmitWithAckFunc(ctx, event, func(a Args, err error) { ch <- result{a, err} }, args...)
	if err != nil {
		return Args{}, err
	}
	r := <-ch
	return r.args, r.err
}

// EmitWithAckFunc is Socket.EmitWithAckFunc with e's flags: cb runs once, with the
// acknowledgement or with an error when ctx or e's timeout ends first.
func (e *Emitter) EmitWithAckFunc(ctx context.Context, event string, cb func(Args, error), args ...any) error {
	s := e.s
	if !s.connected.Load() {
		return ErrDisconnected
	}
	id := s.nsp.nextAckID()
	p, err := eventPacket(s.nsp.name, event, args, id)
	if err != nil {
		return err
	}
	cancel := context.CancelFunc(func() {})
	if e.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		done := cb
		cb = func(a Args, err error) {
			cancel() // the timer goes with the answer
			done(a, err)
		}
	}
	if err := s.acks.register(ctx, id, cb); err != nil {
		cancel()
		return err
	}
	s.notifyOutgoing(p)
	if err := e.send(p); err != nil {
		s.acks.drop(id) // cb is not called: the error is the answer
		cancel()
		return err
	}
	s.nsp.observeSent(p, s)
	return nil
}

// send queues p with e's flags.
func (e *Emitter) send(p *parser.Packet) error {
	return e.s.sendFrames(e.s.nsp.srv.encodeFrames(p, !e.noCompress), e.volatile)
}
