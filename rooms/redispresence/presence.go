package redispresence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"rtserver/rooms"
)

// ErrClosed is returned by the methods of a closed Presence; it is
// rooms.ErrClosed, so callers need not import this package to test it.
var ErrClosed = rooms.ErrClosed

const (
	// batchSize bounds the entries of one script call, so that one call
	// never holds Redis (single-threaded) for long.
	batchSize = 128
	// janitorLimit bounds the expired users one node handles per tick; the
	// rest wait for the next tick (or another node's janitor).
	janitorLimit = 1024
	// keyTTLFactor sets every key's own expiry, in TTLs after its last
	// write: longer than any entry in it lives, so keys of a live cluster
	// never vanish under the janitor, yet an abandoned one empties itself.
	keyTTLFactor = 3
)

var _ rooms.Shared = (*Presence)(nil)

// Presence is a rooms.Shared on Redis: nodes sharing one Redis and Prefix
// count users over all of them. Create it with New and stop it with Close
// or Shutdown. It is safe for concurrent use; see the package
// documentation.
type Presence struct {
	cfg    Config
	ttl    int64 // ms
	keyTTL int64 // ms
	queue  string

	mu sync.Mutex
	// local is exactly this node's current arrivals, kept whether or not
	// Redis took them, so the refresh can restore them after an outage.
	local  map[roomUser]*entry
	closed bool

	cancel    context.CancelFunc
	done      chan struct{} // closed when loop returns
	closeOnce sync.Once
	closeErr  error
	noDepart  bool // set by tests: Shutdown leaves the entries, as a crash

	failing bool // owned by loop: whether the last pass failed
}

type roomUser struct{ room, user string }

// entry is one arrival of this node.
type entry struct {
	roomUser
	name string // guarded by Presence.mu
	// lock (capacity 1) serializes this node's writes of the entry, so a
	// refresh cannot re-add an entry a concurrent Depart just removed. A
	// channel rather than a mutex, so that waiting is bounded by a ctx.
	lock chan struct{}
}

func (e *entry) acquire(ctx context.Context) error {
	select {
	case e.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *entry) tryAcquire() bool {
	select {
	case e.lock <- struct{}{}:
		return true
	default:
		return false
	}
}

func (e *entry) release() { <-e.lock }

// New starts the refresh and janitor loop of a Presence configured by cfg
// (see Config for defaults). It does not wait for Redis: while Redis is
// unreachable the methods fail and the loop retries every Refresh.
func New(ctx context.Context, cfg Config) (*Presence, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &Presence{
		cfg:    cfg,
		ttl:    cfg.TTL.Milliseconds(),
		keyTTL: keyTTLFactor * cfg.TTL.Milliseconds(),
		queue:  cfg.Prefix + "due",
		local:  make(map[roomUser]*entry),
		done:   make(chan struct{}),
	}
	lctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.loop(lctx)
	return p, nil
}

// Node returns the id this node's entries carry.
func (p *Presence) Node() string { return p.cfg.Node }

// Arrive records m in room for this node and reports whether m had no live
// entry in room on any node before. The arrival is kept locally even when
// Redis fails, so the next refresh records it once Redis answers.
func (p *Presence) Arrive(ctx context.Context, room string, m rooms.Member) (first bool, err error) {
	if room == "" || m.ID == "" {
		return false, errors.New("redispresence: arrive: empty room or user id")
	}
	k := roomUser{room, m.ID}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false, ErrClosed
	}
	e := p.local[k]
	if e == nil {
		e = &entry{roomUser: k, lock: make(chan struct{}, 1)}
		p.local[k] = e
	}
	e.name = m.Name
	p.mu.Unlock()

	if err := e.acquire(ctx); err != nil {
		return false, fmt.Errorf("redispresence: arrive: %w", err)
	}
	defer e.release()
	p.mu.Lock()
	current, closed := p.local[k] == e, p.closed
	p.mu.Unlock()
	switch {
	case closed:
		return false, ErrClosed
	case !current:
		// A concurrent Depart took the arrival back before it reached
		// Redis: neither reports anything.
		return false, nil
	}
	res, err := arriveScript.Run(ctx, p.cfg.Client, p.keys(k),
		p.cfg.Node, p.ttl, p.keyTTL, "1", m.ID, m.Name, queueMember(k)).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("redispresence: arrive: %w", err)
	}
	return len(res) == 1 && res[0] == 1, nil
}

