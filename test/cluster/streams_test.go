//go:build e2e

package cluster

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"rtserver/test/harness"
)

// streamsEnv is the environment of a cluster on the streams adapter.
var streamsEnv = map[string]string{"REDIS_ADAPTER": "streams"}

// TestStreams runs nodes a and b with REDIS_ADAPTER=streams behind nginx: the /admin
// cases of cluster.test.mjs, then streams.test.mjs (a Node.js node with
// @socket.io/redis-streams-adapter 0.3.1 on the same stream; then the failover, in
// which the script SIGKILLs, by PID, the node of a client connected through nginx).
// CLUSTER_FAILOVER_N sets how many clients take part (default 20).
func TestStreams(t *testing.T) {
	requireNodeModules(t)
	harness.RequireNodeModules(t, "@socket.io/redis-streams-adapter")
	c := startCluster(t, streamsEnv)
	a, b := c.Nodes["a"], c.Nodes["b"]
	ng := startNginx(t, a, b)
	n := os.Getenv("CLUSTER_FAILOVER_N")
	if n == "" {
		n = "20"
	}
	figs := filepath.Join(t.TempDir(), "figures.json")
	env := map[string]string{
		"CL_NGINX":       ng.URL,
		"CL_A":           a.URL,
		"CL_B":           b.URL,
		"CL_REDIS":       c.Redis.URL() + "/0",
		"CL_PUBLISH_KEY": publishKey,
		"CL_PID_A":       strconv.Itoa(a.PID),
		"CL_PID_B":       strconv.Itoa(b.PID),
		"CL_FAILOVER_N":  n,
		"CL_FIGURES":     figs,
	}
	t.Run("admin", func(t *testing.T) { runNode(t, "cluster.test.mjs", "^cross-node: /admin", env) })
	t.Run("mixed", func(t *testing.T) { runNode(t, "streams.test.mjs", "^streams mixed", env) })
	t.Run("failover", func(t *testing.T) {
		defer func() {
			// The script killed one node: reap it, so cleanup does not stop it.
			for _, s := range c.Nodes {
				if !s.Alive() {
					s.Kill(t)
				}
			}
		}()
		runNode(t, "streams.test.mjs", "^streams failover", env)
		var f struct {
			Clients, Victims, NotRecovered, Lost, Dup, Disorder, Sent int
			P50, P99, Max                                             float64
		}
		raw, err := os.ReadFile(figs)
		if err != nil || json.Unmarshal(raw, &f) != nil {
			t.Fatalf("failover figures: %v %s", err, raw)
		}
		record(t, "failover", "clients / on the killed node", "%d / %d", f.Clients, f.Victims)
		record(t, "failover", "recovered: time from SIGKILL p50 / p99 / max", "%.0fms / %.0fms / %.0fms", f.P50, f.P99, f.Max)
		record(t, "failover", "not recovered / lost / twice / out of order", "%d / %d / %d / %d (of %d each)", f.NotRecovered, f.Lost, f.Dup, f.Disorder, f.Sent)
	})
}

// TestStreamsRedisRestart stops redis-server for 3 s and starts it again (empty) while
// alice on node a sends to a room every 50 ms with REDIS_ADAPTER=streams; bob (node b)
// and carol (node a) must each get every acked message once, those sent during the
// outage after it.
func TestStreamsRedisRestart(t *testing.T) {
	c := startCluster(t, streamsEnv)
	a, b := c.Nodes["a"], c.Nodes["b"]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	room := "restart-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

	var mu sync.Mutex
	got := map[string]map[int]int{"bob": {}, "carol": {}}
	first := map[string]map[int]time.Time{"bob": {}, "carol": {}}
	receiver := func(name string) func(event) {
		return func(ev event) {
			var m chatMsg
			if ev.Name != "message" || json.Unmarshal(ev.Arg, &m) != nil || m.Room != room {
				return
			}
			if seq, err := strconv.Atoi(m.Text); err == nil {
				mu.Lock()
				if got[name][seq]++; got[name][seq] == 1 {
					first[name][seq] = ev.At
				}
				mu.Unlock()
			}
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
	var acked, during []int
	var down, up time.Time
	for seq, start := 0, time.Now(); time.Since(start) < 8*time.Second; seq++ {
		switch {
		case down.IsZero() && time.Since(start) > 2*time.Second:
			down = time.Now()
			c.Redis.Stop()
		case !down.IsZero() && up.IsZero() && time.Since(down) > 3*time.Second:
			restartRedis(t, c.Redis)
			up = time.Now()
		}
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := alice.call(actx, "message", map[string]string{"room": room, "text": strconv.Itoa(seq)}); err == nil {
			acked = append(acked, seq)
			if !down.IsZero() && up.IsZero() {
				during = append(during, seq)
			}
		}
		acancel()
		time.Sleep(50 * time.Millisecond)
	}
	// Until both have every acked message, or 20 s.
	for wait := time.Now(); time.Since(wait) < 20*time.Second; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		all := len(got["bob"]) >= len(acked) && len(got["carol"]) >= len(acked)
		mu.Unlock()
		if all {
			break
		}
	}
	time.Sleep(500 * time.Millisecond) // anything twice comes now
	mu.Lock()
	defer mu.Unlock()
	// When the last message sent during the outage arrived, after the restart.
	var delivered time.Duration
	for _, name := range []string{"bob", "carol"} {
		for _, seq := range during {
			if at, ok := first[name][seq]; ok && at.Sub(up) > delivered {
				delivered = at.Sub(up)
			}
		}
	}
	lost, dup := map[string]int{}, map[string]int{}
	for _, name := range []string{"bob", "carol"} {
		for _, seq := range acked {
			switch n := got[name][seq]; {
			case n == 0:
				lost[name]++
			case n > 1:
				dup[name] += n - 1
			}
		}
	}
	record(t, "redis-restart", "streams: messages acked (during 3 s outage)", "%d (%d)", len(acked), len(during))
	record(t, "redis-restart", "streams: lost / twice, bob (node b)", "%d / %d", lost["bob"], dup["bob"])
	record(t, "redis-restart", "streams: lost / twice, carol (node a)", "%d / %d", lost["carol"], dup["carol"])
	record(t, "redis-restart", "streams: outage messages all in, after restart", "%s", ms(delivered))
	if lost["bob"]+lost["carol"]+dup["bob"]+dup["carol"] > 0 {
		t.Errorf("lost %v, twice %v of %d acked messages", lost, dup, len(acked))
	}
	for _, cl := range []*client{alice, carol, bob} {
		cl.close()
	}
}
