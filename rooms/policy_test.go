package rooms_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"rtserver/rooms"
)

func TestCanJoin(t *testing.T) {
	t.Parallel()
	alice := rooms.Principal{ID: "alice", Teams: []string{"red"}}
	carol := rooms.Principal{ID: "carol", Teams: []string{"blue"}}
	admin := rooms.Principal{ID: "admin", Roles: []string{"admin"}}
	nobody := rooms.Principal{}
	long := strings.Repeat("a", 64)

	tests := []struct {
		name string
		p    rooms.Principal
		room string
		want error
	}{
		{"public", alice, "lobby", nil},
		{"public digits dash underscore", carol, "0room_a-b", nil},
		{"public 64 chars", alice, long, nil},
		{"public 65 chars", alice, long + "a", rooms.ErrForbidden},
		{"uppercase", alice, "Lobby", rooms.ErrForbidden},
		{"leading dash", alice, "-lobby", rooms.ErrForbidden},
		{"space", alice, "lob by", rooms.ErrForbidden},
		{"unicode", alice, "lobbé", rooms.ErrForbidden},
		{"unknown prefix", alice, "foo:bar", rooms.ErrForbidden},
		{"proto", alice, "__proto__", rooms.ErrForbidden},
		{"empty", alice, "", rooms.ErrBadRoom},
		{"huge", alice, strings.Repeat("x", 10000), rooms.ErrBadRoom},
		{"not signed in", nobody, "lobby", rooms.ErrForbidden},
		{"bad principal id", rooms.Principal{ID: "a:b"}, "lobby", rooms.ErrForbidden},

		{"own team", alice, "team:red", nil},
		{"other team", carol, "team:red", rooms.ErrForbidden},
		{"admin not in team", admin, "team:red", rooms.ErrForbidden},
		{"team empty", alice, "team:", rooms.ErrBadRoom},
		{"team bad name", alice, "team:re d", rooms.ErrBadRoom},
		{"team nested colon", alice, "team:red:x", rooms.ErrBadRoom},

		{"dm as first", alice, "dm:alice:bob", nil},
		{"dm as second", carol, "dm:alice:carol", nil},
		{"dm of others", carol, "dm:alice:bob", rooms.ErrForbidden},
		{"dm admin of others", admin, "dm:alice:bob", rooms.ErrForbidden},
		{"dm unsorted", alice, "dm:bob:alice", rooms.ErrBadRoom},
		{"dm self", alice, "dm:alice:alice", rooms.ErrBadRoom},
		{"dm one id", alice, "dm:alice", rooms.ErrBadRoom},
		{"dm three ids", alice, "dm:alice:bob:carol", rooms.ErrBadRoom},
		{"dm empty id", alice, "dm::alice", rooms.ErrBadRoom},

		{"own user room", alice, "user:alice", rooms.ErrForbidden},
		{"other user room", alice, "user:bob", rooms.ErrForbidden},
		{"admin user room", admin, "user:alice", rooms.ErrForbidden},
		{"user room bad id", alice, "user:", rooms.ErrBadRoom},

		{"admin room as admin", admin, "admin:ops", nil},
		{"admin room as user", alice, "admin:ops", rooms.ErrForbidden},
		{"admin room bad suffix", admin, "admin:", rooms.ErrBadRoom},
		{"admin room uppercase", admin, "admin:Ops", rooms.ErrBadRoom},
		{"bare admin is public", alice, "admin", nil},
	}
	pol := rooms.NewPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := pol.CanJoin(tt.p, tt.room); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("CanJoin(%+v, %q) = %v; want %v", tt.p, tt.room, err, tt.want)
			}
		})
	}
}

func TestZeroPolicy(t *testing.T) {
	t.Parallel()
	var pol rooms.Policy
	if err := pol.CanJoin(rooms.Principal{ID: "alice"}, "lobby"); err != nil {
		t.Fatal(err)
	}
}

func TestRoomNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{rooms.DMRoom("bob", "alice"), "dm:alice:bob"},
		{rooms.DMRoom("alice", "bob"), "dm:alice:bob"},
		{rooms.DMRoom("alice", "alice"), ""},
		{rooms.DMRoom("alice", "a:b"), ""},
		{rooms.DMRoom("", "bob"), ""},
		{rooms.UserRoom("alice"), "user:alice"},
		{rooms.UserRoom("a b"), ""},
		{rooms.TeamRoom("red"), "team:red"},
		{rooms.TeamRoom(""), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q; want %q", i, tt.got, tt.want)
		}
	}
	// A DM room built by DMRoom is joinable by both and only by them.
	room := rooms.DMRoom("zed", "amy")
	pol := rooms.NewPolicy()
	for id, want := range map[string]error{"amy": nil, "zed": nil, "bob": rooms.ErrForbidden} {
		if err := pol.CanJoin(rooms.Principal{ID: id}, room); err != want {
			t.Errorf("%s joins %s: %v; want %v", id, room, err, want)
		}
	}
}

func TestDMParties(t *testing.T) {
	for _, tc := range []struct {
		room string
		a, b string
		ok   bool
	}{
		{"dm:alice:bob", "alice", "bob", true},
		{"dm:bob:alice", "", "", false},
		{"dm:alice:alice", "", "", false},
		{"dm:alice", "", "", false},
		{"dm:alice:b:c", "", "", false},
		{"team:red", "", "", false},
		{"general", "", "", false},
	} {
		a, b, ok := rooms.DMParties(tc.room)
		if a != tc.a || b != tc.b || ok != tc.ok {
			t.Errorf("DMParties(%q) = %q, %q, %v; want %q, %q, %v", tc.room, a, b, ok, tc.a, tc.b, tc.ok)
		}
	}
	if a, b, ok := rooms.DMParties(rooms.DMRoom("zed", "amy")); !ok || a != "amy" || b != "zed" {
		t.Errorf("DMParties(DMRoom) = %q, %q, %v", a, b, ok)
	}
}

func ExamplePolicy_CanJoin() {
	pol := rooms.NewPolicy()
	alice := rooms.Principal{ID: "alice", Teams: []string{"red"}}
	for _, room := range []string{"lobby", "team:red", "team:blue", rooms.DMRoom("bob", "alice"), "user:alice", "dm:bob:alice"} {
		fmt.Println(room, pol.CanJoin(alice, room))
	}
	// Output:
	// lobby <nil>
	// team:red <nil>
	// team:blue rooms: forbidden
	// dm:alice:bob <nil>
	// user:alice rooms: forbidden
	// dm:bob:alice rooms: bad room name
}
