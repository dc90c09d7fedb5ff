package redisadapter

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
)

// ErrUnavailable reports that Redis cannot be reached: the subscription is down or the
// last publish failed. Local delivery goes on meanwhile.
var ErrUnavailable = errors.New("redisadapter: redis unavailable")

// ErrTimeout reports that some nodes did not answer a request within RequestsTimeout;
// the answers received come with it.
var ErrTimeout = errors.New("redisadapter: timeout waiting for other nodes")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("redisadapter: closed")

// Stats are the Cluster's counters since New.
type Stats struct {
	Published     uint64 // messages Redis accepted
	PublishErrors uint64 // messages lost to a failed PUBLISH
	Dropped       uint64 // messages dropped because the queue was full
	Received      uint64 // messages received from the subscription
	Invalid       uint64 // received messages that could not be decoded
	Queued        int    // messages waiting to be published now
}

// Cluster connects the namespaces of one Socket.IO server to the other nodes through
// Redis pub/sub, speaking @socket.io/redis-adapter 8.x's protocol. Plug NewAdapter into
// socketio.Config.NewAdapter. One subscription connection serves every namespace; one
// goroutine publishes, in order, from a bounded queue.
type Cluster struct {
	cfg    Config
	uid    string
	ctx    context.Context
	cancel context.CancelFunc
	ps     *redis.PubSub
	queue  chan pubJob
	wg     sync.WaitGroup

	mu        sync.RWMutex
	byChannel map[string]*nspAdapter // request, response and pattern channels
	closed    bool

	subUp     atomic.Bool
	pubFailed atomic.Bool
	lastLog   atomic.Int64 // unix nanos of the last publish-failure record

	published, pubErrors, dropped, received, invalid atomic.Uint64
}

type pubJob struct {
	channel string
	payload []byte
	onErr   func(error) // nil: nothing to undo
}

// New starts a Cluster: its subscription loop and its publisher. It does not wait for
// Redis (a node starts while Redis is down and joins once it is back); ctx bounds
// nothing after New returns. Close stops it.
func New(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &Cluster{
		cfg:       cfg,
		uid:       newID(9),
		queue:     make(chan pubJob, cfg.QueueSize),
		byChannel: make(map[string]*nspAdapter),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.ps = cfg.SubClient.Subscribe(c.ctx)
	c.wg.Add(2)
	go c.receiveLoop()
	go c.publishLoop()
	return c, nil
}

// UID is this node's id on the wire (the uid of its messages).
func (c *Cluster) UID() string { return c.uid }

// NewAdapter makes the adapter of namespace n; pass it as socketio.Config.NewAdapter.
// It subscribes the namespace's channels without waiting for Redis.
func (c *Cluster) NewAdapter(n socketio.AdapterHost) socketio.Adapter {
	a := newNspAdapter(c, n)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return a.MemoryAdapter
	}
	c.byChannel[a.ch.request] = a
	c.byChannel[a.ch.response] = a
	c.byChannel[a.ch.ownResponse] = a
	c.byChannel[a.ch.pattern] = a
	c.mu.Unlock()
	// Subscribing dials when the connection is down: never on the caller's goroutine.
	c.goBounded(func(ctx context.Context) {
		_ = c.ps.Subscribe(ctx, a.ch.request, a.ch.response, a.ch.ownResponse)
		_ = c.ps.PSubscribe(ctx, a.ch.pattern)
	})
	return a
}

// remove forgets a's channels and unsubscribes them.
func (c *Cluster) remove(a *nspAdapter) {
	c.mu.Lock()
	if c.byChannel[a.ch.request] != a {
		c.mu.Unlock()
		return
	}
	delete(c.byChannel, a.ch.request)
	delete(c.byChannel, a.ch.response)
	delete(c.byChannel, a.ch.ownResponse)
	delete(c.byChannel, a.ch.pattern)
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.goBounded(func(ctx context.Context) {
			_ = c.ps.Unsubscribe(ctx, a.ch.request, a.ch.response, a.ch.ownResponse)
			_ = c.ps.PUnsubscribe(ctx, a.ch.pattern)
		})
	}
}

// goBounded runs fn on a tracked goroutine with a context bounded by RequestsTimeout.
func (c *Cluster) goBounded(fn func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestsTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// Healthy reports whether Redis is reachable: subscribed, and the last publish went
// through. Wire it into /readyz as "degraded" rather than "down": local delivery
// works either way.
func (c *Cluster) Healthy() bool { return c.Err() == nil }

// Err returns nil when healthy, else an error wrapping ErrUnavailable.
func (c *Cluster) Err() error {
	switch {
	case c.ctx.Err() != nil:
		return ErrClosed
	case !c.subUp.Load():
		return errors.Join(ErrUnavailable, errors.New("redisadapter: not subscribed"))
	case c.pubFailed.Load():
		return errors.Join(ErrUnavailable, errors.New("redisadapter: publish failing"))
	}
	return nil
}

// Stats returns the counters.
func (c *Cluster) Stats() Stats {
	return Stats{
		Published:     c.published.Load(),
		PublishErrors: c.pubErrors.Load(),
		Dropped:       c.dropped.Load(),
		Received:      c.received.Load(),
		Invalid:       c.invalid.Load(),
		Queued:        len(c.queue),
	}
}

// Close stops the loops and closes the subscription. The namespaces' adapters fall
// back to local delivery; the Redis clients stay open (they are the caller's).
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	adapters := make([]*nspAdapter, 0, len(c.byChannel)/4)
	for ch, a := range c.byChannel {
		if ch == a.ch.request {
			adapters = append(adapters, a)
		}
	}
	c.mu.Unlock()
	c.cancel()
	err := c.ps.Close()
	c.wg.Wait()
	for _, a := range adapters {
		a.requests.FailAll()
	}
	return err
}

