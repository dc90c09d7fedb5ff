package redispresence_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/rooms"
	"rtserver/rooms/redispresence"
	"rtserver/socketio/redisadapter/redistest"
)

// Short times keep the package's tests within seconds; the janitor should
// announce a crashed node's users within ttl+refresh.
const (
	ttl     = 600 * time.Millisecond
	refresh = 200 * time.Millisecond
	wait    = 5 * time.Second
)

// goneLog records OnGone calls as "room/id/name".
type goneLog struct {
	mu  sync.Mutex
	got []string
}

func (g *goneLog) add(room string, m rooms.Member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, room+"/"+m.ID+"/"+m.Name)
}

func (g *goneLog) list() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.got)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newClient(t testing.TB, rs *redistest.Server) *redis.Client {
	t.Helper()
	// No retries and a short dial timeout: a stopped server fails calls
	// at once, as the outage test expects.
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newNode starts a Presence named node whose OnGone goes to g; it is
// closed when the test ends (before its client and server).
func newNode(t testing.TB, rdb redis.UniversalClient, node string, g *goneLog) *redispresence.Presence {
	t.Helper()
	cfg := redispresence.Config{
		Client:  rdb,
		Node:    node,
		TTL:     ttl,
		Refresh: refresh,
		Logger:  slog.New(slog.NewTextHandler(tWriter{t}, nil)),
	}
	if g != nil {
		cfg.OnGone = g.add
	}
	p, err := redispresence.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func arrive(t testing.TB, p *redispresence.Presence, room, id, name string) bool {
	t.Helper()
	first, err := p.Arrive(ctxT(t), room, rooms.Member{ID: id, Name: name})
	if err != nil {
		t.Fatalf("%s: arrive %s %s: %v", p.Node(), room, id, err)
	}
	return first
}

func depart(t testing.TB, p *redispresence.Presence, room, id string) bool {
	t.Helper()
	last, err := p.Depart(ctxT(t), room, id)
	if err != nil {
		t.Fatalf("%s: depart %s %s: %v", p.Node(), room, id, err)
	}
	return last
}

// ids returns the members of room as "id:name".
func ids(t testing.TB, p *redispresence.Presence, room string) []string {
	t.Helper()
	ms, err := p.Members(ctxT(t), room)
	if err != nil {
		t.Fatalf("members %s: %v", room, err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.ID+":"+m.Name)
	}
	return out
}

// eventually polls cond every 20ms until it holds or d passed.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCountsUsersAcrossNodes(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	a, b := newNode(t, rdb, "A", nil), newNode(t, rdb, "B", nil)

	if !arrive(t, a, "lobby", "alice", "Alice") {
		t.Error("arrive on A: want first")
	}
	if arrive(t, b, "lobby", "alice", "Alice") {
		t.Error("arrive on B: want not first")
	}
	if arrive(t, a, "lobby", "alice", "Alice") {
		t.Error("arrive on A again: want not first")
	}
	if depart(t, a, "lobby", "alice") {
		t.Error("depart on A: want not last")
	}
	if depart(t, a, "lobby", "alice") {
		t.Error("depart on A again: want not last")
	}
	if !depart(t, b, "lobby", "alice") {
		t.Error("depart on B: want last")
	}
	if depart(t, b, "lobby", "alice") {
		t.Error("depart on B again: want not last")
	}
	if got := ids(t, a, "lobby"); got != nil {
		t.Errorf("members after departs = %v", got)
	}
	// Arrivals survive refreshes: the entries outlive several TTLs.
	arrive(t, a, "lobby", "bob", "Bob")
	time.Sleep(3 * ttl)
	if got := ids(t, b, "lobby"); !slices.Equal(got, []string{"bob:Bob"}) {
		t.Errorf("members after 3 TTLs = %v", got)
	}
	if !depart(t, a, "lobby", "bob") {
		t.Error("depart bob: want last")
	}
}

func TestMembers(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	a, b := newNode(t, rdb, "A", nil), newNode(t, rdb, "B", nil)

	arrive(t, b, "lobby", "carol", "Carol")
	arrive(t, a, "lobby", "alice", "Alice")
	arrive(t, b, "lobby", "bob", "Bob")
	arrive(t, a, "lobby", "bob", "Bob")
	arrive(t, a, "team:x", "dave", "Dave")
	// Keys must not mix up room "a" user "bc" with room "ab" user "c".
	arrive(t, a, "a", "bc", "BC")
	arrive(t, b, "ab", "c", "C")

	want := []string{"alice:Alice", "bob:Bob", "carol:Carol"}
	for _, p := range []*redispresence.Presence{a, b} {
		if got := ids(t, p, "lobby"); !slices.Equal(got, want) {
			t.Errorf("%s: lobby = %v, want %v", p.Node(), got, want)
		}
	}
	if got := ids(t, b, "team:x"); !slices.Equal(got, []string{"dave:Dave"}) {
		t.Errorf("team:x = %v", got)
	}
	if got := ids(t, b, "a"); !slices.Equal(got, []string{"bc:BC"}) {
		t.Errorf("room a = %v", got)
	}
	if got := ids(t, a, "ab"); !slices.Equal(got, []string{"c:C"}) {
		t.Errorf("room ab = %v", got)
	}
	if got := ids(t, a, "nowhere"); got != nil {
		t.Errorf("empty room = %v", got)
	}

	// The latest arrival's name wins, and a refresh does not undo it.
	arrive(t, b, "lobby", "alice", "Alice B.")
	time.Sleep(2 * refresh)
	if got := ids(t, a, "lobby"); got[0] != "alice:Alice B." {
		t.Errorf("after rename: %v", got)
	}
}

func TestOnlineRoom(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	g := new(goneLog)
	a, b := newNode(t, rdb, "A", g), newNode(t, rdb, "B", nil)

	if !arrive(t, a, rooms.OnlineRoom, "alice", "Alice") || arrive(t, b, rooms.OnlineRoom, "alice", "Alice") {
		t.Error("online: want first on A only")
	}
	arrive(t, b, rooms.OnlineRoom, "bob", "Bob")
	if got := ids(t, a, rooms.OnlineRoom); !slices.Equal(got, []string{"alice:Alice", "bob:Bob"}) {
		t.Errorf("online = %v", got)
	}
	b.Crash()
	eventually(t, wait, "bob announced offline", func() bool { return len(g.list()) > 0 })
	if got := g.list(); !slices.Equal(got, []string{"@online/bob/Bob"}) {
		t.Errorf("gone = %v", got)
	}
	if got := ids(t, a, rooms.OnlineRoom); !slices.Equal(got, []string{"alice:Alice"}) {
		t.Errorf("online after crash = %v", got)
	}
}

func TestCrashAnnouncedOnce(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := newClient(t, rs)
	gA, gB, gC := new(goneLog), new(goneLog), new(goneLog)
	a, b, c := newNode(t, rdb, "A", gA), newNode(t, rdb, "B", gB), newNode(t, rdb, "C", gC)

	arrive(t, a, "lobby", "alice", "Alice")
	arrive(t, b, "lobby", "alice", "Alice")
	arrive(t, b, "lobby", "bob", "Bob")
	arrive(t, b, "team:x", "bob", "Bob")
	arrive(t, c, "lobby", "carol", "Carol")

	b.Crash()
	crashed := time.Now()
	all := func() []string {
		out := slices.Concat(gA.list(), gC.list())
		slices.Sort(out)
		return out
	}
	want := []string{"lobby/bob/Bob", "team:x/bob/Bob"}
	eventually(t, wait, "bob announced", func() bool { return len(all()) >= len(want) })
	// The entries expire at most TTL after the crash and a janitor runs
	// every Refresh; the margin covers scheduling.
	if d := time.Since(crashed); d > ttl+refresh+300*time.Millisecond {
		t.Errorf("announced after %v, want within TTL+Refresh", d)
	}
	// Both surviving janitors run for several more ticks: still once.
	time.Sleep(ttl + 2*refresh)
	if got := all(); !slices.Equal(got, want) {
		t.Errorf("gone = %v, want %v", got, want)
	}
	if got := gB.list(); got != nil {
		t.Errorf("crashed node announced %v", got)
	}
	if got := ids(t, a, "lobby"); !slices.Equal(got, []string{"alice:Alice", "carol:Carol"}) {
		t.Errorf("lobby after crash = %v", got)
	}
	if got := ids(t, c, "team:x"); got != nil {
		t.Errorf("team:x after crash = %v", got)
	}
	// Alice's departure from A is hers to report: B's expired entry is gone.
	if !depart(t, a, "lobby", "alice") {
		t.Error("alice's depart on A: want last")
	}
	depart(t, c, "lobby", "carol")
	assertEmpty(t, rdb)
}

func TestCloseAnnounces(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	gA, gB := new(goneLog), new(goneLog)
	a, b := newNode(t, rdb, "A", gA), newNode(t, rdb, "B", gB)

	arrive(t, a, "lobby", "alice", "Alice")
	arrive(t, b, "lobby", "alice", "Alice")
	arrive(t, b, "lobby", "bob", "Bob")
	arrive(t, b, rooms.OnlineRoom, "bob", "Bob")

	if err := b.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	want := []string{"@online/bob/Bob", "lobby/bob/Bob"}
	if got := gB.list(); !slices.Equal(got, want) {
		t.Errorf("announced by Close = %v, want %v", got, want)
	}
	if got := ids(t, a, "lobby"); !slices.Equal(got, []string{"alice:Alice"}) {
		t.Errorf("lobby after close = %v", got)
	}
	if _, err := b.Arrive(ctxT(t), "lobby", rooms.Member{ID: "x"}); !errors.Is(err, redispresence.ErrClosed) {
		t.Errorf("arrive after close: %v", err)
	}
	if _, err := b.Depart(ctxT(t), "lobby", "alice"); !errors.Is(err, redispresence.ErrClosed) {
		t.Errorf("depart after close: %v", err)
	}
	b.Close() // a second close is a no-op
	time.Sleep(ttl + 2*refresh)
	if got := slices.Concat(gA.list(), gB.list()); !slices.Equal(got, want) {
		t.Errorf("gone after expiry = %v, want only Close's", got)
	}
}

func TestRedisRestart(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	rdb := newClient(t, rs)
	a := newNode(t, rdb, "A", nil)

	arrive(t, a, "lobby", "alice", "Alice")
	arrive(t, a, "lobby", "bob", "Bob")
	rs.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := a.Arrive(ctx, "lobby", rooms.Member{ID: "carol", Name: "Carol"}); err == nil {
		t.Error("arrive with Redis down: want error")
	}
	if _, err := a.Depart(ctx, "lobby", "bob"); err == nil {
		t.Error("depart with Redis down: want error")
	}
	if _, err := a.Members(ctx, "lobby"); err == nil {
		t.Error("members with Redis down: want error")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("calls with Redis down took %v", d)
	}
	if n := a.LocalLen(); n != 2 {
		t.Errorf("local arrivals = %d, want 2 (alice, carol)", n)
	}
	// Several failed refreshes, then a Redis that lost everything.
	time.Sleep(3 * refresh)
	rs.Restart()
	want := []string{"alice:Alice", "carol:Carol"}
	eventually(t, wait, "entries restored", func() bool {
		ms, err := a.Members(context.Background(), "lobby")
		if err != nil {
			return false
		}
		got := make([]string, 0, len(ms))
		for _, m := range ms {
			got = append(got, m.ID+":"+m.Name)
		}
		return slices.Equal(got, want)
	})
	if !depart(t, a, "lobby", "alice") || !depart(t, a, "lobby", "carol") {
		t.Error("departs after restore: want last")
	}
	assertEmpty(t, rdb)
}

func TestConcurrentNodes(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	g := new(goneLog)
	nodes := []*redispresence.Presence{newNode(t, rdb, "A", g), newNode(t, rdb, "B", g)}
	const users, cycles = 50, 20
	var firsts, lasts [users]atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 2*users)
	for _, p := range nodes {
		for u := range users {
			wg.Go(func() {
				// Goroutine u of each node works on user u: the two race
				// on every decision.
				id := fmt.Sprintf("u%02d", u)
				for range cycles {
					first, err := p.Arrive(context.Background(), "lobby", rooms.Member{ID: id, Name: id})
					if err != nil {
						errc <- err
						return
					}
					last, err := p.Depart(context.Background(), "lobby", id)
					if err != nil {
						errc <- err
						return
					}
					if first {
						firsts[u].Add(1)
					}
					if last {
						lasts[u].Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for u := range users {
		f, l := firsts[u].Load(), lasts[u].Load()
		if f < 1 || f != l {
			t.Errorf("user %d: %d firsts, %d lasts; want equal and positive", u, f, l)
		}
	}
	if got := ids(t, nodes[0], "lobby"); got != nil {
		t.Errorf("members after all departs = %v", got)
	}
	assertEmpty(t, rdb)
	if got := g.list(); got != nil {
		t.Errorf("gone = %v", got)
	}
}

func TestKeysExpire(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, redistest.Start(t))
	a, b := newNode(t, rdb, "A", nil), newNode(t, rdb, "B", nil)
	arrive(t, a, "lobby", "alice", "Alice")
	arrive(t, b, "dm:alice:bob", "bob", "Bob")
	time.Sleep(2 * refresh)

	keys, err := rdb.Keys(ctxT(t), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no keys")
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, redispresence.DefaultPrefix) {
			t.Errorf("key %q outside the prefix", k)
		}
		d, err := rdb.PTTL(ctxT(t), k).Result()
		if err != nil || d <= 0 || d > 3*ttl {
			t.Errorf("key %q: PTTL %v %v, want in (0, 3×TTL]", k, d, err)
		}
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	d := redispresence.Default()
	if d.Prefix != redispresence.DefaultPrefix || d.TTL != 30*time.Second || d.Refresh != 10*time.Second || d.Node == "" {
		t.Errorf("defaults = %+v", d)
	}
	if redispresence.Default().Node == d.Node {
		t.Error("default node ids repeat")
	}

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cluster.Close()
	for _, tc := range []struct {
		name string
		cfg  redispresence.Config
		ok   bool
	}{
		{"defaults", redispresence.Config{Client: rdb}, true},
		{"no client", redispresence.Config{}, false},
		{"negative TTL", redispresence.Config{Client: rdb, TTL: -time.Second}, false},
		{"refresh not below TTL", redispresence.Config{Client: rdb, TTL: time.Second, Refresh: time.Second}, false},
		{"negative refresh", redispresence.Config{Client: rdb, Refresh: -1}, false},
		{"cluster without hash tag", redispresence.Config{Client: cluster}, false},
		{"cluster with hash tag", redispresence.Config{Client: cluster, Prefix: "{rt:presence}:"}, true},
		{"empty hash tag", redispresence.Config{Client: cluster, Prefix: "{}rt:"}, false},
	} {
		p, err := redispresence.New(context.Background(), tc.cfg)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if p != nil {
			p.Close()
		}
	}
}

// assertEmpty fails unless Redis holds no key: departs and the janitor
// clean up after themselves, not only through expiry.
func assertEmpty(t testing.TB, rdb *redis.Client) {
	t.Helper()
	keys, err := rdb.Keys(ctxT(t), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Errorf("keys left: %v", keys)
	}
}
