package socketio

import (
	"strings"
	"testing"

	"rtserver/socketio/engineio"
)

// TestLegacyV4Flow drives the protocol v4 of socket.io-client 2.x (Engine.IO 3):
// implicit "/" connection, namespace query, string CONNECT_ERROR, no sid object.
func TestLegacyV4Flow(t *testing.T) {
	queries := make(chan string, 4)
	_, base := newTestServer(t, Config{Engine: engineio.Config{AllowEIO3: true}}, func(s *Server) {
		echoSetup(s)
		s.Of("/custom").Use(func(so *Socket) error {
			queries <- so.Handshake().Query.Get("token")
			return nil
		})
		s.Of("/custom").OnConnection(func(so *Socket) { _ = so.Emit("id", so.ID()) })
		s.Of("/admin").Use(func(*Socket) error { return &ConnectError{Message: "unauthorized"} })
	})
	c := dialOpts(t, base, "websocket", 3, nil)
	c.expect("0")
	c.expect(`2["auth",{}]`)
	c.send(`2["message",1,"2"]`)
	c.expect(`2["message-back",1,"2"]`)
	c.send(`0/custom?token=abc`)
	c.expect("0/custom,")
	c.expect(`2/custom,["auth",{}]`)
	id := c.expectPrefix(`2/custom,["id","`)
	if !strings.HasPrefix(id, `2/custom,["id","/custom#`+c.sid) {
		t.Fatalf("legacy socket id %q", id)
	}
	if q := <-queries; q != "abc" {
		t.Fatalf("query token %q", q)
	}
	c.send("0/admin")
	c.expect(`4/admin,"unauthorized"`)
	c.send("0/random")
	c.expect(`4/random,"Invalid namespace"`)
	c.send(`51-["message",{"_placeholder":true,"num":0}]`)
	c.sendBinary([]byte{1, 2})
	c.expect(`51-["message-back",{"_placeholder":true,"num":0}]`)
	c.expectBinary([]byte{1, 2})
	c.send("1/custom,")
	c.send(`21["message-with-ack"]`)
	c.expect(`31[]`)
}
