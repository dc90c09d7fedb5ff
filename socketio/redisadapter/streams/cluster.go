package streams

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
)

// ErrTimeout reports that some nodes did not answer within RequestsTimeout; the
// answers received come with it.
var ErrTimeout = errors.New("streams: timeout waiting for other nodes")

// ErrUnavailable reports that Redis cannot be reached.
var ErrUnavailable = errors.New("streams: redis unavailable")

// ErrClosed is returned after Close.
var ErrClosed = errors.New("streams: closed")

// Stats are the Cluster's counters since New.
type Stats struct {
	Appended  uint64 // stream entries Redis accepted
	Published uint64 // pub/sub messages Redis accepted
	Retried   uint64 // writes tried again after a failure (an outage)
	Dropped   uint64 // messages dropped: queue full, or a pub/sub message Redis refused
	Read      uint64 // stream entries read
	Invalid   uint64 // entries and messages that could not be decoded
	// Duplicates counts entries read twice and dropped the second time: a writer
	// appended again an entry whose XADD answer it lost (see entryValues).
	Duplicates uint64
	Queued     int // messages waiting for Redis now
}

// Cluster connects the namespaces of one Socket.IO server to the other nodes through
// one Redis stream (broadcasts, joins, leaves, disconnects: kept, so an outage loses
// nothing that the stream still holds) and pub/sub (requests and answers), speaking
// @socket.io/redis-streams-adapter 0.3.x's protocol. Plug NewAdapter into
// socketio.Config.NewAdapter.
type Cluster struct {
	cfg    Config
	uid    string
	ctx    context.Context
	cancel context.CancelFunc
	ps     *redis.PubSub
	queue  chan job
	wg     sync.WaitGroup

	mu        sync.RWMutex
	byNsp     map[string]*nspAdapter
	byChannel map[string]*nspAdapter
	closed    bool

	lastID atomic.Pointer[string] // id of the last entry read
	seq    atomic.Uint64          // number of the last entry this node wrote
	// seen maps a writer's uid to the highest seq read from it; only readLoop
	// touches it.
	seen      map[string]uint64
	readUp    atomic.Bool
	pubFailed atomic.Bool
	lastLog   atomic.Int64

	appended, published, retried, dropped, read, invalid, duplicates atomic.Uint64
}

type jobKind uint8

const (
	jobXAdd jobKind = iota
	jobPublish
	jobSet // SET key value PX ttl
	jobDel
)

type job struct {
	kind    jobKind
	key     string // channel or key
	values  []any  // XADD fields
	payload []byte
	ttl     time.Duration
	onErr   func(error)
}

// New starts a Cluster: its stream reader, its subscription and its publisher. It
// does not wait for Redis: a node starts while Redis is down and catches up once it
// is back. Close stops it.
func New(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	c := &Cluster{
		cfg:       cfg,
		uid:       hex.EncodeToString(b),
		queue:     make(chan job, cfg.QueueSize),
		byNsp:     make(map[string]*nspAdapter),
		byChannel: make(map[string]*nspAdapter),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.ps = cfg.Client.Subscribe(c.ctx)
	c.wg.Add(4)
	go c.readLoop()
	go c.subscribeLoop()
	go c.publishLoop()
	go c.liveLoop()
	return c, nil
}

// UID is this node's id on the wire.
func (c *Cluster) UID() string { return c.uid }

// NewAdapter makes the adapter of namespace n; pass it as socketio.Config.NewAdapter.
func (c *Cluster) NewAdapter(n socketio.AdapterHost) socketio.Adapter {
	a := newNspAdapter(c, n)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return a.MemoryAdapter
	}
	c.byNsp[n.Name()] = a
	c.byChannel[a.channel] = a
	c.byChannel[a.ownChannel] = a
	c.mu.Unlock()
	c.goBounded(func(ctx context.Context) { _ = c.ps.Subscribe(ctx, a.channel, a.ownChannel) })
	return a
}

func (c *Cluster) remove(a *nspAdapter) {
	c.mu.Lock()
	if c.byNsp[a.nsp.Name()] != a {
		c.mu.Unlock()
		return
	}
	delete(c.byNsp, a.nsp.Name())
	delete(c.byChannel, a.channel)
	delete(c.byChannel, a.ownChannel)
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.goBounded(func(ctx context.Context) { _ = c.ps.Unsubscribe(ctx, a.channel, a.ownChannel) })
	}
}

func (c *Cluster) goBounded(fn func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestsTimeout)
		defer cancel()
		fn(ctx)
	}()
}

