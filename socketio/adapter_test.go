package socketio

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestMemoryAdapterMembership(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Engine().Shutdown(t.Context())
	a := NewMemoryAdapter(namespaceHost{srv.Of("/x")})
	a.AddAll("s1", []string{"s1", "r1", "r2"})
	a.AddAll("s2", []string{"s2", "r1"})
	a.AddAll("s3", []string{"s3", "r2"})
	sel := func(o BroadcastOptions) []string {
		ids := a.selectIDs(o)
		slices.Sort(ids)
		return ids
	}
	cases := []struct {
		opts BroadcastOptions
		want []string
	}{
		{BroadcastOptions{}, []string{"s1", "s2", "s3"}},
		{BroadcastOptions{Rooms: []string{"r1"}}, []string{"s1", "s2"}},
		{BroadcastOptions{Rooms: []string{"r1", "r2"}}, []string{"s1", "s2", "s3"}},
		{BroadcastOptions{Rooms: []string{"r1", "r2"}, Except: []string{"s1"}}, []string{"s2", "s3"}},
		{BroadcastOptions{Except: []string{"r2"}}, []string{"s2"}},
		{BroadcastOptions{Rooms: []string{"nope"}}, nil},
	}
	for _, tc := range cases {
		if got := sel(tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.opts, got, tc.want)
		}
	}
	a.Del("s1", "r1")
	if got := sel(BroadcastOptions{Rooms: []string{"r1"}}); !slices.Equal(got, []string{"s2"}) {
		t.Fatalf("after Del: %v", got)
	}
	a.DelAll("s2")
	a.DelAll("s1")
	a.DelAll("s3")
	if n := a.roomCount(); n != 0 {
		t.Fatalf("%d rooms left", n)
	}
	if r := a.SocketRooms("s1"); r != nil {
		t.Fatalf("rooms of removed socket: %v", r)
	}
	if n, _ := a.ServerCount(context.Background()); n != 1 {
		t.Fatal("ServerCount")
	}
}

func TestMemoryAdapterConcurrent(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Engine().Shutdown(t.Context())
	a := NewMemoryAdapter(namespaceHost{srv.Of("/y")})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				id := fmt.Sprintf("s%d-%d", g, i)
				a.AddAll(id, []string{id, "all", fmt.Sprintf("r%d", i%7)})
				_ = a.selectIDs(BroadcastOptions{Rooms: []string{"all"}, Except: []string{"r3"}})
				if i%2 == 0 {
					a.DelAll(id)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(a.selectIDs(BroadcastOptions{Rooms: []string{"all"}})); n != 800 {
		t.Fatalf("members %d", n)
	}
}
