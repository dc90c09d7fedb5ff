package clusterwire

import (
	"context"
	"errors"
	"sync"
	"time"

	"rtserver/socketio"
)

// Requests is a namespace adapter's table of its requests that wait for answers from
// the other nodes (fetchSockets, allRooms, serverSideEmitWithAck, broadcasts with
// acks), by request id. The pub/sub and streams adapters carry requests and answers in
// different messages; what waits for them, and how a late, lost or last answer is
// handled, is the same, and lives here.
type Requests struct {
	wait        time.Duration // RequestsTimeout
	unavailable error         // the adapter's ErrUnavailable
	timeout     error         // the adapter's ErrTimeout

	mu sync.Mutex
	m  map[string]*Request
}

// Request is one waiting request. Sockets, IDs and Replies are filled by Answer's add,
// under the table's lock, and read once Await has returned.
type Request struct {
	Kind    int
	Sockets []*socketio.RemoteSocket // fetchSockets
	IDs     []string                 // socket ids or rooms
	Replies []socketio.Args          // serverSideEmitWithAck
	OnCount func(int)                // broadcast with acks: one node's socket count
	OnAck   func(string, socketio.Args)

	expected int           // answers still awaited
	done     chan struct{} // closed by the last answer or FailAll; nil for broadcasts
}

// NewRequests returns an empty table whose Await waits wait at most and reports a
// failed publish wrapping unavailable, a missing answer wrapping timeout.
func NewRequests(wait time.Duration, unavailable, timeout error) *Requests {
	return &Requests{wait: wait, unavailable: unavailable, timeout: timeout, m: make(map[string]*Request)}
}

// Get returns the request of id, nil when none waits.
func (t *Requests) Get(id string) *Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

// Take removes and returns the request of id, nil when none waits.
func (t *Requests) Take(id string) *Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	req := t.m[id]
	delete(t.m, id)
	return req
}

// Broadcast registers a broadcast with acks under id until ctx ends; its answers go to
// onCount and onAck as they come. It returns the callback for a failed publish: it ends
// the request and reports zero sockets for each of the expected other nodes, so the
// caller's count completes.
func (t *Requests) Broadcast(ctx context.Context, id string, kind, expected int,
	onCount func(int), onAck func(string, socketio.Args)) (onErr func(error)) {
	t.mu.Lock()
	t.m[id] = &Request{Kind: kind, OnCount: onCount, OnAck: onAck}
	t.mu.Unlock()
	context.AfterFunc(ctx, func() { t.Take(id) })
	return func(error) {
		if t.Take(id) != nil {
			for range expected {
				onCount(0)
			}
		}
	}
}

// Await registers a request of kind under id that each other node answers (nodes
// counts this one too), calls publish with the callback for a failed publish, and
// waits for every answer, ctx and the table's wait permitting. When an answer is missing the answers so
// far come with a *socketio.PartialError (how many of the nodes answered, this one
// included) wrapping the table's timeout error, or its unavailable error when the
// publish failed. With one node there is nobody to ask: nothing is published.
func (t *Requests) Await(ctx context.Context, id string, kind, nodes int, publish func(onErr func(error))) (*Request, error) {
	req := &Request{Kind: kind, expected: nodes - 1, done: make(chan struct{})}
	if nodes <= 1 {
		return req, nil
	}
	t.mu.Lock()
	t.m[id] = req
	t.mu.Unlock()
	pubErr := make(chan error, 1)
	publish(func(err error) { pubErr <- err })
	ctx, cancel := context.WithTimeout(ctx, t.wait)
	defer cancel()
	var err error
	select {
	case <-req.done:
		return req, nil
	case err = <-pubErr:
		err = errors.Join(t.unavailable, err)
	case <-ctx.Done():
		err = t.timeout
	}
	t.Take(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	return req, &socketio.PartialError{Answered: nodes - req.expected, Expected: nodes, Err: err}
}

// Answer applies one node's answer to req by add, under the table's lock, and completes
// req when it was the last awaited. An answer for a request that no longer waits (timed
// out, or ended by FailAll) is dropped.
func (t *Requests) Answer(id string, req *Request, add func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[id] != req || req.done == nil {
		return
	}
	add()
	req.expected--
	if req.expected == 0 {
		delete(t.m, id)
		close(req.done)
	}
}

// FailAll ends every waiting request: callers of Await return the answers they have,
// broadcasts with acks stop counting on other nodes.
func (t *Requests) FailAll() {
	t.mu.Lock()
	reqs := t.m
	t.m = make(map[string]*Request)
	t.mu.Unlock()
	for _, req := range reqs {
		if req.done != nil {
			close(req.done)
		}
	}
}
