package streams

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"rtserver/socketio"
	"rtserver/socketio/internal/msgpackjson"
)

// wireSession is a session as the Node adapter keeps it (base64 of msgpack {sid, pid,
// rooms, data}), plus what Go nodes add: offset, owner (RecoveryConfig.Owner, so the
// ownership rule holds on whichever node the client comes back to) and, for the
// session of a connected socket, the node holding it. Node ignores the extra fields.
type wireSession struct {
	SID    string          `json:"sid"`
	PID    string          `json:"pid"`
	Rooms  []string        `json:"rooms"`
	Data   json.RawMessage `json:"data"`
	Offset string          `json:"offset,omitempty"`
	Owner  string          `json:"owner,omitempty"`
	Node   string          `json:"node,omitempty"`
}

func encodeSession(s socketio.PersistedSession, node string) ([]byte, error) {
	data := json.RawMessage("{}")
	if s.Data != nil {
		b, err := json.Marshal(s.Data)
		if err != nil {
			return nil, err
		}
		data = b
	}
	if s.Rooms == nil {
		s.Rooms = []string{}
	}
	js := marshal(wireSession{SID: s.SID, PID: s.PID, Rooms: s.Rooms, Data: data, Offset: s.Offset, Owner: s.Owner, Node: node})
	var buf bytes.Buffer
	if err := msgpackjson.Encode(msgpack.NewEncoder(&buf), js, nil); err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

func decodeSession(v string) (*wireSession, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	js, _, err := msgpackjson.ToJSON(raw)
	if err != nil {
		return nil, err
	}
	ws := &wireSession{}
	return ws, json.Unmarshal(js, ws)
}

func (c *Cluster) sessionKey(pid string) string { return c.cfg.SessionKeyPrefix + pid }
func (c *Cluster) liveKey(pid string) string    { return c.cfg.LiveKeyPrefix + pid }
func (c *Cluster) nodeKey(uid string) string    { return c.cfg.LiveKeyPrefix + "node:" + uid }

// AddAll implements socketio.Adapter; the socket's live session is rewritten soon.
func (a *nspAdapter) AddAll(id string, rooms []string) {
	a.MemoryAdapter.AddAll(id, rooms)
	a.markDirty(id)
}

// Del implements socketio.Adapter.
func (a *nspAdapter) Del(id, room string) {
	a.MemoryAdapter.Del(id, room)
	a.markDirty(id)
}

// DelAll implements socketio.Adapter: the socket is gone, so is its live session (a
// recoverable one was persisted just before, by PersistSession).
func (a *nspAdapter) DelAll(id string) {
	a.MemoryAdapter.DelAll(id)
	if !a.recovery {
		return
	}
	a.mu.Lock()
	pid, ok := a.live[id]
	delete(a.live, id)
	delete(a.dirty, id)
	a.mu.Unlock()
	if ok {
		a.c.enqueue(job{kind: jobDel, key: a.c.liveKey(pid)})
	}
}

func (a *nspAdapter) markDirty(id string) {
	if !a.recovery {
		return
	}
	a.mu.Lock()
	a.dirty[id] = struct{}{}
	a.mu.Unlock()
}

// syncLive writes the live sessions of the sockets marked (all of them when all).
func (a *nspAdapter) syncLive(all bool) {
	a.mu.Lock()
	var ids []string
	if all {
		for id := range a.live {
			ids = append(ids, id)
		}
	}
	for id := range a.dirty {
		ids = append(ids, id)
	}
	clear(a.dirty)
	a.mu.Unlock()
	for _, id := range ids {
		s := a.nsp.Socket(id)
		if s == nil {
			continue
		}
		ps, ok := s.Session()
		if !ok {
			continue
		}
		v, err := encodeSession(ps, a.c.uid)
		if err != nil {
			continue
		}
		a.mu.Lock()
		a.live[id] = ps.PID
		a.mu.Unlock()
		a.c.enqueue(job{kind: jobSet, key: a.c.liveKey(ps.PID), payload: v, ttl: a.c.cfg.SessionTTL})
	}
}

// liveLoop sends this node's heartbeat and writes changed live sessions every
// LiveSync, and every live session every SessionTTL/3 so that they outlive a crash
// by SessionTTL at most and not much less.
func (c *Cluster) liveLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.LiveSync)
	defer t.Stop()
	var lastBeat, lastAll time.Time
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(lastBeat) >= c.cfg.NodeTTL/4 {
				lastBeat = now
				ctx, cancel := context.WithTimeout(c.ctx, c.cfg.NodeTTL/4)
				_ = c.cfg.Client.Set(ctx, c.nodeKey(c.uid), "1", c.cfg.NodeTTL).Err()
				cancel()
			}
			all := now.Sub(lastAll) >= c.cfg.SessionTTL/3
			if all {
				lastAll = now
			}
			c.mu.RLock()
			adapters := make([]*nspAdapter, 0, len(c.byNsp))
			for _, a := range c.byNsp {
				if a.recovery {
					adapters = append(adapters, a)
				}
			}
			c.mu.RUnlock()
			for _, a := range adapters {
				a.syncLive(all)
			}
		}
	}
}