// Healthy reports whether Redis is reachable: the stream is being read and the last
// write went through. Local delivery of what needs no offset goes on either way.
func (c *Cluster) Healthy() bool { return c.Err() == nil }

// Err returns nil when healthy, else an error wrapping ErrUnavailable or ErrClosed.
func (c *Cluster) Err() error {
	switch {
	case c.ctx.Err() != nil:
		return ErrClosed
	case !c.readUp.Load():
		return errors.Join(ErrUnavailable, errors.New("streams: stream not readable"))
	case c.pubFailed.Load():
		return errors.Join(ErrUnavailable, errors.New("streams: writes failing"))
	}
	return nil
}

// Stats returns the counters.
func (c *Cluster) Stats() Stats {
	return Stats{
		Appended: c.appended.Load(), Published: c.published.Load(), Retried: c.retried.Load(),
		Dropped: c.dropped.Load(), Read: c.read.Load(), Invalid: c.invalid.Load(), Duplicates: c.duplicates.Load(),
		Queued: len(c.queue),
	}
}

// Close stops the loops; what is still queued for Redis is dropped. The namespaces'
// adapters fall back to local delivery; the Redis client stays open.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	adapters := make([]*nspAdapter, 0, len(c.byNsp))
	for _, a := range c.byNsp {
		adapters = append(adapters, a)
	}
	c.mu.Unlock()
	// A clean stop says so: this node's live sessions were persisted or are gone.
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.PublishTimeout)
	_ = c.cfg.Client.Del(ctx, c.nodeKey(c.uid)).Err()
	cancel()
	c.cancel()
	err := c.ps.Close()
	c.wg.Wait()
	for _, a := range adapters {
		a.requests.FailAll()
	}
	return err
}

// enqueue hands a write to the publisher without blocking; a full queue drops it.
func (c *Cluster) enqueue(j job) {
	if c.ctx.Err() != nil {
		if j.onErr != nil {
			j.onErr(ErrClosed)
		}
		return
	}
	select {
	case c.queue <- j:
	default:
		c.dropped.Add(1)
		c.logFailure(errors.New("streams: queue full, message dropped"))
		if j.onErr != nil {
			j.onErr(ErrUnavailable)
		}
	}
}

const maxBatch = 128

// publishLoop is the single writer: it keeps the order of writes, pipelines what
// queued up meanwhile, and tries stream entries and session writes again until Redis
// takes them (an outage delays them, in order; it does not lose them).
func (c *Cluster) publishLoop() {
	defer c.wg.Done()
	batch := make([]job, 0, maxBatch)
	for {
		select {
		case <-c.ctx.Done():
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
		backoff := 50 * time.Millisecond
		for len(batch) > 0 {
			batch = c.write(batch)
			if len(batch) == 0 || c.ctx.Err() != nil {
				break
			}
			c.retried.Add(uint64(len(batch)))
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
		}
		clear(batch)
	}
}

// write sends batch and returns the jobs to try again (those lost to a connection
// failure and that must not be lost), in order.
func (c *Cluster) write(batch []job) []job {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.PublishTimeout)
	defer cancel()
	pipe := c.cfg.Client.Pipeline()
	cmds := make([]redis.Cmder, len(batch))
	for i, j := range batch {
		switch j.kind {
		case jobXAdd:
			cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{Stream: c.cfg.StreamName, MaxLen: c.cfg.MaxLen, Approx: true, ID: "*", Values: j.values})
		case jobPublish:
			cmds[i] = pipe.Publish(ctx, j.key, j.payload)
		case jobSet:
			cmds[i] = pipe.Set(ctx, j.key, j.payload, j.ttl)
		case jobDel:
			cmds[i] = pipe.Del(ctx, j.key)
		}
	}
	_, _ = pipe.Exec(ctx)
	var retry []job
	for i, cmd := range cmds {
		j := batch[i]
		err := cmd.Err()
		if err == nil {
			c.pubFailed.Store(false)
			if j.kind == jobXAdd {
				c.appended.Add(1)
			} else if j.kind == jobPublish {
				c.published.Add(1)
			}
			continue
		}
		var rerr redis.Error
		if j.kind != jobPublish && !errors.As(err, &rerr) {
			retry = append(retry, j) // connection lost: the entry is kept for later
			c.pubFailed.Store(true)
			c.logFailure(err)
			continue
		}
		// A request nobody waits for any more, or a command Redis refused: dropped.
		c.dropped.Add(1)
		if j.onErr != nil {
			j.onErr(err)
		}
	}
	return retry
}

