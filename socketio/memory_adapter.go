package socketio

import (
	"context"
	"sync"

	"rtserver/socketio/internal/mapshrink"
	"rtserver/socketio/parser"
)

// adapterShards is the number of lock shards of each MemoryAdapter map: joins and
// broadcasts in different rooms rarely contend.
const adapterShards = 32

// shrinkMinPeak is the peak from which a map of sockets (Namespace.sockets) is rebuilt
// once it empties to a quarter of it (see mapshrink); an adapter shard holds about
// 1/adapterShards of the sockets, so its own threshold is that much lower.
const (
	shrinkMinPeak      = 1024
	shardShrinkMinPeak = shrinkMinPeak / adapterShards
)

// MemoryAdapter is the single-node Adapter: room → sockets and socket → rooms maps,
// each split into lock shards behind RWMutexes, and (with Config.Recovery) the
// bounded store of broadcasts and disconnected sessions. A broadcast copies its
// recipient list under the read locks, encodes the packet once, and queues the same
// frames to every recipient after releasing them.
type MemoryAdapter struct {
	nsp   *Namespace
	rooms [adapterShards]setShard // room → socket ids
	sids  [adapterShards]setShard // socket id → rooms
	store *recoveryStore          // nil when recovery is off
}

type setShard struct {
	mu   sync.RWMutex
	m    map[string]*members
	peak mapshrink.Peak // m is rebuilt after a burst
}

// setLocked returns the set of key, putting a new one (made with room for n when new) in the shard.
func (sh *setShard) setLocked(key string, n int) *members {
	set := sh.m[key]
	if set == nil {
		set = newMembers(n)
		sh.m[key] = set
		sh.peak.Grew(len(sh.m))
	}
	return set
}

// deleteLocked removes key from the shard.
func (sh *setShard) deleteLocked(key string) {
	delete(sh.m, key)
	sh.m = mapshrink.Shrink(sh.m, &sh.peak, shardShrinkMinPeak)
}

// NewMemoryAdapter returns the memory adapter of the namespace h hosts (h is what
// Config.NewAdapter received). Cluster adapters embed one for local delivery.
func NewMemoryAdapter(h AdapterHost) *MemoryAdapter {
	n := hostNamespace(h)
	a := &MemoryAdapter{nsp: n}
	for i := range a.rooms {
		a.rooms[i].m = make(map[string]*members)
		a.sids[i].m = make(map[string]*members)
	}
	if rc := n.recovery(); rc != nil {
		a.store = newRecoveryStore(*rc)
	}
	return a
}

// shardOf hashes s (FNV-1a) onto a shard index without allocating.
func shardOf(s string) int {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return int(h % adapterShards)
}

// AddAll implements Adapter. Lock order is always socket shard, then room shard.
func (a *MemoryAdapter) AddAll(id string, rooms []string) {
	var added []string
	defer func() { a.nsp.observeRooms(id, added, true) }() // after the unlock below
	ss := &a.sids[shardOf(id)]
	ss.mu.Lock()
	defer ss.mu.Unlock()
	observed := a.nsp != nil && len(a.nsp.srv.observing()) > 0
	set := ss.setLocked(id, len(rooms))
	for _, r := range rooms {
		if !set.add(r) {
			continue
		}
		if observed {
			added = append(added, r)
		}
		rs := &a.rooms[shardOf(r)]
		rs.mu.Lock()
		rs.setLocked(r, 1).add(id)
		rs.mu.Unlock()
	}
}

// Del implements Adapter.
func (a *MemoryAdapter) Del(id, room string) {
	ss := &a.sids[shardOf(id)]
	ss.mu.Lock()
	was := false
	if set := ss.m[id]; set != nil {
		was = set.remove(room)
	}
	a.delMember(room, id)
	ss.mu.Unlock()
	if was {
		a.nsp.observeRooms(id, []string{room}, false)
	}
}

func (a *MemoryAdapter) delMember(room, id string) {
	rs := &a.rooms[shardOf(room)]
	rs.mu.Lock()
	if m := rs.m[room]; m != nil {
		m.remove(id)
		if m.len() == 0 {
			rs.deleteLocked(room)
		}
	}
	rs.mu.Unlock()
}

// DelAll implements Adapter.
func (a *MemoryAdapter) DelAll(id string) {
	var left []string
	observed := a.nsp != nil && len(a.nsp.srv.observing()) > 0
	ss := &a.sids[shardOf(id)]
	ss.mu.Lock()
	for r := range ss.m[id].all() {
		a.delMember(r, id)
		if observed {
			left = append(left, r)
		}
	}
	ss.deleteLocked(id)
	ss.mu.Unlock()
	a.nsp.observeRooms(id, left, false)
}

