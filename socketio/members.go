package socketio

import (
	"iter"
	"slices"
	"sync/atomic"
)

// members is a set of socket ids or room names that keeps its first member inline and
// its next few in a slice: most sets of the memory adapter are small (a socket's own
// room has one member; a socket's rooms are its own, its user's and the few it joined),
// and a Go map costs about 190 bytes for one entry and more for a handful, where one
// inline member costs nothing more and a slice of four 64 bytes. Past fewMax further
// members they move to a map, which a large room needs. Guarded by the lock of the
// shard that holds it. A nil *members is the empty set for reading.
type members struct {
	one  string
	has  bool                // one is a member
	few  []string            // the other members while there are at most fewMax
	more map[string]struct{} // the other members once there were more; few is then nil
	// snap is a room's resolved sockets (MemoryAdapter.roomSockets), made by a
	// broadcast to a room of snapshotMinMembers or more under the shard's read lock and
	// dropped by any change of its members, under the write lock: a snapshot is never
	// older than the members, and holds no socket that left.
	snap atomic.Pointer[[]*Socket]
}

// fewMax is how many members besides the inline one a set keeps in its slice: small
// enough that contains and remove, which search the slice, stay a few comparisons (not
// measured against a map lookup; the memory saving is what BenchmarkIdleChatMemory shows).
const fewMax = 8

// changed drops the set's snapshot; the caller holds the shard's write lock.
func (m *members) changed() {
	if m.snap.Load() != nil {
		m.snap.Store(nil)
	}
}

// newMembers returns a set room for n members.
func newMembers(n int) *members {
	m := &members{}
	switch {
	case n > fewMax+1:
		m.more = make(map[string]struct{}, n-1)
	case n > 1:
		m.few = make([]string, 0, n-1)
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
	case m.more != nil:
		m.more[s] = struct{}{}
	case len(m.few) < fewMax:
		m.few = append(m.few, s)
	default: // the slice is full: the further members move to a map
		m.more = make(map[string]struct{}, 2*fewMax)
		for _, f := range m.few {
			m.more[f] = struct{}{}
		}
		m.more[s] = struct{}{}
		m.few = nil
	}
	m.changed()
	return true
}

// remove takes s out of the set; false when it was not there.
func (m *members) remove(s string) bool {
	switch {
	case m.has && m.one == s:
		m.one, m.has = "", false
	case m.more != nil:
		if _, ok := m.more[s]; !ok {
			return false
		}
		delete(m.more, s)
		if len(m.more) == 0 {
			m.more = nil // a room that emptied after a burst gives its buckets back
		}
	default:
		i := slices.Index(m.few, s)
		if i < 0 {
			return false
		}
		last := len(m.few) - 1
		m.few[i] = m.few[last]
		m.few[last] = ""
		m.few = m.few[:last]
		if last == 0 {
			m.few = nil
		}
	}
	m.changed()
	return true
}

func (m *members) contains(s string) bool {
	if m.has && m.one == s {
		return true
	}
	if m.more != nil {
		_, ok := m.more[s]
		return ok
	}
	return slices.Contains(m.few, s)
}

func (m *members) len() int {
	if m == nil {
		return 0
	}
	n := len(m.more) + len(m.few)
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
		for _, s := range m.few {
			if !yield(s) {
				return
			}
		}
		for s := range m.more {
			if !yield(s) {
				return
			}
		}
	}
}
