package redisadapter_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
)

// Several nodes behind a load balancer share broadcasts, rooms and server-side
// events through Redis; Node.js servers with @socket.io/redis-adapter can join the
// same cluster. It needs a Redis, so it only compiles here.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	cluster, err := redisadapter.New(ctx, redisadapter.Config{Client: rdb})
	if err != nil {
		log.Fatal(err)
	}
	defer cluster.Close()

	srv, err := socketio.NewServer(socketio.Config{NewAdapter: cluster.NewAdapter})
	if err != nil {
		log.Fatal(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Join("lobby")
		_ = srv.To("lobby").Emit("joined", s.ID()) // reaches the lobby on every node
	})
	// Another node asks every node how many sockets it has.
	srv.Of("/").OnServerSideEmit(func(event string, _ socketio.Args, ack socketio.Ack) {
		if event == "count" && ack != nil {
			_ = ack(srv.Of("/").Len())
		}
	})
	// And asks them: one answer per other node, or ErrAckTimeout with those that came.
	counts, err := srv.Of("/").ServerSideEmitWithAck(ctx, "count")
	log.Println(len(counts), err)

	hs := &http.Server{Addr: "127.0.0.1:3000", Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.ListenAndServe() }()

	shutdown, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown) // closes the namespace adapters
	_ = hs.Shutdown(shutdown)
}