// SocketRooms implements Adapter.
func (a *MemoryAdapter) SocketRooms(id string) []string {
	ss := &a.sids[shardOf(id)]
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	set, ok := ss.m[id]
	if !ok {
		return nil
	}
	out := make([]string, 0, set.len())
	for r := range set.all() {
		out = append(out, r)
	}
	return out
}

// roomCount returns the number of rooms with at least one member (tests, metrics).
func (a *MemoryAdapter) roomCount() int {
	n := 0
	for i := range a.rooms {
		a.rooms[i].mu.RLock()
		n += len(a.rooms[i].m)
		a.rooms[i].mu.RUnlock()
	}
	return n
}

// Sockets implements Adapter (local sockets only).
func (a *MemoryAdapter) Sockets(_ context.Context, rooms []string) ([]string, error) {
	return a.selectIDs(BroadcastOptions{Rooms: rooms}), nil
}

// selectIDs copies the ids selected by opts under the shard read locks.
func (a *MemoryAdapter) selectIDs(opts BroadcastOptions) []string {
	var except map[string]struct{}
	for _, r := range opts.Except {
		rs := &a.rooms[shardOf(r)]
		rs.mu.RLock()
		for id := range rs.m[r].all() {
			if except == nil {
				except = make(map[string]struct{})
			}
			except[id] = struct{}{}
		}
		rs.mu.RUnlock()
	}
	excluded := func(id string) bool {
		_, ok := except[id]
		return ok
	}
	var ids []string
	switch len(opts.Rooms) {
	case 0:
		for i := range a.sids {
			ss := &a.sids[i]
			ss.mu.RLock()
			for id := range ss.m {
				if !excluded(id) {
					ids = append(ids, id)
				}
			}
			ss.mu.RUnlock()
		}
	case 1:
		rs := &a.rooms[shardOf(opts.Rooms[0])]
		rs.mu.RLock()
		m := rs.m[opts.Rooms[0]]
		ids = make([]string, 0, m.len())
		for id := range m.all() {
			if !excluded(id) {
				ids = append(ids, id)
			}
		}
		rs.mu.RUnlock()
	default:
		seen := make(map[string]struct{})
		for _, r := range opts.Rooms {
			rs := &a.rooms[shardOf(r)]
			rs.mu.RLock()
			for id := range rs.m[r].all() {
				if _, dup := seen[id]; dup || excluded(id) {
					continue
				}
				seen[id] = struct{}{}
				ids = append(ids, id)
			}
			rs.mu.RUnlock()
		}
	}
	return ids
}

// recipients returns the local sockets selected by opts.
func (a *MemoryAdapter) recipients(opts BroadcastOptions) []*Socket {
	if len(opts.Rooms) == 1 {
		if socks, ok := a.roomSockets(opts.Rooms[0]); ok {
			return a.without(socks, opts.Except)
		}
	}
	return a.nsp.lookup(a.selectIDs(opts))
}

// snapshotMinMembers is the size from which a room's sockets are kept resolved
// between broadcasts (roomSockets): for smaller rooms the lookups cost little.
const snapshotMinMembers = 32

// roomSockets returns the sockets of room, from its snapshot when the room has not
// changed since it was made (ok false: the room is small, resolve it by ids). A
// broadcast to a large room then reads one slice of sockets instead of walking a map
// of ids and looking each up in the namespace (cache misses per recipient, most of a
// broadcast's user time outside write(2)). The returned slice is shared: read only.
func (a *MemoryAdapter) roomSockets(room string) ([]*Socket, bool) {
	rs := &a.rooms[shardOf(room)]
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	m := rs.m[room]
	if m.len() < snapshotMinMembers {
		return nil, false
	}
	if p := m.snap.Load(); p != nil {
		return *p, true
	}
	// Members change only under the shard's write lock, which the read lock held here
	// keeps out, so the ids are stable; a socket is registered in the namespace
	// before it joins any room and leaves its rooms as it disconnects, so every id
	// resolves (one that does not is dropped, as lookup would).
	ids := make([]string, 0, m.len())
	for id := range m.all() {
		ids = append(ids, id)
	}
	socks := a.nsp.lookup(ids)
	m.snap.Store(&socks)
	return socks, true
}

