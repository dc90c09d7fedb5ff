package redisadapter_test

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"rtserver/socketio/redisadapter"
	"rtserver/socketio/redisadapter/redistest"
)

// TestRedisOutage stops redis-server for 10s under two nodes while node A broadcasts to a
// room with one client on each node, and reports: cross-node messages lost, local
// messages lost (must be none), the longest Emit call, the time from the restart to the
// first cross-node delivery, and the goroutine count before and after. It takes ~15s:
// skipped with -short.
func TestRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("15s outage figure")
	}
	rs := redistest.Start(t)
	cfg := redisadapter.Config{QueueSize: 256}
	a := newNode(t, rs, cfg, nil)
	b := newNode(t, rs, cfg, nil)
	waitServers(t, 2, a, b)
	local := redistest.Dial(t, a.url, "/", q("rooms", "r"), nil)
	remote := redistest.Dial(t, b.url, "/", q("rooms", "r"), nil)
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	before := runtime.NumGoroutine()

	const period = 20 * time.Millisecond
	var (
		sent       atomic.Int64
		maxEmit    atomic.Int64
		stopped    atomic.Int64 // unix nanos of the restart
		restarted  atomic.Int64
		stopSender = make(chan struct{})
		senderDone = make(chan struct{})
	)
	go func() {
		defer close(senderDone)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-stopSender:
				return
			case <-tick.C:
			}
			seq := sent.Add(1)
			start := time.Now()
			_ = a.srv.To("r").Emit("seq", seq, time.Now().UnixNano())
			if d := int64(time.Since(start)); d > maxEmit.Load() {
				maxEmit.Store(d)
			}
		}
	}()
	count := func(c *redistest.Client, into map[int64]int64) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case ev := <-c.Events:
					seq, _ := strconv.ParseInt(string(ev.Args[0]), 10, 64)
					into[seq] = time.Now().UnixNano()
				case <-stopSender:
					// drain what is still in flight
					deadline := time.After(500 * time.Millisecond)
					for {
						select {
						case ev := <-c.Events:
							seq, _ := strconv.ParseInt(string(ev.Args[0]), 10, 64)
							into[seq] = time.Now().UnixNano()
						case <-deadline:
							return
						}
					}
				}
			}
		}()
		return done
	}
	gotLocal, gotRemote := map[int64]int64{}, map[int64]int64{}
	doneLocal, doneRemote := count(local, gotLocal), count(remote, gotRemote)

	time.Sleep(2 * time.Second)
	healthyBefore := a.cluster.Healthy()
	seqAtStop := sent.Load()
	stopped.Store(time.Now().UnixNano())
	rs.Stop()
	time.Sleep(10 * time.Second)
	unhealthyDuring := !a.cluster.Healthy() && !b.cluster.Healthy()
	seqAtRestart := sent.Load()
	rs.Restart()
	restarted.Store(time.Now().UnixNano())
	waitFor(t, func() bool { return a.cluster.Healthy() && b.cluster.Healthy() })
	healthyAt := time.Now()
	time.Sleep(3 * time.Second)
	close(stopSender)
	<-senderDone
	<-doneLocal
	<-doneRemote
	total := sent.Load()

	localLost, remoteLost, lostOutside := 0, 0, 0
	var firstAfter int64
	for seq := int64(1); seq <= total; seq++ {
		if _, ok := gotLocal[seq]; !ok {
			localLost++
		}
		at, ok := gotRemote[seq]
		if !ok {
			remoteLost++
			if seq <= seqAtStop || seq > seqAtRestart+int64(time.Since(healthyAt)/period) {
				lostOutside++
			}
			continue
		}
		if seq > seqAtRestart && (firstAfter == 0 || at < firstAfter) {
			firstAfter = at
		}
	}
	runtime.GC()
	time.Sleep(100 * time.Millisecond)
	after := runtime.NumGoroutine()
	st := a.cluster.Stats()
	resume := time.Duration(firstAfter - restarted.Load())
	t.Logf("outage figure: %d broadcasts every %v; redis down 10s after seq %d, back after seq %d", total, period, seqAtStop, seqAtRestart)
	t.Logf("  local delivery: %d/%d received (lost %d)", int(total)-localLost, total, localLost)
	t.Logf("  cross-node: lost %d (%d sent while redis was down)", remoteLost, seqAtRestart-seqAtStop)
	t.Logf("  longest Emit call: %v", time.Duration(maxEmit.Load()))
	t.Logf("  healthy before %v, unhealthy during %v, healthy again %v after restart, first cross-node delivery %v after restart",
		healthyBefore, unhealthyDuring, healthyAt.Sub(time.Unix(0, restarted.Load())).Round(time.Millisecond), resume.Round(time.Millisecond))
	t.Logf("  node A stats: published %d, publish errors %d, dropped %d, queued now %d", st.Published, st.PublishErrors, st.Dropped, st.Queued)
	t.Logf("  goroutines: %d before, %d after", before, after)

	if localLost != 0 {
		t.Errorf("local delivery lost %d messages", localLost)
	}
	if !healthyBefore || !unhealthyDuring {
		t.Errorf("health: before %v, during outage unhealthy %v", healthyBefore, unhealthyDuring)
	}
	if firstAfter == 0 {
		t.Errorf("cross-node delivery did not resume")
	}
	if maxEmit.Load() > int64(100*time.Millisecond) {
		t.Errorf("an Emit call took %v while redis was down", time.Duration(maxEmit.Load()))
	}
	if after > before+5 {
		t.Errorf("goroutines grew from %d to %d", before, after)
	}
}
