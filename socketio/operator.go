package socketio

import (
	"context"
	"sync"
	"time"

	"rtserver/socketio/parser"
)

// Operator is a broadcast under construction: which sockets (To/In, Except), how
// (Local, Volatile, Timeout), and what (Emit, EmitWithAck, FetchSockets,
// SocketsJoin, SocketsLeave, DisconnectSockets). Each modifier returns a new
// Operator, so a partial one can be shared and reused from any goroutine.
type Operator struct {
	nsp     *Namespace
	opts    BroadcastOptions
	timeout time.Duration
}

// AckResponse is one recipient's acknowledgement of a broadcast.
type AckResponse struct {
	// SocketID is the replying socket ("" when a cluster adapter cannot tell).
	SocketID string
	Args     Args
}

func newOperator(n *Namespace) *Operator { return &Operator{nsp: n} }

func (o *Operator) clone() *Operator {
	c := *o
	c.opts.Rooms = append([]string(nil), o.opts.Rooms...)
	c.opts.Except = append([]string(nil), o.opts.Except...)
	return &c
}

// To adds rooms to the recipients (sockets in any of them).
func (o *Operator) To(rooms ...string) *Operator {
	c := o.clone()
	c.opts.Rooms = append(c.opts.Rooms, rooms...)
	return c
}

// In is To.
func (o *Operator) In(rooms ...string) *Operator { return o.To(rooms...) }

// Except excludes the sockets in rooms (a socket id is a room).
func (o *Operator) Except(rooms ...string) *Operator {
	c := o.clone()
	c.opts.Except = append(c.opts.Except, rooms...)
	return c
}

// Local keeps the broadcast on this node.
func (o *Operator) Local() *Operator {
	c := o.clone()
	c.opts.Local = true
	return c
}

// Volatile drops the packet for recipients that cannot take it at once, and keeps
// it out of connection state recovery.
func (o *Operator) Volatile() *Operator {
	c := o.clone()
	c.opts.Volatile = true
	return c
}

// Compress(false) sends the broadcast's frames uncompressed even to clients that
// negotiated permessage-deflate (engineio.Config.PerMessageDeflate), as Node's
// io.compress(false): for payloads that do not compress (already compressed media)
// it saves the CPU. Compress(true), the default, leaves the choice to the size
// threshold.
func (o *Operator) Compress(compress bool) *Operator {
	c := o.clone()
	c.opts.Uncompressed = !compress
	return c
}

// Timeout bounds EmitWithAck to d (in addition to its context).
func (o *Operator) Timeout(d time.Duration) *Operator {
	c := o.clone()
	c.timeout = d
	return c
}

// Options returns the recipient selection, for logs and adapters.
func (o *Operator) Options() BroadcastOptions { return o.clone().opts }

// Emit sends an event to the selected sockets. The packet is encoded once and the
// same frames are queued to every recipient.
func (o *Operator) Emit(event string, args ...any) error {
	p, err := eventPacket(o.nsp.name, event, args, parser.NoID)
	if err != nil {
		return err
	}
	return o.nsp.adapter.Broadcast(p, o.opts)
}

// EmitWithAck sends an event to the selected sockets and collects their
// acknowledgements. It returns when every recipient has answered, or when ctx (or
// Timeout) ends: then the answers so far come with an error wrapping ErrAckTimeout.
// Call it off the read loop of the recipients (see Socket.EmitWithAck).
func (o *Operator) EmitWithAck(ctx context.Context, event string, args ...any) ([]AckResponse, error) {
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	// The acks registered on each socket end with this context, so none outlives
	// the call.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A local broadcast asks this node only, so only this node reports a count.
	nodes := 1
	if !o.opts.Local {
		n, err := o.nsp.adapter.ServerCount(ctx)
		if err != nil {
			return nil, err
		}
		nodes = n
	}
	p, err := eventPacket(o.nsp.name, event, args, o.nsp.nextAckID())
	if err != nil {
		return nil, err
	}
	var (
		mu        sync.Mutex
		responses []AckResponse
		expected  int
		reported  int
		done      = make(chan struct{})
		closed    bool
	)
	check := func() {
		if !closed && reported >= nodes && len(responses) >= expected {
			closed = true
			close(done)
		}
	}
	onCount := func(n int) {
		mu.Lock()
		expected += n
		reported++
		check()
		mu.Unlock()
	}
	onAck := func(id string, a Args) {
		mu.Lock()
		if !closed {
			responses = append(responses, AckResponse{SocketID: id, Args: a})
			check()
		}
		mu.Unlock()
	}
	if err := o.nsp.adapter.BroadcastWithAck(ctx, p, o.opts, onCount, onAck); err != nil {
		return nil, err
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	out := responses
	if !closed {
		closed = true
		return out, ackTimeoutError(ctx)
	}
	return out, nil
}

// FetchSockets returns the selected sockets, on every node unless Local.
func (o *Operator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return o.nsp.adapter.FetchSockets(ctx, o.opts)
}

// SocketsJoin makes the selected sockets join rooms.
func (o *Operator) SocketsJoin(rooms ...string) error {
	return o.nsp.adapter.AddSockets(o.opts, rooms)
}

// SocketsLeave makes the selected sockets leave rooms.
func (o *Operator) SocketsLeave(rooms ...string) error {
	return o.nsp.adapter.DelSockets(o.opts, rooms)
}

// DisconnectSockets disconnects the selected sockets (close: their whole
// connections).
func (o *Operator) DisconnectSockets(close bool) error {
	return o.nsp.adapter.DisconnectSockets(o.opts, close)
}