// enqueue hands a message to the publisher without blocking: when the queue is full the
// message is dropped and counted (and onErr runs), so a caller never waits for Redis.
func (c *Cluster) enqueue(channel string, payload []byte, onErr func(error)) {
	if c.ctx.Err() != nil {
		if onErr != nil {
			onErr(ErrClosed)
		}
		return
	}
	select {
	case c.queue <- pubJob{channel, payload, onErr}:
	default:
		c.dropped.Add(1)
		c.logFailure(errors.New("redisadapter: publish queue full"))
		if onErr != nil {
			onErr(ErrUnavailable)
		}
	}
}

// maxBatch bounds one pipeline of PUBLISH commands.
const maxBatch = 128

// publishLoop is the single publisher: it keeps the order of messages, and pipelines
// what queued up meanwhile so that a burst costs one round trip.
func (c *Cluster) publishLoop() {
	defer c.wg.Done()
	batch := make([]pubJob, 0, maxBatch)
	for {
		select {
		case <-c.ctx.Done():
			c.drainOnClose()
			return
		case j := <-c.queue:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case j := <-c.queue:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		c.publish(batch)
		clear(batch)
	}
}

func (c *Cluster) drainOnClose() {
	for {
		select {
		case j := <-c.queue:
			if j.onErr != nil {
				j.onErr(ErrClosed)
			}
		default:
			return
		}
	}
}

func (c *Cluster) publish(batch []pubJob) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.PublishTimeout)
	defer cancel()
	errs := c.publishOnce(ctx, batch)
	// After Redis restarts, every pooled connection fails once before the pool
	// replaces it, so a publish can fail on a stale connection while Redis is back:
	// the failed ones are tried once more, on a fresh connection. (A reply lost
	// after Redis took the message would duplicate it; clients keep messages by id.)
	var retry []pubJob
	var at []int
	for i, err := range errs {
		if err != nil && ctx.Err() == nil {
			retry = append(retry, batch[i])
			at = append(at, i)
		}
	}
	if len(retry) > 0 {
		for k, err := range c.publishOnce(ctx, retry) {
			errs[at[k]] = err
		}
	}
	for i, err := range errs {
		if err == nil {
			c.published.Add(1)
			c.pubFailed.Store(false)
			continue
		}
		c.pubErrors.Add(1)
		c.pubFailed.Store(true)
		c.logFailure(err)
		if batch[i].onErr != nil {
			batch[i].onErr(err)
		}
	}
}

// publishOnce sends batch (pipelined when there are several) and returns each
// job's error.
func (c *Cluster) publishOnce(ctx context.Context, batch []pubJob) []error {
	errs := make([]error, len(batch))
	if len(batch) == 1 {
		errs[0] = c.cfg.Client.Publish(ctx, batch[0].channel, batch[0].payload).Err()
		return errs
	}
	pipe := c.cfg.Client.Pipeline()
	cmds := make([]*redis.IntCmd, len(batch))
	for i, j := range batch {
		cmds[i] = pipe.Publish(ctx, j.channel, j.payload)
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range cmds {
		errs[i] = cmd.Err()
	}
	return errs
}

// logFailure logs at most one record per second, so an outage does not flood the log.
func (c *Cluster) logFailure(err error) {
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(time.Second) || !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	s := c.Stats()
	c.cfg.Logger.Warn("redisadapter: publish failed; cross-node messages are being lost",
		"err", err, "publish_errors", s.PublishErrors, "dropped", s.Dropped)
}

// receiveLoop reads the subscription. go-redis reconnects and resubscribes on the next
// read after a failure; this loop pings a silent connection, tracks health, and backs
// off while Redis is unreachable.
func (c *Cluster) receiveLoop() {
	defer c.wg.Done()
	backoff := 50 * time.Millisecond
	pinged := false
	for c.ctx.Err() == nil {
		msg, err := c.ps.ReceiveTimeout(c.ctx, c.cfg.HealthInterval)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				pinged = true
				if perr := c.ps.Ping(c.ctx); perr == nil {
					continue
				}
			}
			if c.subUp.Swap(false) {
				c.cfg.Logger.Warn("redisadapter: subscription lost; cross-node messages are being lost", "err", err)
			}
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 500*time.Millisecond)
			continue
		}
		pinged = false
		backoff = 50 * time.Millisecond
		if !c.subUp.Swap(true) {
			// The server answers again: let the next publish show whether it works,
			// rather than report a failure from before the outage ended.
			c.pubFailed.Store(false)
			c.cfg.Logger.Info("redisadapter: subscribed")
		}
		if m, ok := msg.(*redis.Message); ok {
			c.received.Add(1)
			c.dispatch(m)
		}
	}
}

// dispatch routes a message to its namespace adapter by channel (pattern for
// broadcasts).
func (c *Cluster) dispatch(m *redis.Message) {
	key := m.Channel
	if m.Pattern != "" {
		key = m.Pattern
	}
	c.mu.RLock()
	a := c.byChannel[key]
	c.mu.RUnlock()
	if a == nil {
		return
	}
	var err error
	switch {
	case m.Pattern != "":
		err = a.onBroadcast([]byte(m.Payload))
	case key == a.ch.request:
		err = a.onRequest([]byte(m.Payload))
	default:
		err = a.onResponse([]byte(m.Payload))
	}
	if err != nil {
		c.invalid.Add(1)
		c.cfg.Logger.Debug("redisadapter: invalid message", "channel", m.Channel, "err", err)
	}
}

// newID returns n random bytes in URL-safe base64.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}
