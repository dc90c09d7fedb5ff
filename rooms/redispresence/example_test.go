package redispresence_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"rtserver/rooms"
	"rtserver/rooms/redispresence"
)

// Each node builds its Presence on the shared Redis; the first arrival and
// the last departure of a user over all nodes are the ones to announce.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	p, err := redispresence.New(ctx, redispresence.Config{
		Client: rdb,
		OnGone: func(room string, m rooms.Member) {
			fmt.Printf("%s left %s\n", m.Name, room) // its node stopped
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close() // departs this node's users, announcing the last ones

	if first, err := p.Arrive(ctx, "lobby", rooms.Member{ID: "u1", Name: "Alice"}); err == nil && first {
		fmt.Println("Alice joined lobby")
	}
}
