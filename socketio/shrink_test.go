package socketio

import (
	"fmt"
	"slices"
	"testing"
)

// TestMapsRebuiltAfterBurst: once a burst of sockets has left, the adapter's room and
// socket maps and Namespace.sockets are rebuilt (Go maps never shrink), and the sockets
// left keep their rooms and their place.
func TestMapsRebuiltAfterBurst(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Engine().Shutdown(t.Context())
	n := srv.Of("/burst")
	a := NewMemoryAdapter(namespaceHost{n})
	const total, kept = 4000, 100
	socks := make([]*Socket, total)
	for i := range socks {
		id := fmt.Sprintf("s%d", i)
		socks[i] = &Socket{id: id, nsp: n}
		if !n.add(socks[i]) {
			t.Fatalf("add %s refused", id)
		}
		a.AddAll(id, []string{id, "all"})
	}
	rebuilds := func(shards *[adapterShards]setShard) int {
		r := 0
		for i := range shards {
			shards[i].mu.RLock()
			r += shards[i].peak.Rebuilds()
			shards[i].mu.RUnlock()
		}
		return r
	}
	if rebuilds(&a.sids)+rebuilds(&a.rooms) != 0 || n.socketsPeak.Rebuilds() != 0 {
		t.Fatal("maps rebuilt while growing")
	}
	for _, s := range socks[kept:] {
		a.DelAll(s.id)
		n.remove(s)
	}
	if r := rebuilds(&a.sids); r < adapterShards/2 {
		t.Errorf("socket → rooms shards rebuilt %d times, want most of the %d shards", r, adapterShards)
	}
	if r := rebuilds(&a.rooms); r < adapterShards/2 {
		t.Errorf("room → sockets shards rebuilt %d times, want most of the %d shards", r, adapterShards)
	}
	if r := n.socketsPeak.Rebuilds(); r != 1 {
		t.Errorf("Namespace.sockets rebuilt %d times, want 1", r)
	}
	if got := n.Len(); got != kept {
		t.Errorf("namespace has %d sockets, want %d", got, kept)
	}
	for _, s := range socks[:kept] {
		rooms := a.SocketRooms(s.id)
		slices.Sort(rooms)
		if want := []string{"all", s.id}; !slices.Equal(rooms, want) {
			t.Fatalf("%s rooms %v, want %v", s.id, rooms, want)
		}
		if got := n.lookup([]string{s.id}); len(got) != 1 || got[0] != s {
			t.Fatalf("%s not found in the namespace after the rebuild", s.id)
		}
	}
	if got := len(a.selectIDs(BroadcastOptions{Rooms: []string{"all"}})); got != kept {
		t.Errorf("room all has %d members, want %d", got, kept)
	}
	if got := a.roomCount(); got != kept+1 {
		t.Errorf("%d rooms, want %d", got, kept+1)
	}
}
