package handlers

import (
	"sync"
	"time"

	"rtserver/internal/apierr"
	"rtserver/socketio"
)

// eventBucket is a token bucket: rate tokens per second, at most burst.
// One is made per socket; it is safe for concurrent use, although the
// engine calls it from the socket's read loop only.
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

// rateLimit returns the packet middleware that drops events beyond rate
// per second (burst at once): an event with an ack gets rate_limited, one
// without is dropped silently; nothing is queued. A socket that keeps
// flooding — refused events exhaust a second bucket of the same rate and
// burst, so about twice the rate sustained — is disconnected ("io server
// disconnect"). Each refusal calls observe with flood false, the cut-off
// with flood true. rate <= 0 disables it.
func rateLimit(rate float64, burst int, observe func(s *socketio.Socket, flood bool)) socketio.PacketMiddleware {
	if rate <= 0 {
		return nil
	}
	allowed := newEventBucket(rate, max(burst, 1), nil)
	strikes := newEventBucket(rate, max(burst, 1), nil)
	return func(s *socketio.Socket, _ string, _ socketio.Args, ack socketio.Ack) error {
		if allowed.allow() {
			return nil
		}
		if !strikes.allow() {
			observe(s, true)
			s.Disconnect(false)
			return errRateLimited
		}
		observe(s, false)
		if ack != nil {
			_ = ack(apierr.Ack(apierr.RateLimited))
		}
		return errRateLimited
	}
}
