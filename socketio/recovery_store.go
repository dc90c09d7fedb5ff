package socketio

import (
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"

	"rtserver/socketio/parser"
)

// recoveryStore keeps, for one namespace, the recent broadcasts (each tagged with an
// offset) and the sessions of unexpectedly disconnected sockets. Both are bounded
// by count, bytes and age (RecoveryConfig).
type recoveryStore struct {
	cfg   RecoveryConfig
	epoch string // offsets are epoch "-" seq, so offsets of another process never match

	mu       sync.Mutex
	seq      uint64
	packets  []storedPacket // oldest first; seqs are consecutive
	bytes    int
	sessions map[string]PersistedSession // pid → session
}

type storedPacket struct {
	seq  uint64
	at   time.Time
	p    *parser.Packet
	opts BroadcastOptions
	size int
}

func newRecoveryStore(cfg RecoveryConfig) *recoveryStore {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &recoveryStore{
		cfg:      cfg,
		epoch:    base64.RawURLEncoding.EncodeToString(b[:]),
		sessions: make(map[string]PersistedSession),
	}
}

func (r *recoveryStore) format(seq uint64) string {
	return r.epoch + "-" + strconv.FormatUint(seq, 36)
}

// parse returns the sequence number of an offset of this store.
func (r *recoveryStore) parse(offset string) (uint64, bool) {
	rest, ok := strings.CutPrefix(offset, r.epoch+"-")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 36, 64)
	return seq, err == nil
}

// offset returns the offset of the latest broadcast.
func (r *recoveryStore) offset() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.format(r.seq)
}

// add stores a copy of p with its offset appended as the last argument (as socket.io
// does; the client remembers it) and returns that copy for sending.
func (r *recoveryStore) add(p *parser.Packet, opts BroadcastOptions) *parser.Packet {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	id := r.format(r.seq)
	data := make([]byte, 0, len(p.Data)+len(id)+3)
	data = append(data, p.Data[:len(p.Data)-1]...)
	data = append(data, ',')
	data = parser.AppendString(data, id)
	data = append(data, ']')
	cp := *p
	cp.Data = data
	size := len(data)
	for _, a := range p.Attachments {
		size += len(a)
	}
	r.pruneLocked(now)
	for len(r.packets) > 0 && (len(r.packets) >= r.cfg.MaxPackets || r.bytes+size > r.cfg.MaxBytes) {
		r.dropOldestLocked()
	}
	if size <= r.cfg.MaxBytes {
		r.packets = append(r.packets, storedPacket{seq: r.seq, at: now, p: &cp, opts: opts, size: size})
		r.bytes += size
	}
	return &cp
}

func (r *recoveryStore) dropOldestLocked() {
	r.bytes -= r.packets[0].size
	r.packets[0] = storedPacket{}
	r.packets = r.packets[1:]
}

// pruneLocked drops packets and sessions older than MaxDisconnectionDuration.
func (r *recoveryStore) pruneLocked(now time.Time) {
	keep := r.cfg.MaxDisconnectionDuration
	for len(r.packets) > 0 && now.Sub(r.packets[0].at) > keep {
		r.dropOldestLocked()
	}
	if len(r.packets) == 0 && cap(r.packets) > 64 {
		r.packets = nil
	}
	for pid, s := range r.sessions {
		if now.Sub(s.DisconnectedAt) > keep {
			delete(r.sessions, pid)
		}
	}
}

// persist keeps s unless the store is full.
func (r *recoveryStore) persist(s PersistedSession) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sessions) >= r.cfg.MaxSessions {
		r.pruneLocked(time.Now())
		if len(r.sessions) >= r.cfg.MaxSessions {
			return
		}
	}
	r.sessions[s.PID] = s
}

// restore takes session pid, when it was persisted for owner, and the packets it
// missed: those after the later of the client's offset and the session's
// (re)connect offset. It returns nil when the session is unknown or expired, when a
// packet it may have missed is gone, or when it belongs to another owner; that
// session is left for its owner to recover.
func (r *recoveryStore) restore(pid, offset, owner string) *RestoredSession {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[pid]
	if !ok {
		return nil
	}
	if now.Sub(s.DisconnectedAt) > r.cfg.MaxDisconnectionDuration {
		delete(r.sessions, pid)
		return nil
	}
	if s.Owner != owner {
		return nil
	}
	delete(r.sessions, pid)
	from, ok := r.parse(s.Offset)
	if !ok {
		return nil
	}
	if seq, ok := r.parse(offset); ok && seq > from && seq <= r.seq {
		from = seq
	}
	if len(r.packets) > 0 && r.packets[0].seq > from+1 {
		return nil // missed packets were dropped
	}
	if len(r.packets) == 0 && r.seq > from {
		return nil
	}
	rs := &RestoredSession{PersistedSession: s}
	rooms := make(map[string]struct{}, len(s.Rooms))
	for _, room := range s.Rooms {
		rooms[room] = struct{}{}
	}
	for i := range r.packets {
		sp := &r.packets[i]
		if sp.seq > from && matches(sp.opts, rooms) {
			rs.Missed = append(rs.Missed, MissedPacket{Packet: sp.p, Opts: sp.opts})
		}
	}
	return rs
}

// matches reports whether a socket in rooms was selected by opts.
func matches(opts BroadcastOptions, rooms map[string]struct{}) bool {
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
