package socketio

import (
	"context"
	"sync"
)

// ackTable holds the callbacks of one socket's emits that wait for the client's
// acknowledgement. It is bounded (Config.MaxPendingAcks) and every entry leaves it
// exactly once: on the ack, when its context ends, or when the socket disconnects.
type ackTable struct {
	mu     sync.Mutex
	m      map[int64]*pendingAck
	max    int
	closed bool
}

type pendingAck struct {
	cb   func(Args, error)
	stop func() bool // stops the context watcher; nil for a context that never ends
}

func newAckTable(max int) *ackTable { return &ackTable{max: max} }

// register adds cb for ack id. When ctx ends first, cb gets the context's error
// (wrapped in ErrAckTimeout) on the context's goroutine.
func (t *ackTable) register(ctx context.Context, id int64, cb func(Args, error)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed:
		return ErrDisconnected
	case len(t.m) >= t.max:
		return ErrTooManyAcks
	}
	if t.m == nil {
		t.m = make(map[int64]*pendingAck)
	}
	e := &pendingAck{cb: cb}
	t.m[id] = e
	if ctx.Done() != nil {
		// Registered under t.mu so that take sees stop set; if ctx is already done the
		// watcher runs at once and waits for t.mu.
		e.stop = context.AfterFunc(ctx, func() {
			if t.take(id, e) {
				e.cb(Args{}, ackTimeoutError(ctx))
			}
		})
	}
	return nil
}

// take removes entry e of id when it is still there.
func (t *ackTable) take(id int64, e *pendingAck) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[id] != e {
		return false
	}
	delete(t.m, id)
	return true
}

// resolve delivers the client's ack for id; an unknown id is ignored.
func (t *ackTable) resolve(id int64, args Args) {
	t.mu.Lock()
	e := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	if e == nil {
		return
	}
	if e.stop != nil {
		e.stop()
	}
	e.cb(args, nil)
}

// drop forgets id without calling its callback (the send failed).
func (t *ackTable) drop(id int64) {
	t.mu.Lock()
	e := t.m[id]
	delete(t.m, id)
	t.mu.Unlock()
	if e != nil && e.stop != nil {
		e.stop()
	}
}

// len returns the number of pending acks.
func (t *ackTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// close fails every pending ack with err and refuses new ones.
func (t *ackTable) close(err error) {
	t.mu.Lock()
	t.closed = true
	m := t.m
	t.m = nil
	t.mu.Unlock()
	for _, e := range m {
		if e.stop != nil {
			e.stop()
		}
		e.cb(Args{}, err)
	}
}

// ackTimeoutError wraps the context's error in ErrAckTimeout.
func ackTimeoutError(ctx context.Context) error {
	return &ackError{cause: context.Cause(ctx)}
}

// ackError is ErrAckTimeout with the context's cause, so callers can test either.
type ackError struct{ cause error }

// Error names both errors.
func (e *ackError) Error() string { return ErrAckTimeout.Error() + ": " + e.cause.Error() }

// Unwrap lets errors.Is match ErrAckTimeout and the context's error.
func (e *ackError) Unwrap() []error { return []error{ErrAckTimeout, e.cause} }
