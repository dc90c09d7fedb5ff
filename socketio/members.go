package socketio

import (
	"iter"
	"sync/atomic"
)

// members is a set of socket ids or room names that keeps its first member inline:
// most sets of the memory adapter have one (a socket's own room, and the rooms of a
// socket that joined no other), and a Go map of one entry costs about 190 bytes where
// this costs 48. Guarded by the lock of the shard that holds it. A nil *members is the
// empty set for reading.
type members struct {
	one  string
	has  bool                // one is a member
	more map[string]struct{} // the other members, nil while there are none
	// snap is a room's resolved sockets (MemoryAdapter.roomSockets), made by a
	// broadcast to a room of snapshotMinMembers or more under the shard's read lock and
	// dropped by any change of its members, under the write lock: a snapshot is never
	// older than the members, and holds no socket that left.
	snap atomic.Pointer[[]*Socket]
}

// changed drops the set's snapshot; the caller holds the shard's write lock.
func (m *members) changed() {
	if m.snap.Load() != nil {
		m.snap.Store(nil)
	}
}

// newMembers returns a set room for n members.
func newMembers(n int) *members {
	m := &members{}
	if n > 1 {
		m.more = make(map[string]struct{}, n-1)
	}
	return m
}

// add puts s in the set; false when it was there.
func (m *members) add(s string) bool {
	switch {
	case m.contains(s):
		return false
	case !m.has:
		m.one, m.has = s, true
	default:
		if m.more == nil {
			m.more = make(map[string]struct{}, 1)
		}
		m.more[s] = struct{}{}
	}
	m.changed()
	return true
}

// remove takes s out of the set; false when it was not there.
func (m *members) remove(s string) bool {
	if m.has && m.one == s {
		m.one, m.has = "", false
		m.changed()
		return true
	}
	if _, ok := m.more[s]; !ok {
		return false
	}
	delete(m.more, s)
	if len(m.more) == 0 {
		m.more = nil // a room that emptied after a burst gives its buckets back
	}
	m.changed()
	return true
}

func (m *members) contains(s string) bool {
	if m.has && m.one == s {
		return true
	}
	_, ok := m.more[s]
	return ok
}

func (m *members) len() int {
	if m == nil {
		return 0
	}
	n := len(m.more)
	if m.has {
		n++
	}
	return n
}

// all yields every member once, in no particular order.
func (m *members) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		if m == nil {
			return
		}
		if m.has && !yield(m.one) {
			return
		}
		for s := range m.more {
			if !yield(s) {
				return
			}
		}
	}
}
