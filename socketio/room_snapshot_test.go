package socketio

import (
	"fmt"
	"slices"
	"testing"
)

// TestRoomSnapshot: a broadcast to a large room resolves its sockets once and reuses
// them while the room is unchanged; a join, a leave and a disconnect each drop the
// snapshot, so the next broadcast sees the change, and the except rooms (the sender's own, another room) are
// left out as with a small room.
func TestRoomSnapshot(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Engine().Shutdown(t.Context())
	n := srv.Of("/x")
	a := NewMemoryAdapter(namespaceHost{n})
	socks := map[string]*Socket{}
	connect := func(id string, rooms ...string) {
		s := &Socket{id: id, nsp: n}
		if !n.add(s) {
			t.Fatalf("add %s", id)
		}
		socks[id] = s
		a.AddAll(id, append([]string{id}, rooms...))
	}
	const size = snapshotMinMembers + 8
	for i := range size {
		rooms := []string{"big"}
		if i < 3 {
			rooms = append(rooms, "team")
		}
		connect(fmt.Sprintf("s%02d", i), rooms...)
	}
	ids := func(opts BroadcastOptions) []string {
		var out []string
		for _, s := range a.recipients(opts) {
			out = append(out, s.id)
		}
		slices.Sort(out)
		return out
	}
	all := func(skip ...string) []string {
		var out []string
		for id := range socks {
			if !slices.Contains(skip, id) {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out
	}
	big := BroadcastOptions{Rooms: []string{"big"}}
	if got := ids(big); !slices.Equal(got, all()) {
		t.Fatalf("first broadcast: %v", got)
	}
	first, _ := a.roomSockets("big")
	again, _ := a.roomSockets("big")
	if &first[0] != &again[0] {
		t.Error("the snapshot was made again for an unchanged room")
	}

	connect("late", "big")
	if got := ids(big); !slices.Contains(got, "late") || len(got) != size+1 {
		t.Errorf("after a join: %d sockets, late in them: %v", len(got), slices.Contains(got, "late"))
	}
	a.Del("s05", "big")
	// The snapshot goes with the change, not at the next broadcast: a room nobody
	// broadcasts to again must not keep the sockets that left it.
	if a.rooms[shardOf("big")].m["big"].snap.Load() != nil {
		t.Error("a leave kept the room's snapshot")
	}
	if got := ids(big); slices.Contains(got, "s05") {
		t.Error("after a leave: s05 still gets the broadcast")
	}
	a.DelAll("s06")
	n.remove(socks["s06"])
	delete(socks, "s06")
	if got := ids(big); slices.Contains(got, "s06") {
		t.Error("after a disconnect: s06 still gets the broadcast")
	}

	exceptSender := BroadcastOptions{Rooms: []string{"big"}, Except: []string{"s01"}}
	if got := ids(exceptSender); !slices.Equal(got, all("s01", "s05")) {
		t.Errorf("except the sender: %v", got)
	}
	exceptTeam := BroadcastOptions{Rooms: []string{"big"}, Except: []string{"team"}}
	if got := ids(exceptTeam); !slices.Equal(got, all("s00", "s01", "s02", "s05")) {
		t.Errorf("except a room: %v", got)
	}
	// A room named like a socket but joined by another: not the sender's own room.
	a.AddAll("s10", []string{"s11"})
	exceptShared := BroadcastOptions{Rooms: []string{"big"}, Except: []string{"s11"}}
	if got := ids(exceptShared); !slices.Equal(got, all("s05", "s10", "s11")) {
		t.Errorf("except a shared room: %v", got)
	}
}
