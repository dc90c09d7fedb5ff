package socketio

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBadInputClosesSession covers the Socket.IO rows of SECURITY_CASES.md: each
// input closes the Engine.IO session and runs no handler.
func TestBadInputClosesSession(t *testing.T) {
	deep := strings.Repeat("[", 33) + `"x"` + strings.Repeat("]", 33)
	cases := []struct {
		name    string
		connect bool     // connect to "/" first
		frames  []string // Engine.IO packets; "b:" prefix = binary frame
	}{
		{"truncated event", true, []string{`442["some","data"`}},
		{"connect string payload", false, []string{`40/admin,"invalid"`}},
		{"connect array payload", false, []string{`40[]`}},
		{"disconnect with payload", true, []string{`41/admin,{}`}},
		{"event object payload", true, []string{`42/admin,{}`}},
		{"event name object", true, []string{`42[{"toString":"foo"}]`}},
		{"event name bool", true, []string{`42[true,"foo"]`}},
		{"event name null", true, []string{`42[null,"bar"]`}},
		{"reserved connect", true, []string{`42["connect"]`}},
		{"reserved disconnect", true, []string{`42["disconnect","123"]`}},
		{"escaped reserved", true, []string{`42["disc\u006fnnect"]`}},
		{"unknown type 9", true, []string{`4999`}},
		{"event not array", true, []string{`42{}`}},
		{"ack id not number", true, []string{`42abc["message-with-ack",1]`}},
		{"unknown type first", false, []string{`4abc`}},
		{"unknown type after connect", true, []string{`4abc`}},
		{"event before connect", false, []string{`42["message"]`}},
		{"event other namespace", true, []string{`42/admin,["message"]`}},
		{"second connect", true, []string{`40`}},
		{"binary header 5", true, []string{`45`}},
		{"binary header 51", true, []string{`451`}},
		{"binary header 5a-", true, []string{`45a-["x"]`}},
		{"binary header 51.23-", true, []string{`451.23-["x",{"_placeholder":true,"num":0}]`}},
		{"too many attachments", true, []string{`411-["x"]`}},
		{"placeholder out of range", true, []string{`451-["x",{"_placeholder":true,"num":1}]`}},
		{"placeholder non-numeric", true, []string{`451-["x",{"_placeholder":true,"num":"0"}]`}},
		{"placeholder splice", true, []string{`451-["x",{"_placeholder":true,"num":"splice"}]`}},
		{"placeholder without binary", true, []string{`42["x",{"_placeholder":true,"num":0}]`}},
		{"too few frames", true, []string{`452-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, "b:\x01", `42["x"]`}},
		{"extra frame", true, []string{`451-["x",{"_placeholder":true,"num":0}]`, "b:\x01", "b:\x02"}},
		{"unexpected frame", true, []string{"b:\x01"}},
		{"too deep", true, []string{`42["x",` + deep + `]`}},
		{"many brackets", true, []string{`42["x",` + strings.Repeat("[", 999_000)}},
		{"ack id above 2^53", true, []string{`429007199254740993["x"]`}},
		{"ack id non-integer", true, []string{`431.5[]`}},
		{"connect error from client", true, []string{`44{"message":"x"}`}},
		{"trailing garbage", true, []string{`42["x"]]`}},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				var ran atomic.Int32
				srv, base := newTestServer(t, Config{}, func(s *Server) {
					s.OnConnection(func(so *Socket) {
						so.OnAny(func(*Socket, string, Args, Ack) { ran.Add(1) })
					})
					adm := s.Of("/admin")
					adm.Use(func(*Socket) error { ran.Add(1); return nil })
				})
				c := dial(t, base, tr)
				if tc.connect {
					c.connect("/", "")
				}
				for _, f := range tc.frames {
					if b, ok := strings.CutPrefix(f, "b:"); ok {
						c.sendBinary([]byte(b))
					} else {
						c.sendRaw(f)
					}
				}
				c.expectClosed()
				want := int32(0)
				if tc.name == "extra frame" {
					want = 1 // the complete event before the extra frame is legitimate
				}
				if n := ran.Load(); n != want {
					t.Fatalf("%d handlers ran", n)
				}
				if srv.Stats().ProtocolErrors == 0 && tc.name != "many brackets" {
					t.Fatalf("no protocol error counted: %+v", srv.Stats())
				}
			})
		}
	}
}

func TestMissingAttachmentsWaitIsBounded(t *testing.T) {
	_, base := newTestServer(t, Config{AttachmentTimeout: 100 * time.Millisecond}, nil)
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send(`52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.sendBinary([]byte{1})
	c.expectClosed()
}

func TestNamespaceCap(t *testing.T) {
	_, base := newTestServer(t, Config{MaxNamespacesPerClient: 1}, func(s *Server) { s.Of("/b") })
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send("0/b,")
	c.expect(`4/b,{"message":"too many namespaces"}`)
}

func TestHandlerPanicIsRecovered(t *testing.T) {
	_, base := newTestServer(t, Config{}, func(s *Server) {
		s.OnConnection(func(so *Socket) {
			so.On("boom", func(*Socket, Args, Ack) { panic("boom") })
			so.On("ok", func(_ *Socket, _ Args, ack Ack) { _ = ack() })
		})
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.send(`2["boom"]`)
	c.send(`21["ok"]`)
	c.expect(`31[]`)
}