// Depart removes userID from room for this node and reports whether this
// call left the user in room on no node. A departure the janitor already
// reported through OnGone returns false.
func (p *Presence) Depart(ctx context.Context, room, userID string) (last bool, err error) {
	if room == "" || userID == "" {
		return false, errors.New("redispresence: depart: empty room or user id")
	}
	k := roomUser{room, userID}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false, ErrClosed
	}
	e := p.local[k]
	delete(p.local, k)
	p.mu.Unlock()

	if e != nil {
		// Wait for an Arrive or refresh of this entry in flight, which
		// would otherwise write it back after this removal.
		if err := e.acquire(ctx); err != nil {
			return false, fmt.Errorf("redispresence: depart: %w", err)
		}
		defer e.release()
	}
	res, err := departScript.Run(ctx, p.cfg.Client, p.keys(k),
		p.cfg.Node, p.keyTTL, userID, queueMember(k)).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("redispresence: depart: %w", err)
	}
	return len(res) == 1 && res[0] == 1, nil
}

// Members returns the users with a live entry in room on any node, sorted
// by id; nil when there are none.
func (p *Presence) Members(ctx context.Context, room string) ([]rooms.Member, error) {
	flat, err := membersScript.Run(ctx, p.cfg.Client,
		[]string{p.cfg.Prefix + "r:" + room, p.cfg.Prefix + "n:" + room}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redispresence: members: %w", err)
	}
	if len(flat) == 0 {
		return nil, nil
	}
	out := make([]rooms.Member, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		out = append(out, rooms.Member{ID: flat[i], Name: flat[i+1]})
	}
	slices.SortFunc(out, func(a, b rooms.Member) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Close stops the loop and departs this node's users, announcing through
// OnGone those who are then on no node, before it returns. It waits at
// most TTL for Redis: after that the entries expire anyway and another
// node's janitor announces them.
func (p *Presence) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.TTL)
	defer cancel()
	_ = p.Shutdown(ctx)
}

// Shutdown is Close bounded by ctx; it reports a failure to depart. The
// loop stops even when it fails. Later calls return the first call's
// result.
func (p *Presence) Shutdown(ctx context.Context) error {
	p.closeOnce.Do(func() { p.closeErr = p.shutdown(ctx) })
	return p.closeErr
}

func (p *Presence) shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	local := p.local
	p.local = nil
	p.mu.Unlock()
	p.cancel()
	<-p.done
	if p.noDepart {
		return nil
	}
	es := make([]*entry, 0, len(local))
	for _, e := range local {
		es = append(es, e)
	}
	// Sorted, so OnGone reports in a stable order.
	slices.SortFunc(es, func(a, b *entry) int {
		return cmpRoomUser(a.roomUser, b.roomUser)
	})
	for chunk := range slices.Chunk(es, batchSize) {
		gs, err := p.departAll(ctx, chunk)
		if err != nil {
			return fmt.Errorf("redispresence: close: %w", err)
		}
		p.announce(gs)
	}
	return nil
}

// departAll departs es (taken out of p.local) and returns the users it
// left on no node. The caller announces them after the entries' locks are
// released.
func (p *Presence) departAll(ctx context.Context, es []*entry) ([]gone, error) {
	keys := []string{p.queue}
	args := []any{p.cfg.Node, p.keyTTL}
	held := 0
	defer func() {
		for _, e := range es[:held] {
			e.release()
		}
	}()
	for _, e := range es {
		// An Arrive or Depart in flight finishes first (Arrive then finds
		// the Presence closed and writes nothing).
		if err := e.acquire(ctx); err != nil {
			return nil, err
		}
		held++
		keys = append(keys, p.entryKeys(e.roomUser)...)
		args = append(args, e.user, queueMember(e.roomUser))
	}
	res, err := departScript.Run(ctx, p.cfg.Client, keys, args...).Int64Slice()
	if err != nil {
		return nil, err
	}
	var out []gone
	for i, e := range es {
		if i < len(res) && res[i] == 1 {
			// e left p.local, so nothing writes its name any more.
			out = append(out, gone{e.room, rooms.Member{ID: e.user, Name: e.name}})
		}
	}
	return out, nil
}

// gone is a user to announce through OnGone.
type gone struct {
	room string
	m    rooms.Member
}

func (p *Presence) announce(gs []gone) {
	if p.cfg.OnGone == nil {
		return
	}
	for _, g := range gs {
		p.cfg.OnGone(g.room, g.m)
	}
}

// loop refreshes this node's entries and runs the janitor every Refresh,
// each pass bounded by Refresh so that an unreachable Redis cannot pile
// passes up.
func (p *Presence) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, p.cfg.Refresh)
		// Refresh first: after an outage it restores this node's entries
		// before the janitor could take them for expired.
		err := errors.Join(p.refresh(pctx), p.sweep(pctx))
		cancel()
		if ctx.Err() != nil {
			return
		}
		p.report(err)
	}
}

