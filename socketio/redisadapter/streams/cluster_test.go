package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 5 * time.Second

type node struct {
	srv     *socketio.Server
	url     string
	cluster *Cluster
	rdb     *redis.Client
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newNode starts a server on rs whose sockets join the rooms of the "rooms" query;
// recovery turns connection state recovery on (owner: the "user" query).
func newNode(t testing.TB, rs *redistest.Server, recovery bool) *node {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	cl, err := New(context.Background(), Config{Client: rdb, BlockTime: 200 * time.Millisecond,
		NodeTTL: 400 * time.Millisecond, SessionTTL: time.Minute,
		Logger: slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	cfg := socketio.Config{NewAdapter: cl.NewAdapter}
	if recovery {
		cfg.Recovery = &socketio.RecoveryConfig{MaxDisconnectionDuration: time.Minute,
			Owner: func(s *socketio.Socket) string { return s.Handshake().Query.Get("user") }}
	}
	srv, err := socketio.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		if r := s.Handshake().Query.Get("rooms"); r != "" && !s.Recovered() {
			_ = s.Join(strings.Split(r, ",")...)
		}
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
		_ = cl.Close()
		_ = rdb.Close()
	})
	return &node{srv: srv, url: ts.URL, cluster: cl, rdb: rdb}
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cluster2(t *testing.T, recovery bool) (*redistest.Server, *node, *node) {
	rs := redistest.Start(t)
	a, b := newNode(t, rs, recovery), newNode(t, rs, recovery)
	for _, n := range []*node{a, b} {
		waitFor(t, "two nodes", func() bool {
			c, _ := n.srv.Of("/").Adapter().ServerCount(context.Background())
			return c == 2 && n.cluster.Healthy()
		})
	}
	return rs, a, b
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestBroadcastAcrossNodes(t *testing.T) {
	for _, recovery := range []bool{false, true} {
		t.Run(fmt.Sprint("recovery=", recovery), func(t *testing.T) {
			_, a, b := cluster2(t, recovery)
			a1 := redistest.Dial(t, a.url, "/", q("rooms", "r", "user", "u"), nil)
			b1 := redistest.Dial(t, b.url, "/", q("rooms", "r", "user", "u"), nil)
			b2 := redistest.Dial(t, b.url, "/", q("rooms", "r", "user", "u"), nil)
			time.Sleep(50 * time.Millisecond)
			_ = a.srv.To("r").Except(b2.ID).Emit("msg", "hi", []byte{1, 2, 3})
			for _, c := range []*redistest.Client{a1, b1} {
				ev := c.Expect("msg", wait)
				if string(ev.Args[0]) != `"hi"` || len(ev.Binary) != 1 || string(ev.Binary[0]) != "\x01\x02\x03" {
					t.Fatalf("event %+v", ev)
				}
				if recovery && (len(ev.Args) != 3 || !strings.Contains(string(ev.Args[2]), "-")) {
					t.Fatalf("no stream offset: %s", ev.Args)
				}
			}
			b2.ExpectNone("msg", 200*time.Millisecond)
			_ = b.srv.Local().Emit("local")
			b1.Expect("local", wait)
			a1.ExpectNone("local", 100*time.Millisecond)
		})
	}
}

func TestSocketsAndRequestsAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t, false)
	b1 := redistest.Dial(t, b.url, "/", nil, func(redistest.Event) []any { return []any{"pong"} })
	a1 := redistest.Dial(t, a.url, "/", nil, func(redistest.Event) []any { return []any{"pong"} })
	time.Sleep(50 * time.Millisecond)
	_ = a.srv.In(b1.ID).SocketsJoin("x")
	waitFor(t, "join", func() bool { s := b.srv.Of("/").Socket(b1.ID); return s != nil && s.In("x") })
	socks, err := a.srv.In("x").FetchSockets(context.Background())
	if err != nil || len(socks) != 1 || socks[0].ID != b1.ID {
		t.Fatalf("fetch %v %v", socks, err)
	}
	all, err := a.srv.Of("/").FetchSockets(context.Background())
	if err != nil || len(all) != 2 {
		t.Fatalf("fetch all %d %v", len(all), err)
	}
	got := make(chan string, 1)
	b.srv.Of("/").OnServerSideEmit(func(ev string, args socketio.Args, _ socketio.Ack) { got <- ev + string(args.Raw(0)) })
	_ = a.srv.Of("/").ServerSideEmit("hello", 1)
	if s := <-got; s != "hello1" {
		t.Fatal(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := a.srv.Timeout(2*time.Second).EmitWithAck(ctx, "ping")
	if err != nil || len(res) != 2 {
		t.Fatalf("acks %v %v", res, err)
	}
	_ = a.srv.In("x").SocketsLeave("x")
	waitFor(t, "leave", func() bool { return !b.srv.Of("/").Socket(b1.ID).In("x") })
	_ = a.srv.In(b1.ID).DisconnectSockets(true)
	select {
	case <-b1.Done:
	case <-time.After(wait):
		t.Fatal("not disconnected")
	}
	_ = a1
}

// TestFetchSocketsPartial: a node that does not answer makes FetchSockets return the
// others' sockets with an error saying so.
func TestFetchSocketsPartial(t *testing.T) {
	rs, a, _ := cluster2(t, false)
	mute := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer mute.Close()
	ps := mute.Subscribe(context.Background(), "socket.io#/#") // counts as a node, never answers
	defer ps.Close()
	_, _ = ps.Receive(context.Background())
	redistest.Dial(t, a.url, "/", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	socks, err := a.srv.Of("/").FetchSockets(ctx)
	var pe *socketio.PartialError
	if !errors.As(err, &pe) || pe.Answered != 2 || pe.Expected != 3 || !errors.Is(err, ErrTimeout) || len(socks) != 1 {
		t.Fatalf("partial fetch: %d sockets, err %v", len(socks), err)
	}
}

func lastOffset(ev redistest.Event) string {
	var s string
	_ = json.Unmarshal(ev.Args[len(ev.Args)-1], &s)
	return s
}

// TestRecoveryAcrossNodes: a client lost by one node (cleanly, or because the node
// died) gets its id, rooms and missed packets back from the other, in order, once,
// and only with the same owner.
func TestRecoveryAcrossNodes(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprint("crash=", crash), func(t *testing.T) {
			_, a, b := cluster2(t, true)
			c := redistest.Dial(t, a.url, "/", q("rooms", "r", "user", "alice"), nil)
			time.Sleep(300 * time.Millisecond) // the live session is written
			_ = b.srv.To("r").Emit("m", 0)
			off := lastOffset(c.Expect("m", wait))
			if crash {
				a.cluster.cancel() // stops the heartbeat: the node is dead for the others
				time.Sleep(600 * time.Millisecond)
			} else {
				c.Close()
				waitFor(t, "disconnect", func() bool { return a.srv.Of("/").Socket(c.ID) == nil })
			}
			for i := 1; i <= 3; i++ {
				_ = b.srv.To("r").Emit("m", i)
			}
			_ = b.srv.To("other").Emit("m", 99)
			time.Sleep(200 * time.Millisecond)
			auth := map[string]string{"pid": c.PID, "offset": off}
			// Someone else with the pid gets a fresh socket; the session stays.
			mallory := redistest.DialAuth(t, b.url, "/", q("user", "mallory"), auth, nil)
			if mallory.ID == c.ID {
				t.Fatal("session handed to another owner")
			}
			c2 := redistest.DialAuth(t, b.url, "/", q("user", "alice"), auth, nil)
			if c2.ID != c.ID {
				t.Fatalf("id %s, want %s", c2.ID, c.ID)
			}
			for i := 1; i <= 3; i++ {
				if ev := c2.Expect("m", wait); string(ev.Args[0]) != fmt.Sprint(i) {
					t.Fatalf("missed packet %d: %s", i, ev.Args)
				}
			}
			c2.ExpectNone("m", 200*time.Millisecond)
			if s := b.srv.Of("/").Socket(c.ID); s == nil || !s.In("r") {
				t.Fatal("room r not restored")
			}
		})
	}
}

// TestOutageKeepsOrder: broadcasts made while Redis is down reach the other node once
// it is back, all of them, in order.
func TestOutageKeepsOrder(t *testing.T) {
	rs, a, b := cluster2(t, false)
	c := redistest.Dial(t, b.url, "/", nil, nil)
	time.Sleep(50 * time.Millisecond)
	_ = a.srv.Emit("m", 0)
	c.Expect("m", wait)
	// Node a may not have read Redis's reply to entry 0 yet: the stop then makes
	// its writer append entry 0 again, which node b must drop (see doc.go).
	rs.Stop()
	for i := 1; i <= 50; i++ {
		_ = a.srv.Emit("m", i)
	}
	time.Sleep(300 * time.Millisecond)
	rs.Restart()
	for i := 1; i <= 50; i++ {
		if ev := c.Expect("m", 10*time.Second); string(ev.Args[0]) != fmt.Sprint(i) {
			t.Fatalf("got %s, want %d", ev.Args[0], i)
		}
	}
	c.ExpectNone("m", 200*time.Millisecond)
}

// TestNodeEntryDecodes: entries as @socket.io/redis-streams-adapter 0.3.1 wrote them
// (captured with MONITOR) decode.
func TestNodeEntryDecodes(t *testing.T) {
	bin, err := decodeEntry(map[string]any{"uid": "bcee950a0b042e8f", "nsp": "/", "type": "3",
		"data": "gqZwYWNrZXSCpHR5cGUCpGRhdGGUomV2o2FsbAHEAwECA6RvcHRzg6Vyb29tc5CmZXhjZXB0kKVmbGFnc4A="})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bin.body()
	p, err := toPacket(b.Packet, bin.atts, "/")
	if err != nil || string(p.Data) != `["ev","all",1,{"_placeholder":true,"num":0}]` || string(p.Attachments[0]) != "\x01\x02\x03" {
		t.Fatalf("%v %s", err, p.Data)
	}
	v, _ := entryValues("u", "/", 1, typeBroadcast, []byte(`{"packet":{"type":2,"data":["ev","room1"]},"opts":{"rooms":["room1"],"except":[],"flags":{}}}`), nil)
	if fmt.Sprint(v) != `[uid u nsp / type 3 data {"packet":{"type":2,"data":["ev","room1"]},"opts":{"rooms":["room1"],"except":[],"flags":{}}} seq 1]` {
		t.Fatal(v)
	}
	ws, err := decodeSession("hKNzaWS0VkZYNE5xaVg2UW53NFRtUUFBQUGjcGlktHJrWUJQU0hyalNLdVR1UW1BQUFCpXJvb21zkbRWRlg0TnFpWDZRbnc0VG1RQUFBQaRkYXRhgA==")
	if err != nil || ws.SID != "VFX4NqiX6Qnw4TmQAAAA" || ws.PID != "rkYBPSHrjSKuTuQmAAAB" || len(ws.Rooms) != 1 {
		t.Fatalf("%v %+v", err, ws)
	}
}

// TestResentEntryDeliveredOnce: a writer that lost the answer to an XADD (Redis
// went away after applying it) sends the same entry again; readers deliver it
// once. Each Go node numbers its entries (field "seq"), and a reader drops an
// entry whose number it has already seen from that node.
func TestResentEntryDeliveredOnce(t *testing.T) {
	_, a, b := cluster2(t, false)
	c := redistest.Dial(t, b.url, "/", nil, nil)
	time.Sleep(50 * time.Millisecond)
	v, err := entryValues(a.cluster.uid, "/", 1_000_000, typeBroadcast, []byte(`{"packet":{"type":2,"data":["m",1]},"opts":{"rooms":[],"except":[],"flags":{}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the write, then its retry
		if err := a.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: a.cluster.cfg.StreamName, Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Expect("m", wait)
	c.ExpectNone("m", 300*time.Millisecond)
	if d := b.cluster.Stats().Duplicates; d != 1 {
		t.Fatalf("Stats().Duplicates = %d, want 1", d)
	}
}
