package rooms_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"rtserver/rooms"
)

func TestPresenceCountsUsersNotSockets(t *testing.T) {
	t.Parallel()
	p := rooms.NewPresence()
	if !p.Join("lobby", "alice", "s1") {
		t.Fatal("first socket of alice: want first")
	}
	if p.Join("lobby", "alice", "s2") {
		t.Fatal("second socket of alice: want not first")
	}
	if p.Join("lobby", "alice", "s1") {
		t.Fatal("repeated join: want not first")
	}
	if !p.Join("lobby", "bob", "s3") {
		t.Fatal("bob: want first")
	}
	if got := p.Members("lobby"); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("Members = %v", got)
	}
	if p.Count("lobby") != 2 {
		t.Fatalf("Count = %d", p.Count("lobby"))
	}
	if p.Leave("lobby", "alice", "s1") {
		t.Fatal("alice still has s2: want not last")
	}
	if p.Leave("lobby", "alice", "s1") {
		t.Fatal("repeated leave: want false")
	}
	if p.Leave("lobby", "bob", "s2") {
		t.Fatal("leave naming the wrong user: want false")
	}
	if !p.Leave("lobby", "alice", "s2") {
		t.Fatal("alice's last socket: want last")
	}
	if got := p.Members("lobby"); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("Members = %v", got)
	}
	if p.Leave("nowhere", "bob", "s3") {
		t.Fatal("leave of a room not joined: want false")
	}
}

func TestPresenceSocketBelongsToOneUser(t *testing.T) {
	t.Parallel()
	p := rooms.NewPresence()
	p.Join("lobby", "alice", "s1")
	if p.Join("other", "mallory", "s1") {
		t.Fatal("join of alice's socket as mallory: want ignored")
	}
	if p.Members("other") != nil {
		t.Fatalf("other: %v", p.Members("other"))
	}
}

func TestPresenceLeaveAll(t *testing.T) {
	t.Parallel()
	p := rooms.NewPresence()
	p.Join("b", "alice", "s1")
	p.Join("a", "alice", "s1")
	p.Join("c", "alice", "s1")
	p.Join("c", "alice", "s2") // alice stays in c through s2
	p.Join("a", "bob", "s3")
	if got := p.Rooms("s1"); !slices.Equal(got, []string{"a", "b", "c"}) || p.RoomCount("s1") != 3 {
		t.Fatalf("Rooms(s1) = %v", got)
	}
	got := p.LeaveAll("s1")
	want := []rooms.RoomUser{{Room: "a", UserID: "alice"}, {Room: "b", UserID: "alice"}}
	if !slices.Equal(got, want) {
		t.Fatalf("LeaveAll = %v; want %v", got, want)
	}
	if got := p.LeaveAll("s1"); got != nil {
		t.Fatalf("second LeaveAll = %v", got)
	}
	if got := p.Members("a"); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("Members(a) = %v", got)
	}
	if got := p.Members("b"); got != nil {
		t.Fatalf("Members(b) = %v", got)
	}
	if got := p.Members("c"); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("Members(c) = %v", got)
	}
	if p.Rooms("s1") != nil || p.RoomCount("s1") != 0 {
		t.Fatal("s1 still indexed")
	}
}

// TestPresenceConcurrent runs under -race: many sockets of few users join
// and leave concurrently; at the end every room is empty and the
// first/last reports balance per room and user.
func TestPresenceConcurrent(t *testing.T) {
	t.Parallel()
	p := rooms.NewPresence()
	const users, socketsPerUser, nRooms = 5, 8, 6
	var (
		mu     sync.Mutex
		firsts = map[rooms.RoomUser]int{}
		lasts  = map[rooms.RoomUser]int{}
		wg     sync.WaitGroup
	)
	for u := range users {
		for s := range socketsPerUser {
			wg.Go(func() {
				user := fmt.Sprintf("u%d", u)
				sock := fmt.Sprintf("%s-s%d", user, s)
				for i := range 200 {
					room := fmt.Sprintf("r%d", i%nRooms)
					if p.Join(room, user, sock) {
						mu.Lock()
						firsts[rooms.RoomUser{Room: room, UserID: user}]++
						mu.Unlock()
					}
					_ = p.Members(room)
					_ = p.Count(room)
					if i%3 == 0 && p.Leave(room, user, sock) {
						mu.Lock()
						lasts[rooms.RoomUser{Room: room, UserID: user}]++
						mu.Unlock()
					}
				}
				for _, ru := range p.LeaveAll(sock) {
					mu.Lock()
					lasts[ru]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for r := range nRooms {
		if m := p.Members(fmt.Sprintf("r%d", r)); m != nil {
			t.Errorf("room r%d not empty: %v", r, m)
		}
	}
	for k, n := range firsts {
		if lasts[k] != n {
			t.Errorf("%v: %d arrivals, %d departures", k, n, lasts[k])
		}
	}
}