// PersistSession implements socketio.Adapter: the session is written to Redis (in
// order with everything else this node writes, tried again through an outage) for
// whichever node the client comes back to.
func (a *nspAdapter) PersistSession(s socketio.PersistedSession) {
	v, err := encodeSession(s, "")
	if err != nil {
		a.c.cfg.Logger.Warn("streams: session not encodable", "nsp", a.nsp.Name(), "err", err)
		return
	}
	a.c.enqueue(job{kind: jobSet, key: a.c.sessionKey(s.PID), payload: v, ttl: a.c.cfg.SessionTTL})
}

// RestoreSession implements socketio.Adapter: it takes the session pid from Redis
// (persisted by any node, or left live by a node that died) when it was kept for
// owner, with the broadcasts of this namespace after the later of the client's offset
// and the session's that the socket's rooms selected. Nil when the session is
// unknown, of another owner (it is put back), still held by a live node after
// NodeTTL, or when the stream no longer holds the offset (packets may be gone).
func (a *nspAdapter) RestoreSession(pid, offset, owner string) (*socketio.RestoredSession, error) {
	if !a.recovery || pid == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.c.cfg.RequestsTimeout)
	defer cancel()
	// A client whose node was killed reconnects within a second or so, before
	// that node's heartbeat expires: the session is then waited for, up to
	// NodeTTL (+ LiveSync), until the node is seen dead or persists it.
	wait := time.NewTimer(a.c.cfg.NodeTTL + a.c.cfg.LiveSync)
	defer wait.Stop()
	var (
		key string
		ws  *wireSession
		ttl time.Duration
	)
	for {
		var err error
		key = a.c.sessionKey(pid)
		if ws, ttl, err = a.takeKey(ctx, key); err != nil {
			return nil, err
		}
		if ws != nil {
			break
		}
		key = a.c.liveKey(pid)
		ws, ttl, err = a.takeLive(ctx, pid)
		if ws != nil || !errors.Is(err, errNodeAlive) {
			if ws == nil || err != nil {
				return nil, err
			}
			break
		}
		select {
		case <-wait.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		case <-time.After(a.c.cfg.NodeTTL / 8):
		}
	}
	if ws.PID != pid || ws.Owner != owner {
		if ws.Owner != owner && ttl > 0 {
			v, _ := encodeSession(ws.persisted(), ws.Node)
			_ = a.c.cfg.Client.Set(ctx, key, v, ttl).Err()
		}
		return nil, nil
	}
	from := ws.Offset
	if later(offset, from) {
		from = offset
	}
	if from == "" {
		return nil, nil
	}
	missed, err := a.missed(ctx, from, ws.Rooms)
	if err != nil || missed == nil {
		return nil, err
	}
	rs := &socketio.RestoredSession{PersistedSession: ws.persisted(), Missed: missed}
	return rs, nil
}

func (ws *wireSession) persisted() socketio.PersistedSession {
	var data any
	if len(ws.Data) > 0 && string(ws.Data) != "null" {
		data = ws.Data
	}
	return socketio.PersistedSession{SID: ws.SID, PID: ws.PID, Rooms: ws.Rooms, Data: data,
		Offset: ws.Offset, DisconnectedAt: time.Now(), Owner: ws.Owner}
}

