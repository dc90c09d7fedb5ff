package redisadapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
	"rtserver/socketio/redisadapter/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wait = 5 * time.Second

// node is one Socket.IO server of a test cluster.
type node struct {
	srv     *socketio.Server
	url     string
	cluster *redisadapter.Cluster
	rdb     *redis.Client
}

// testLogger sends records to t.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newNode starts a server whose sockets join the rooms of the "rooms" query (comma
// separated) and keep the "user" query as Data; setup wires more before it serves.
func newNode(t testing.TB, rs *redistest.Server, cfg redisadapter.Config, setup func(s *socketio.Server)) *node {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	cfg.Client = rdb
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	cl, err := redisadapter.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := socketio.NewServer(socketio.Config{NewAdapter: cl.NewAdapter})
	if err != nil {
		t.Fatal(err)
	}
	srv.OnConnection(func(s *socketio.Socket) {
		q := s.Handshake().Query
		if r := q.Get("rooms"); r != "" {
			_ = s.Join(strings.Split(r, ",")...)
		}
		if u := q.Get("user"); u != "" {
			s.SetData(map[string]string{"user": u})
		}
	})
	if setup != nil {
		setup(srv)
	}
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

// waitServers waits until every node sees n nodes on the main namespace.
func waitServers(t testing.TB, n int, nodes ...*node) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for _, nd := range nodes {
		for {
			c, err := nd.srv.Of("/").Adapter().ServerCount(context.Background())
			if err == nil && c == n && nd.cluster.Healthy() {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server count %d (%v), want %d", c, err, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// cluster2 starts two nodes on one redis.
func cluster2(t *testing.T) (*redistest.Server, *node, *node) {
	rs := redistest.Start(t)
	a := newNode(t, rs, redisadapter.Config{}, nil)
	b := newNode(t, rs, redisadapter.Config{}, nil)
	waitServers(t, 2, a, b)
	return rs, a, b
}

func TestServerCount(t *testing.T) {
	rs, a, b := cluster2(t)
	c := newNode(t, rs, redisadapter.Config{}, nil)
	waitServers(t, 3, a, b, c)
}

func TestRoomBroadcastWithExceptAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t)
	a1 := redistest.Dial(t, a.url, "/", q("rooms", "r"), nil)
	b1 := redistest.Dial(t, b.url, "/", q("rooms", "r"), nil)
	b2 := redistest.Dial(t, b.url, "/", q("rooms", "r"), nil)
	b3 := redistest.Dial(t, b.url, "/", nil, nil) // not in r
	time.Sleep(50 * time.Millisecond)             // joins happen after CONNECT

	if err := a.srv.To("r").Except(b2.ID).Emit("msg", "hi", 1.5, map[string]any{"k": []int{1}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*redistest.Client{a1, b1} {
		ev := c.Expect("msg", wait)
		if got := string(ev.Args[0]) + string(ev.Args[1]) + string(ev.Args[2]); got != `"hi"1.5{"k":[1]}` {
			t.Fatalf("args %s", got)
		}
	}
	b2.ExpectNone("msg", 200*time.Millisecond)
	b3.ExpectNone("msg", 0)

	// Binary arguments cross as msgpack bin and come out as attachments.
	if err := b.srv.To("r").Emit("bin", []byte{1, 2, 3}, "tail"); err != nil {
		t.Fatal(err)
	}
	ev := a1.Expect("bin", wait)
	if len(ev.Binary) != 1 || string(ev.Binary[0]) != "\x01\x02\x03" || string(ev.Args[1]) != `"tail"` {
		t.Fatalf("binary event %+v", ev)
	}

	// Local stays local.
	if err := b.srv.Local().To("r").Emit("local"); err != nil {
		t.Fatal(err)
	}
	b1.Expect("local", wait)
	a1.ExpectNone("local", 200*time.Millisecond)
}

func TestSocketsJoinLeaveAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t)
	b1 := redistest.Dial(t, b.url, "/", nil, nil)
	time.Sleep(50 * time.Millisecond)
	if err := a.srv.In(b1.ID).SocketsJoin("x", "y"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return b.srv.Of("/").Socket(b1.ID) != nil && b.srv.Of("/").Socket(b1.ID).In("x") })
	_ = a.srv.To("y").Emit("in-y")
	b1.Expect("in-y", wait)
	if err := a.srv.In("x").SocketsLeave("y"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !b.srv.Of("/").Socket(b1.ID).In("y") })
}

func TestDisconnectSocketsAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t)
	b1 := redistest.Dial(t, b.url, "/", q("rooms", "kick"), nil)
	b2 := redistest.Dial(t, b.url, "/", nil, nil)
	time.Sleep(50 * time.Millisecond)
	if err := a.srv.In("kick").DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b1.Done:
	case <-time.After(wait):
		t.Fatal("b1 not disconnected")
	}
	select {
	case <-b2.Done:
		t.Fatal("b2 disconnected too")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestFetchSocketsAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t)
	a1 := redistest.Dial(t, a.url, "/", q("rooms", "f", "user", "ann"), nil)
	b1 := redistest.Dial(t, b.url, "/", q("rooms", "f", "user", "bob"), nil)
	redistest.Dial(t, b.url, "/", nil, nil)
	time.Sleep(50 * time.Millisecond)
	socks, err := a.srv.In("f").FetchSockets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*socketio.RemoteSocket{}
	for _, s := range socks {
		got[s.ID] = s
	}
	if len(got) != 2 || got[a1.ID] == nil || got[b1.ID] == nil {
		t.Fatalf("fetched %v", socks)
	}
	rb := got[b1.ID]
	if rb.Local() != nil || !slices.Contains(rb.Rooms, "f") || rb.Handshake.Query.Get("user") != "bob" {
		t.Fatalf("remote socket %+v", rb)
	}
	if d, _ := rb.Data.(json.RawMessage); string(d) != `{"user":"bob"}` {
		t.Fatalf("remote data %s", d)
	}
	// Acting on a remote socket goes through Redis.
	if err := rb.Emit("direct", "x"); err != nil {
		t.Fatal(err)
	}
	b1.Expect("direct", wait)

	all, err := b.srv.FetchSockets(context.Background())
	if err != nil || len(all) != 3 {
		t.Fatalf("all sockets: %d %v", len(all), err)
	}
	ids, err := a.srv.Of("/").Adapter().Sockets(context.Background(), []string{"f"})
	if err != nil || len(ids) != 2 {
		t.Fatalf("Sockets: %v %v", ids, err)
	}
}

func TestServerSideEmitAcrossNodes(t *testing.T) {
	rs := redistest.Start(t)
	got := make(chan string, 4)
	recv := func(s *socketio.Server) {
		s.Of("/").OnServerSideEmit(func(event string, args socketio.Args, _ socketio.Ack) {
			b, _ := args.Binary(1)
			got <- event + string(args.Raw(0)) + string(b)
		})
	}
	a := newNode(t, rs, redisadapter.Config{}, recv)
	b := newNode(t, rs, redisadapter.Config{}, recv)
	waitServers(t, 2, a, b)
	if err := a.srv.Of("/").ServerSideEmit("hello", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Of("/").ServerSideEmit("bin", 2, []byte("raw")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`hello{"n":1}`, `bin2raw`} {
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("got %q want %q", g, want)
			}
		case <-time.After(wait):
			t.Fatalf("no %q", want)
		}
	}
	select {
	case g := <-got:
		t.Fatalf("the sender got its own event %q", g)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestBroadcastWithAcksAcrossNodes(t *testing.T) {
	_, a, b := cluster2(t)
	answer := func(ev redistest.Event) []any { return []any{"ack-" + string(ev.Args[0])} }
	redistest.Dial(t, a.url, "/", nil, answer)
	redistest.Dial(t, b.url, "/", nil, answer)
	redistest.Dial(t, b.url, "/", nil, answer)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := a.srv.EmitWithAck(ctx, "q", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("responses %+v", res)
	}
	for _, r := range res {
		if s, _ := r.Args.String(0); s != "ack-7" {
			t.Fatalf("response %s", r.Args.Raw(0))
		}
	}
}

func TestClosedClusterFallsBackToLocal(t *testing.T) {
	rs := redistest.Start(t)
	a := newNode(t, rs, redisadapter.Config{}, nil)
	waitServers(t, 1, a)
	c := redistest.Dial(t, a.url, "/", nil, nil)
	_ = a.cluster.Close()
	if a.cluster.Healthy() {
		t.Fatal("healthy after close")
	}
	_ = a.srv.Emit("still")
	c.Expect("still", wait)
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFetchSocketsPartial: a node that does not answer makes FetchSockets return the
// others' sockets with a *socketio.PartialError counting the nodes that answered.
func TestFetchSocketsPartial(t *testing.T) {
	rs, a, _ := cluster2(t)
	mute := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer mute.Close()
	ps := mute.Subscribe(context.Background(), "socket.io-request#/#") // counts as a node, never answers
	defer ps.Close()
	_, _ = ps.Receive(context.Background())
	redistest.Dial(t, a.url, "/", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	socks, err := a.srv.Of("/").FetchSockets(ctx)
	var pe *socketio.PartialError
	if !errors.As(err, &pe) || pe.Answered != 2 || pe.Expected != 3 || !errors.Is(err, redisadapter.ErrTimeout) || len(socks) != 1 {
		t.Fatalf("partial fetch: %d sockets, err %v", len(socks), err)
	}
}
