package socketio

import "testing"

// Disconnect(true) sends DISCONNECT for every namespace in connection order (as
// Node does), then closes the transport: on polling the `41…` packets come
// before the Engine.IO close packet.
func TestDisconnectAllConnectionOrder(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			sock := make(chan *Socket, 1)
			_, base := newTestServer(t, Config{}, func(s *Server) {
				s.Of("/c")
				s.Of("/b").OnConnection(func(so *Socket) { sock <- so })
			})
			c := dial(t, base, tr)
			c.connect("/c", "")
			c.connect("/", "")
			c.connect("/b", "")
			(<-sock).Disconnect(true)
			c.expect("1/c,")
			c.expect("1")
			c.expect("1/b,")
			c.expectClosed()
		})
	}
}
