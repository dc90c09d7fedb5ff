//go:build e2e

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"rtserver/socketio/redisadapter/redistest"
)

// outage is how long TestRedisOutage keeps redis-server down.
const outage = 10 * time.Second

// sent is one message of the outage traffic.
type sent struct {
	Seq     int
	At      time.Time
	AckedAt time.Time // zero when no ack came
}

// delivery is when a receiver got message seq.
type delivery map[int]time.Time

// TestRedisOutage kills redis-server (by PID) for 10 s and restarts it on the same port
// while alice on node a sends to a room every 50 ms; carol (node a) receives locally and
// bob (node b) across nodes. Local delivery must not lose a message; cross-node
// delivery is lost during the outage and must resume after the restart. /readyz must
// say degraded during and ready after; goroutines must come back to where they were.
func TestRedisOutage(t *testing.T) {
	c := startCluster(t, nil)
	a, b := c.Nodes["a"], c.Nodes["b"]
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	room := "outage-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

	var mu sync.Mutex
	got := map[string]delivery{"bob": {}, "carol": {}}
	receiver := func(name string) func(event) {
		return func(ev event) {
			if ev.Name != "message" {
				return
			}
			var m chatMsg
			if json.Unmarshal(ev.Arg, &m) != nil || m.Room != room {
				return
			}
			seq, err := strconv.Atoi(m.Text)
			if err != nil {
				return
			}
			mu.Lock()
			got[name][seq] = ev.At
			mu.Unlock()
		}
	}
	alice := mustDial(t, ctx, a.URL, "/chat", login(t, a.URL, "alice"), nil)
	carol := mustDial(t, ctx, a.URL, "/chat", login(t, a.URL, "carol"), receiver("carol"))
	bob := mustDial(t, ctx, b.URL, "/chat", login(t, b.URL, "bob"), receiver("bob"))
	for _, cl := range []*client{alice, carol, bob} {
		if _, err := cl.call(ctx, "join", room); err != nil {
			t.Fatal(err)
		}
	}

	// The sender: one message every 50 ms, each waiting for its ack (at most 5 s).
	var (
		smu   sync.Mutex
		msgs  []sent
		stop  = make(chan struct{})
		sendr sync.WaitGroup
	)
	sendr.Add(1)
	go func() {
		defer sendr.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			s := sent{Seq: seq, At: time.Now()}
			actx, acancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := alice.call(actx, "message", map[string]string{"room": room, "text": strconv.Itoa(seq)}); err == nil {
				s.AckedAt = time.Now()
			}
			acancel()
			smu.Lock()
			msgs = append(msgs, s)
			smu.Unlock()
		}
	}()

	time.Sleep(2 * time.Second)
	gBefore := map[string]float64{"a": metric(t, a, "go_goroutines"), "b": metric(t, b, "go_goroutines")}
	for id, n := range c.Nodes {
		if s := readyz(n.URL); s != "ready" {
			t.Errorf("node %s /readyz before the outage: %s", id, s)
		}
	}

	down := time.Now()
	c.Redis.Stop()
	degraded := map[string]time.Duration{}
	statuses := map[string]map[string]int{"a": {}, "b": {}}
	for time.Since(down) < outage {
		for id, n := range c.Nodes {
			s := readyz(n.URL)
			statuses[id][s]++
			if _, seen := degraded[id]; !seen && s == "degraded" {
				degraded[id] = time.Since(down)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	restartRedis(t, c.Redis)
	up := time.Now()

	// Until bob gets a message sent after the restart, and both nodes say ready.
	ready := map[string]time.Duration{}
	var resumed time.Duration
	for time.Since(up) < 30*time.Second && (resumed == 0 || len(ready) < 2) {
		for id, n := range c.Nodes {
			if _, seen := ready[id]; !seen && readyz(n.URL) == "ready" {
				ready[id] = time.Since(up)
			}
		}
		if resumed == 0 {
			resumed = firstSentAfter(&smu, &msgs, &mu, got["bob"], up)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // traffic after the recovery
	close(stop)
	sendr.Wait()
	time.Sleep(500 * time.Millisecond) // the last broadcasts
	for _, cl := range []*client{alice, carol, bob} {
		cl.close()
	}
	time.Sleep(2 * time.Second) // disconnect handling, then count goroutines
	gAfter := map[string]float64{"a": metric(t, a, "go_goroutines"), "b": metric(t, b, "go_goroutines")}

	// Phases by send time: before the outage, during it, after it (resumed).
	smu.Lock()
	defer smu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	type tally struct{ sent, acked, bob, carol int }
	var before, during, after tally
	var ackDuring []time.Duration
	for _, m := range msgs {
		p := &after
		switch {
		case m.At.Before(down):
			p = &before
		case m.At.Before(up.Add(resumed)):
			p = &during
		}
		p.sent++
		if m.AckedAt.IsZero() {
			continue
		}
		p.acked++
		if p == &during {
			ackDuring = append(ackDuring, m.AckedAt.Sub(m.At))
		}
		if _, ok := got["bob"][m.Seq]; ok {
			p.bob++
		}
		if _, ok := got["carol"][m.Seq]; ok {
			p.carol++
		}
	}
	slices.Sort(ackDuring)
	var lostAfter []string
	for _, m := range msgs {
		if _, ok := got["bob"][m.Seq]; !ok && !m.At.Before(up) && !m.AckedAt.IsZero() {
			lostAfter = append(lostAfter, fmt.Sprintf("%d@+%s", m.Seq, ms(m.At.Sub(up))))
		}
	}
	t.Logf("cross-node messages lost among those sent after the restart (seq@sent after restart): %v", lostAfter)
	record(t, "redis-outage", "messages sent / acked (before outage)", "%d / %d", before.sent, before.acked)
	record(t, "redis-outage", "messages sent / acked (outage until resumed)", "%d / %d", during.sent, during.acked)
	record(t, "redis-outage", "messages sent / acked (after resume)", "%d / %d", after.sent, after.acked)
	record(t, "redis-outage", "ack latency during outage p50 / max", "%s / %s", quantile(ackDuring, 0.5), quantile(ackDuring, 1))
	record(t, "redis-outage", "cross-node (bob on b) lost during outage", "%d of %d acked", during.acked-during.bob, during.acked)
	record(t, "redis-outage", "local (carol on a) lost during outage", "%d of %d acked", during.acked-during.carol, during.acked)
	record(t, "redis-outage", "lost before / after (bob, carol)", "%d,%d / %d,%d", before.acked-before.bob, before.acked-before.carol, after.acked-after.bob, after.acked-after.carol)
	record(t, "redis-outage", "cross-node delivery resumed after restart", "%s", ms(resumed))
	record(t, "redis-outage", "/readyz degraded after kill (a / b)", "%s / %s", ms(degraded["a"]), ms(degraded["b"]))
	record(t, "redis-outage", "/readyz answers during outage (a)", "%v", statuses["a"])
	record(t, "redis-outage", "/readyz answers during outage (b)", "%v", statuses["b"])
	record(t, "redis-outage", "/readyz ready after restart (a / b)", "%s / %s", ms(ready["a"]), ms(ready["b"]))
	record(t, "redis-outage", "goroutines before / after (a)", "%.0f / %.0f", gBefore["a"], gAfter["a"])
	record(t, "redis-outage", "goroutines before / after (b)", "%.0f / %.0f", gBefore["b"], gAfter["b"])

	if during.acked == 0 || during.carol != during.acked {
		t.Errorf("local delivery during the outage: carol got %d of %d acked messages", during.carol, during.acked)
	}
	if before.acked != before.sent || before.bob != before.acked || before.carol != before.acked {
		t.Errorf("before the outage: %+v, want every message acked and delivered", before)
	}
	if after.sent == 0 || after.acked != after.sent || after.bob != after.acked || after.carol != after.acked {
		t.Errorf("after the restart: %+v, want every message acked and delivered", after)
	}
	if resumed == 0 {
		t.Errorf("cross-node delivery did not resume within 30 s of the restart")
	}
	for _, id := range []string{"a", "b"} {
		if _, ok := degraded[id]; !ok {
			t.Errorf("node %s /readyz never said degraded during the outage: %v", id, statuses[id])
		}
		if statuses[id]["degraded"]+statuses[id]["ready"] != sum(statuses[id]) {
			t.Errorf("node %s /readyz answered something else than 200 during the outage: %v", id, statuses[id])
		}
		if _, ok := ready[id]; !ok {
			t.Errorf("node %s /readyz not ready within 30 s of the restart", id)
		}
		if gAfter[id] > gBefore[id]+10 {
			t.Errorf("node %s goroutines: %.0f before, %.0f after the outage (clients closed)", id, gBefore[id], gAfter[id])
		}
	}
}

// TestNodeKilled kills node a (SIGKILL, so it cannot say goodbye) while carol's only
// socket is there; bob on node b must see carol go offline within PRESENCE_TTL.
func TestNodeKilled(t *testing.T) {
	c := startCluster(t, nil)
	a, b := c.Nodes["a"], c.Nodes["b"]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := "killed-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

	evs := newEvents()
	bob := mustDial(t, ctx, b.URL, "/chat", login(t, b.URL, "bob"), evs.add)
	if _, err := bob.call(ctx, "join", room); err != nil {
		t.Fatal(err)
	}
	carol := mustDial(t, ctx, a.URL, "/chat", login(t, a.URL, "carol"), nil)
	if _, err := carol.call(ctx, "join", room); err != nil {
		t.Fatal(err)
	}
	if _, ok := evs.wait(5*time.Second, isPresence(room, "carol", true)); !ok {
		t.Fatal("bob on node b never saw carol (node a) come online")
	}

	killed := time.Now()
	a.Kill(t)
	ev, ok := evs.wait(presenceTTL+5*time.Second, isPresence(room, "carol", false))
	if !ok {
		t.Fatalf("bob never saw carol go offline after node a was killed (PRESENCE_TTL %v)", presenceTTL)
	}
	took := ev.At.Sub(killed)
	record(t, "node-killed", "carol offline for bob after SIGKILL of a", "%s (PRESENCE_TTL %s)", ms(took), presenceTTL)
	// rooms/redispresence promises "within about TTL+Refresh" (Refresh = TTL/3): an
	// entry lives TTL after its last refresh and the sweep runs every Refresh.
	if bound := presenceTTL + presenceTTL/3 + 500*time.Millisecond; took > bound {
		t.Errorf("offline after %v, want within PRESENCE_TTL+PRESENCE_TTL/3 (+0.5 s) = %v", took, bound)
	}
	res, err := bob.call(ctx, "users", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Users {
		if u.ID == "carol" && u.Online {
			t.Errorf("users on node b still lists carol online after node a died")
		}
	}
	<-carol.done // the TCP connection died with node a
	bob.close()
}

// firstSentAfter returns how long after up bob first received a message that was sent
// after up (a message queued during the outage and published late does not count), or 0.
func firstSentAfter(smu *sync.Mutex, msgs *[]sent, mu *sync.Mutex, bob delivery, up time.Time) time.Duration {
	smu.Lock()
	var seqs []int
	for _, m := range *msgs {
		if m.At.After(up) {
			seqs = append(seqs, m.Seq)
		}
	}
	smu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	var first time.Duration
	for _, seq := range seqs {
		if at, ok := bob[seq]; ok && (first == 0 || at.Sub(up) < first) {
			first = at.Sub(up)
		}
	}
	return first
}

// mustDial dials or fails the test; the client is closed at cleanup if still open.
func mustDial(t *testing.T, ctx context.Context, base, nsp, token string, onEvent func(event)) *client {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl, err := dial(dctx, base, nsp, token, onEvent)
	if err != nil {
		t.Fatalf("dial %s%s: %v", base, nsp, err)
	}
	t.Cleanup(func() {
		select {
		case <-cl.done:
		default:
			cl.close()
		}
	})
	return cl
}

// restartRedis starts redis-server again on its port.
func restartRedis(t *testing.T, rs *redistest.Server) {
	t.Helper()
	rs.Restart()
	if err := redistest.Ping(rs.Addr()); err != nil {
		t.Fatalf("redis after restart: %v", err)
	}
}

func quantile(d []time.Duration, q float64) string {
	if len(d) == 0 {
		return "-"
	}
	i := int(q*float64(len(d))+0.5) - 1
	return ms(d[max(0, min(i, len(d)-1))])
}

func ms(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