// report logs the start and the end of a run of failed passes, not each.
func (p *Presence) report(err error) {
	switch {
	case err != nil && !p.failing:
		p.failing = true
		p.cfg.Logger.Warn("redispresence: refresh failed; entries are restored when Redis answers",
			"node", p.cfg.Node, "err", err)
	case err == nil && p.failing:
		p.failing = false
		p.cfg.Logger.Info("redispresence: refresh recovered", "node", p.cfg.Node)
	}
}

// refresh re-scores (and, after Redis lost them, restores) every entry of
// this node.
func (p *Presence) refresh(ctx context.Context) error {
	p.mu.Lock()
	es := make([]*entry, 0, len(p.local))
	for _, e := range p.local {
		es = append(es, e)
	}
	p.mu.Unlock()
	for chunk := range slices.Chunk(es, batchSize) {
		if err := p.refreshBatch(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

func (p *Presence) refreshBatch(ctx context.Context, es []*entry) error {
	held := make([]*entry, 0, len(es))
	for _, e := range es {
		// A busy entry is being written by Arrive (which refreshes it) or
		// removed by Depart: skipping it never waits and loses nothing.
		if e.tryAcquire() {
			held = append(held, e)
		}
	}
	defer func() {
		for _, e := range held {
			e.release()
		}
	}()
	keys := []string{p.queue}
	args := []any{p.cfg.Node, p.ttl, p.keyTTL, "0"}
	p.mu.Lock()
	for _, e := range held {
		if p.local[e.roomUser] != e {
			continue // departed since the snapshot
		}
		keys = append(keys, p.entryKeys(e.roomUser)...)
		args = append(args, e.user, e.name, queueMember(e.roomUser))
	}
	p.mu.Unlock()
	if len(keys) == 1 {
		return nil
	}
	return arriveScript.Run(ctx, p.cfg.Client, keys, args...).Err()
}

// sweep is the janitor: it removes expired entries of users whose every
// entry has expired and reports, through OnGone, those this node removed.
func (p *Presence) sweep(ctx context.Context) error {
	due, err := dueScript.Run(ctx, p.cfg.Client, []string{p.queue}, janitorLimit).StringSlice()
	if err != nil || len(due) == 0 {
		return err
	}
	var bad []any
	batch := make([]roomUser, 0, len(due))
	for _, s := range due {
		if k, ok := parseQueueMember(s); ok {
			batch = append(batch, k)
		} else {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		// Not written by this package; dropping it keeps it from coming
		// back every tick.
		if err := p.cfg.Client.ZRem(ctx, p.queue, bad...).Err(); err != nil {
			return err
		}
	}
	for chunk := range slices.Chunk(batch, batchSize) {
		keys := []string{p.queue}
		args := []any{p.keyTTL}
		for _, k := range chunk {
			keys = append(keys, p.entryKeys(k)...)
			args = append(args, k.user, queueMember(k))
		}
		res, err := expireScript.Run(ctx, p.cfg.Client, keys, args...).Slice()
		if err != nil {
			return err
		}
		var gs []gone
		for i, k := range chunk {
			if 2*i+1 < len(res) && res[2*i] == int64(1) {
				name, _ := res[2*i+1].(string)
				gs = append(gs, gone{k.room, rooms.Member{ID: k.user, Name: name}})
			}
		}
		p.announce(gs)
	}
	return nil
}

// keys returns the KEYS of a one-entry script call.
func (p *Presence) keys(k roomUser) []string {
	return append([]string{p.queue}, p.entryKeys(k)...)
}

// entryKeys returns the u, r and n keys of k (see scripts.go).
func (p *Presence) entryKeys(k roomUser) []string {
	return []string{
		p.cfg.Prefix + "u:" + queueMember(k),
		p.cfg.Prefix + "r:" + k.room,
		p.cfg.Prefix + "n:" + k.room,
	}
}

// queueMember encodes k unambiguously, whatever bytes room and user hold:
// the room's length, a colon, the room, the user.
func queueMember(k roomUser) string {
	return strconv.Itoa(len(k.room)) + ":" + k.room + k.user
}

func parseQueueMember(s string) (roomUser, bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return roomUser{}, false
	}
	n, err := strconv.Atoi(s[:i])
	rest := s[i+1:]
	if err != nil || n <= 0 || n >= len(rest) {
		return roomUser{}, false
	}
	return roomUser{room: rest[:n], user: rest[n:]}, true
}

func cmpRoomUser(a, b roomUser) int {
	if c := strings.Compare(a.room, b.room); c != 0 {
		return c
	}
	return strings.Compare(a.user, b.user)
}
