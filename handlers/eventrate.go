package handlers

import (
	"sync"
	"time"

	"rtserver/internal/apierr"
	"rtserver/socketio"
)

// eventBucket is a token bucket: rate tokens per second, at most burst.
// A socket makes its own on first use (rateState); it is safe for
// concurrent use, although the engine calls it from the socket's read
// loop only.
type eventBucket struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newEventBucket(rate float64, burst int, now func() time.Time) *eventBucket {
	if now == nil {
		now = time.Now
	}
	return &eventBucket{rate: rate, burst: float64(burst), now: now, tokens: float64(burst), last: now()}
}

// allow takes a token when one is left.
func (b *eventBucket) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	b.tokens = min(b.burst, b.tokens+t.Sub(b.last).Seconds()*b.rate)
	b.last = t
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// errRateLimited drops an event over the socket's rate.
var errRateLimited = apierr.New(apierr.RateLimited)

// rateState is a socket's event rate buckets (conn.event) and its typing
// bucket, each made on first use: a socket that sends nothing has none.
type rateState struct {
	mu               sync.Mutex
	allowed, strikes *eventBucket
	typing           *eventBucket
}

// events returns the socket's event buckets, made with rate and burst.
func (r *rateState) events(rate float64, burst int) (allowed, strikes *eventBucket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.allowed == nil {
		r.allowed = newEventBucket(rate, max(burst, 1), nil)
		r.strikes = newEventBucket(rate, max(burst, 1), nil)
	}
	return r.allowed, r.strikes
}

// typingBucket returns the socket's typing bucket (typingRate, typingBurst).
func (r *rateState) typingBucket() *eventBucket {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.typing == nil {
		r.typing = newEventBucket(typingRate, typingBurst, nil)
	}
	return r.typing
}

// event is the socket's first packet middleware (limit installs it, so
// refused events cost nothing else): it counts the event, then drops it
// when it is beyond EventRate per second (EventBurst at once): an event
// with an ack gets rate_limited, one without is dropped silently; nothing
// is queued. A socket that keeps flooding — refused events exhaust a
// second bucket of the same rate and burst, so about twice the rate
// sustained — is disconnected ("io server disconnect"). EventRate <= 0
// disables the limit.
func (c *conn) event(s *socketio.Socket, _ string, _ socketio.Args, ack socketio.Ack) error {
	n := c.n
	nsp := s.Namespace().Name()
	n.Observer.EventIn(nsp)
	if n.EventRate <= 0 {
		return nil
	}
	allowed, strikes := c.rate.events(n.EventRate, n.EventBurst)
	if allowed.allow() {
		return nil
	}
	if !strikes.allow() {
		n.Observer.FloodDisconnect(nsp)
		n.log().Warn("socket flooding: disconnected", "nsp", nsp, "sid", s.LogID())
		s.Disconnect(false)
		return errRateLimited
	}
	n.Observer.RateLimited(nsp)
	if ack != nil {
		_ = ack(apierr.Ack(apierr.RateLimited))
	}
	return errRateLimited
}