// without returns socks less the sockets in the except rooms, in a new slice.
func (a *MemoryAdapter) without(socks []*Socket, except []string) []*Socket {
	out := make([]*Socket, 0, len(socks))
	if len(except) == 0 {
		return append(out, socks...)
	}
	// The usual except is the sender's own room: one socket, compared by pointer (its
	// id would be read from every recipient's string, one more cache miss each).
	if len(except) == 1 && a.ownRoom(except[0]) {
		sender := a.nsp.Socket(except[0])
		for _, s := range socks {
			if s != sender {
				out = append(out, s)
			}
		}
		return out
	}
	skip := make(map[*Socket]struct{})
	for _, s := range a.nsp.lookup(a.selectIDs(BroadcastOptions{Rooms: except})) {
		skip[s] = struct{}{}
	}
	for _, s := range socks {
		if _, ok := skip[s]; !ok {
			out = append(out, s)
		}
	}
	return out
}

// ownRoom reports whether room holds only the socket of the same id (a socket's own
// room, which nothing else can join under the id of a live socket).
func (a *MemoryAdapter) ownRoom(room string) bool {
	rs := &a.rooms[shardOf(room)]
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	m := rs.m[room]
	return m.len() == 1 && m.contains(room)
}

// Broadcast implements Adapter: the packet is encoded once and the same frames are
// queued to every recipient, no lock held.
func (a *MemoryAdapter) Broadcast(p *parser.Packet, opts BroadcastOptions) error {
	if a.store != nil && !opts.Volatile && !p.HasID() && (p.Type == parser.Event || p.Type == parser.BinaryEvent) {
		p = a.store.add(p, opts)
	}
	a.Deliver(p, opts)
	return nil
}

// BroadcastWithAck implements Adapter.
func (a *MemoryAdapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions,
	onCount func(int), onAck func(string, Args)) error {
	frames := a.nsp.srv.encodeFrames(p, !opts.Uncompressed)
	out := outgoingEvent{p: p}
	n := 0
	var sent []*Socket
	defer func() { a.nsp.observeSent(p, sent...) }()
	for _, s := range a.recipients(opts) {
		id := s.id
		err := s.acks.register(ctx, p.ID, func(args Args, err error) {
			if err == nil {
				onAck(id, args)
			}
		})
		if err != nil {
			continue
		}
		out.notify(s)
		if s.sendFrames(frames, opts.Volatile) != nil {
			s.acks.drop(p.ID)
			continue
		}
		sent = append(sent, s)
		n++
	}
	onCount(n)
	return nil
}

// FetchSockets implements Adapter (local sockets only).
func (a *MemoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	socks := a.recipients(opts)
	out := make([]*RemoteSocket, 0, len(socks))
	for _, s := range socks {
		out = append(out, &RemoteSocket{ID: s.id, Handshake: s.hs, Rooms: s.Rooms(), Data: s.Data(), nsp: a.nsp, local: s})
	}
	return out, nil
}

// AddSockets implements Adapter. A socket at its room cap joins what fits.
func (a *MemoryAdapter) AddSockets(opts BroadcastOptions, rooms []string) error {
	for _, s := range a.recipients(opts) {
		_ = s.Join(rooms...)
	}
	return nil
}

// DelSockets implements Adapter.
func (a *MemoryAdapter) DelSockets(opts BroadcastOptions, rooms []string) error {
	for _, s := range a.recipients(opts) {
		for _, r := range rooms {
			_ = s.Leave(r)
		}
	}
	return nil
}

// DisconnectSockets implements Adapter.
func (a *MemoryAdapter) DisconnectSockets(opts BroadcastOptions, close bool) error {
	for _, s := range a.recipients(opts) {
		s.Disconnect(close)
	}
	return nil
}

// ServerSideEmit implements Adapter: there are no other nodes, so nothing is sent.
func (a *MemoryAdapter) ServerSideEmit(string, Args) error { return nil }

// ServerCount implements Adapter: one node.
func (a *MemoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// PersistSession implements SessionAdapter (no-op when recovery is off).
func (a *MemoryAdapter) PersistSession(s PersistedSession) {
	if a.store != nil {
		a.store.persist(s)
	}
}

// RestoreSession implements SessionAdapter.
func (a *MemoryAdapter) RestoreSession(pid, offset, owner string) (*RestoredSession, error) {
	if a.store == nil {
		return nil, nil
	}
	return a.store.restore(pid, offset, owner), nil
}

// Offset implements SessionAdapter: the offset of the latest stored broadcast (""
// when recovery is off).
func (a *MemoryAdapter) Offset() string {
	if a.store == nil {
		return ""
	}
	return a.store.offset()
}

// Close implements Adapter.
func (a *MemoryAdapter) Close() error { return nil }