func (c *Cluster) logFailure(err error) {
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(time.Second) || !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	s := c.Stats()
	c.cfg.Logger.Warn("streams: redis write failed; cross-node messages wait in the queue",
		"err", err, "queued", s.Queued, "dropped", s.Dropped)
}

// offset returns the id of the last entry read ("0-0" before any).
func (c *Cluster) offset() string {
	if p := c.lastID.Load(); p != nil {
		return *p
	}
	return "0-0"
}

// readLoop reads the stream from the last entry of when the node started, in order,
// and hands each entry to its namespace. After an outage it resumes from the last
// entry it read, so it misses only what the stream trimmed meanwhile.
func (c *Cluster) readLoop() {
	defer c.wg.Done()
	backoff := 50 * time.Millisecond
	for c.ctx.Err() == nil && c.lastID.Load() == nil {
		msgs, err := c.cfg.Client.XRevRangeN(c.ctx, c.cfg.StreamName, "+", "-", 1).Result()
		if err == nil {
			id := "0-0"
			if len(msgs) > 0 {
				id = msgs[0].ID
			}
			c.lastID.Store(&id)
			break
		}
		c.sleep(&backoff)
	}
	for c.ctx.Err() == nil {
		res, err := c.cfg.Client.XRead(c.ctx, &redis.XReadArgs{
			Streams: []string{c.cfg.StreamName, c.offset()}, Count: c.cfg.ReadCount, Block: c.cfg.BlockTime,
		}).Result()
		if errors.Is(err, redis.Nil) {
			c.readUp.Store(true)
			continue
		}
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			if c.readUp.Swap(false) {
				c.cfg.Logger.Warn("streams: stream unreadable; resuming once redis is back", "err", err)
			}
			c.sleep(&backoff)
			continue
		}
		backoff = 50 * time.Millisecond
		if !c.readUp.Swap(true) {
			c.cfg.Logger.Info("streams: reading the stream", "from", c.offset())
		}
		for _, s := range res {
			for _, m := range s.Messages {
				id := m.ID
				c.read.Add(1)
				c.onEntry(id, m.Values)
				c.lastID.Store(&id)
			}
		}
	}
}

func (c *Cluster) sleep(backoff *time.Duration) {
	select {
	case <-c.ctx.Done():
	case <-time.After(*backoff):
	}
	*backoff = min(*backoff*2, 500*time.Millisecond)
}

func (c *Cluster) onEntry(id string, v map[string]any) {
	m, err := decodeEntry(v)
	if err == nil && c.duplicate(m) {
		return
	}
	if err == nil {
		c.mu.RLock()
		a := c.byNsp[m.Nsp]
		c.mu.RUnlock()
		if a == nil {
			return
		}
		err = a.onEntry(id, m)
	}
	if err != nil {
		c.invalid.Add(1)
		c.cfg.Logger.Debug("streams: invalid entry", "id", id, "err", err)
	}
}

// duplicate reports whether m is an entry already read: one a Go writer sent
// again after losing the answer to its XADD (see entryValues). Entries without
// a seq (Node's) are never duplicates.
func (c *Cluster) duplicate(m *message) bool {
	if m.seq == 0 {
		return false
	}
	if c.seen == nil {
		c.seen = make(map[string]uint64)
	}
	if m.seq <= c.seen[m.UID] {
		c.duplicates.Add(1)
		return true
	}
	c.seen[m.UID] = m.seq
	return false
}

// subscribeLoop reads the request and answer channels.
func (c *Cluster) subscribeLoop() {
	defer c.wg.Done()
	backoff := 50 * time.Millisecond
	pinged := false
	for c.ctx.Err() == nil {
		msg, err := c.ps.ReceiveTimeout(c.ctx, 3*time.Second)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				pinged = true
				if c.ps.Ping(c.ctx) == nil {
					continue
				}
			}
			c.sleep(&backoff)
			continue
		}
		pinged, backoff = false, 50*time.Millisecond
		m, ok := msg.(*redis.Message)
		if !ok {
			continue
		}
		c.mu.RLock()
		a := c.byChannel[m.Channel]
		c.mu.RUnlock()
		if a == nil {
			continue
		}
		if err := a.onMessage([]byte(m.Payload)); err != nil {
			c.invalid.Add(1)
			c.cfg.Logger.Debug("streams: invalid message", "channel", m.Channel, "err", err)
		}
	}
}