// takeKey gets and deletes key atomically, with its remaining time to live.
func (a *nspAdapter) takeKey(ctx context.Context, key string) (*wireSession, time.Duration, error) {
	var ttl *redis.DurationCmd
	var get *redis.StringCmd
	_, err := a.c.cfg.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ttl = p.PTTL(ctx, key)
		get = p.Get(ctx, key)
		p.Del(ctx, key)
		return nil
	})
	if errors.Is(get.Err(), redis.Nil) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	ws, err := decodeSession(get.Val())
	return ws, ttl.Val(), err
}

// errNodeAlive: the live session is held by another node whose heartbeat is current.
var errNodeAlive = errors.New("streams: session held by a live node")

// takeLive takes the live session pid when the node that held it is dead
// (errNodeAlive while that node's heartbeat is current).
func (a *nspAdapter) takeLive(ctx context.Context, pid string) (*wireSession, time.Duration, error) {
	key := a.c.liveKey(pid)
	v, err := a.c.cfg.Client.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	ws, err := decodeSession(v)
	if err != nil || ws.Node == "" {
		return nil, 0, err
	}
	if ws.Node == a.c.uid {
		return nil, 0, nil // the socket is still here, or its end is being written
	}
	{
		alive, err := a.c.cfg.Client.Exists(ctx, a.c.nodeKey(ws.Node)).Result()
		if err != nil {
			return nil, 0, err
		}
		if alive > 0 {
			return nil, 0, errNodeAlive // its node still holds the socket, or will persist it
		}
	}
	return a.takeKey(ctx, key)
}

// missed returns the broadcasts of this namespace after offset from that reach a
// socket in rooms, each with its entry id as offset; nil when from is no longer in
// the stream.
func (a *nspAdapter) missed(ctx context.Context, from string, rooms []string) ([]socketio.MissedPacket, error) {
	stream := a.c.cfg.StreamName
	if from != "0-0" {
		first, err := a.c.cfg.Client.XRangeN(ctx, stream, from, "+", 1).Result()
		if err != nil {
			return nil, err
		}
		if len(first) == 0 || first[0].ID != from {
			return nil, nil
		}
	}
	in := make(map[string]struct{}, len(rooms))
	for _, r := range rooms {
		in[r] = struct{}{}
	}
	out := []socketio.MissedPacket{}
	for {
		batch, err := a.c.cfg.Client.XRangeN(ctx, stream, "("+from, "+", 500).Result()
		if err != nil {
			return nil, err
		}
		for _, e := range batch {
			from = e.ID
			m, err := decodeEntry(e.Values)
			if err != nil || m.Type != typeBroadcast || m.Nsp != a.nsp.Name() {
				continue
			}
			b, err := m.body()
			if err != nil {
				continue
			}
			p, err := toPacket(b.Packet, m.atts, a.nsp.Name())
			opts := b.Opts.Options()
			if err != nil || !a.recoverable(p, opts) || !selects(opts, in) {
				continue
			}
			out = append(out, socketio.MissedPacket{Packet: socketio.WithOffset(p, e.ID), Opts: opts})
		}
		if len(batch) < 500 {
			return out, nil
		}
	}
}

// selects reports whether a socket in rooms was selected by opts.
func selects(opts socketio.BroadcastOptions, rooms map[string]struct{}) bool {
	for _, r := range opts.Except {
		if _, ok := rooms[r]; ok {
			return false
		}
	}
	if len(opts.Rooms) == 0 {
		return true
	}
	for _, r := range opts.Rooms {
		if _, ok := rooms[r]; ok {
			return true
		}
	}
	return false
}

// later reports whether stream id x comes after y (an invalid x never does).
func later(x, y string) bool {
	xm, xs, ok := splitID(x)
	if !ok {
		return false
	}
	ym, ys, ok := splitID(y)
	if !ok {
		return true
	}
	return xm > ym || (xm == ym && xs > ys)
}

func splitID(id string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(id, "-")
	if !found {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil
}

// newID returns a random request id (16 hex digits, as Node's).
func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	const hexd = "0123456789abcdef"
	out := make([]byte, 16)
	for i, c := range b {
		out[2*i], out[2*i+1] = hexd[c>>4], hexd[c&15]
	}
	return string(out)
}
