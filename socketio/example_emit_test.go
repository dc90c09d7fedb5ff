package socketio_test

import (
	"fmt"

	"rtserver/socketio"
)

// OnAny sees every event the socket receives, before and besides its own listener
// (here there is none for "move"): a log or a metric for every event.
func ExampleSocket_OnAny() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	seen := make(chan string, 2)
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnAny(func(_ *socketio.Socket, event string, args socketio.Args, _ socketio.Ack) {
			seen <- fmt.Sprintf("%s %s", event, args.Raw(0))
		})
		s.On("hello", func(s *socketio.Socket, _ socketio.Args, ack socketio.Ack) { _ = ack("hi") })
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.send(`42["move",{"x":1}]`)
	c.send(`421["hello","there"]`)
	c.print()
	fmt.Println(<-seen)
	fmt.Println(<-seen)
	// Output:
	// 40{"sid":"…"}
	// 431["hi"]
	// move {"x":1}
	// hello "there"
}

// A volatile emit is sent only to a client that keeps up: one whose queue still
// holds unsent packets misses it instead of growing the queue (positions, typing).
func ExampleSocket_Volatile() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Volatile().Emit("position", map[string]int{"x": 3, "y": 4})
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.print()
	// Output:
	// 40{"sid":"…"}
	// 42["position",{"x":3,"y":4}]
}

// Compress(false) sends a broadcast without permessage-deflate even when the client
// and Config.Engine.PerMessageDeflate agreed on it: data that is already compressed
// (an image, a zip) only costs CPU to deflate again. Without deflate it changes nothing.
func ExampleOperator_Compress() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	joined := make(chan struct{})
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Join("gallery")
		close(joined)
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	<-joined
	_ = srv.To("gallery").Compress(false).Emit("photo", "base64…")
	c.print()
	// Output:
	// 40{"sid":"…"}
	// 42["photo","base64…"]
}
