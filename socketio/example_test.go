package socketio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/socketio"
)

// exampleServer serves srv on a local listener and returns the WebSocket URL of a
// new Engine.IO session and a function that stops everything.
func exampleServer(srv *socketio.Server) (string, func()) {
	ts := httptest.NewServer(srv)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	}
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket", stop
}

// exampleClient is a raw Socket.IO client that prints the packets it receives
// (pings are answered and not shown; socket ids are elided).
type exampleClient struct{ c *websocket.Conn }

func dialExample(url string) *exampleClient {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		panic(err)
	}
	_, _, _ = c.ReadMessage() // the Engine.IO open packet
	return &exampleClient{c}
}

func (e *exampleClient) send(pkt string) { _ = e.c.WriteMessage(websocket.TextMessage, []byte(pkt)) }

// print reads and prints the next Engine.IO message packet.
func (e *exampleClient) print() {
	_ = e.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, msg, err := e.c.ReadMessage()
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		s := string(msg)
		if s == "2" {
			e.send("3")
			continue
		}
		if i := strings.Index(s, `{"sid":"`); i >= 0 {
			s = s[:i] + `{"sid":"…"}`
		}
		fmt.Println(s)
		return
	}
}

func (e *exampleClient) close() { _ = e.c.Close() }

// An echo server: every "echo" event is sent back, and acknowledged when the
// client asked for an acknowledgement.
func Example_echo() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("echo", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			if ack != nil {
				_ = ack(args) // Args are sent back byte for byte
				return
			}
			_ = s.Emit("echo", args)
		})
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.send(`42["echo",{"b":1,"a":[true,1.50]},"x"]`)
	c.print()
	c.send(`421["echo","with ack"]`)
	c.print()
	// Output:
	// 40{"sid":"…"}
	// 42["echo",{"b":1,"a":[true,1.50]},"x"]
	// 431["with ack"]
}

// A namespace middleware refusing a connection with data the client's
// connect_error handler receives as err.data.
func Example_middleware() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.Of("/chat").Use(func(s *socketio.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		if raw := s.Handshake().Auth; raw != nil {
			_ = json.Unmarshal(raw, &auth)
		}
		if auth.Token != "secret" {
			return &socketio.ConnectError{
				Message: "unauthorized",
				Data:    map[string]string{"code": "invalid_token"},
			}
		}
		return nil
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40/chat,{"token":"wrong"}`)
	c.print()
	c.send(`40/chat,{"token":"secret"}`)
	c.print()
	// Output:
	// 44/chat,{"message":"unauthorized","data":{"code":"invalid_token"}}
	// 40/chat,{"sid":"…"}
}

// A room broadcast: "say" is sent to everyone else in the room "lobby".
func Example_rooms() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("join", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			room, _ := args.String(0)
			err := s.Join(room)
			if ack != nil {
				_ = ack(err == nil)
			}
		})
		s.On("say", func(s *socketio.Socket, args socketio.Args, _ socketio.Ack) {
			_ = s.To("lobby").Emit("said", args) // not sent back to s
		})
	})
	url, stop := exampleServer(srv)
	defer stop()

	alice, bob := dialExample(url), dialExample(url)
	defer alice.close()
	defer bob.close()
	for _, c := range []*exampleClient{alice, bob} {
		c.send(`40`)
		c.print()
		c.send(`421["join","lobby"]`)
		c.print()
	}
	alice.send(`42["say","hello"]`)
	bob.print()
	// Output:
	// 40{"sid":"…"}
	// 431[true]
	// 40{"sid":"…"}
	// 431[true]
	// 42["said","hello"]
}

// Binary nested in objects both ways: socket.io-client's {name, file: Buffer} decodes
// into a struct with a []byte field, and a struct with []byte fields is sent with
// binary attachments (here printed as the packet and the number of attachments).
func ExampleArgs_Decode() {
	type upload struct {
		Name string `json:"name"`
		File []byte `json:"file"`
	}
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		s.On("upload", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			var u upload
			if err := args.Decode(0, &u); err != nil {
				return
			}
			fmt.Printf("%s: %v\n", u.Name, u.File)
			_ = ack(upload{Name: u.Name + ".bak", File: u.File})
		})
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.send(`451-1["upload",{"name":"a.bin","file":{"_placeholder":true,"num":0}}]`)
	_ = c.c.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	c.print()
	_, att, _ := c.c.ReadMessage()
	fmt.Println(att)
	// Output:
	// 40{"sid":"…"}
	// a.bin: [1 2 3]
	// 461-1[{"name":"a.bin.bak","file":{"_placeholder":true,"num":0}}]
	// [1 2 3]
}

// Disconnect reasons are typed: a handler tells a client that left on purpose
// from a lost connection.
func ExampleSocket_OnDisconnect() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	reasons := make(chan socketio.DisconnectReason, 1)
	srv.OnConnection(func(s *socketio.Socket) {
		s.OnDisconnect(func(reason socketio.DisconnectReason) { reasons <- reason })
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.send(`41`) // the client calls socket.disconnect()
	switch r := <-reasons; r {
	case socketio.ReasonClientNamespaceDisconnect:
		fmt.Println("left:", r)
	case socketio.ReasonTransportClose, socketio.ReasonPingTimeout:
		fmt.Println("lost:", r)
	}
	// Output:
	// 40{"sid":"…"}
	// left: client namespace disconnect
}

// Several listeners per event run in registration order; Once runs for the next
// event only, and the function On returns removes its listener.
func ExampleSocket_On() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		s.Once("hello", func(s *socketio.Socket, _ socketio.Args, _ socketio.Ack) {
			_ = s.Emit("welcome") // the first hello only
		})
		var stop func()
		answered := 0 // handlers of one connection run one at a time
		stop = s.On("hello", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			_ = ack(args)
			if answered++; answered == 2 {
				stop() // answer twice, then no more
			}
		})
		s.OnAnyOutgoing(func(_ *socketio.Socket, event string, _ socketio.Args) {
			fmt.Println("sending", event)
		})
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.send(`421["hello",1]`)
	c.print()
	c.print()
	c.send(`422["hello",2]`)
	c.send(`423["hello",3]`) // no listener left: no ack
	c.send(`424["hello",4]`)
	c.print()
	// Output:
	// 40{"sid":"…"}
	// sending welcome
	// 42["welcome"]
	// 431[1]
	// 432[2]
}

// Acknowledgements with a timeout: the server asks, the client answers the first
// question and ignores the second, which fails with ErrAckTimeout.
func ExampleSocket_Timeout() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	srv.OnConnection(func(s *socketio.Socket) {
		// Not on the connection's read loop: the answer arrives there.
		go func() {
			defer close(done)
			ctx := context.Background()
			answer, err := s.Timeout(time.Second).EmitWithAck(ctx, "question", "2+2?")
			fmt.Printf("answer %s, err %v\n", answer.Raw(0), err)
			_, err = s.Timeout(50*time.Millisecond).EmitWithAck(ctx, "question", "ignored")
			fmt.Println(errors.Is(err, socketio.ErrAckTimeout))
		}()
	})
	url, stop := exampleServer(srv)
	defer stop()

	c := dialExample(url)
	defer c.close()
	c.send(`40`)
	c.print()
	c.print()
	c.send(`431[4]`)
	c.print()
	<-done
	// Output:
	// 40{"sid":"…"}
	// 421["question","2+2?"]
	// answer 4, err <nil>
	// 422["question","ignored"]
	// true
}
