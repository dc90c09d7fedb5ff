//go:build e2e

package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// defaultMaxWriteQueueBytes is engineio.DefaultMaxWriteQueueBytes (1 MiB): the bound
// the server puts on one session's unwritten queue.
const defaultMaxWriteQueueBytes = 1 << 20

// logEvent is one JSON log line of the server.
type logEvent struct {
	Time   time.Time `json:"time"`
	Msg    string    `json:"msg"`
	User   string    `json:"user"`
	Nsp    string    `json:"nsp"`
	Reason string    `json:"reason"`
}

// findDisconnect returns the server's "socket disconnected" log line for user on nsp.
func findDisconnect(logs, user string) (logEvent, bool) {
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"socket disconnected"`) || !strings.Contains(line, user) {
			continue
		}
		var e logEvent
		if json.Unmarshal([]byte(line), &e) == nil && e.User == user && e.Nsp == nsp {
			return e, true
		}
	}
	return logEvent{}, false
}

// byteSeries samples a byte counter every 5 ms so that the count at any instant can
// be read back.
type byteSeries struct {
	mu sync.Mutex
	at []time.Time
	n  []int64
}

func (b *byteSeries) run(ctx context.Context, ctr *atomic.Int64) {
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	for {
		b.mu.Lock()
		b.at = append(b.at, time.Now())
		b.n = append(b.n, ctr.Load())
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// valueAt is the last sample at or before t.
func (b *byteSeries) valueAt(t time.Time) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var v int64
	for i, at := range b.at {
		if at.After(t) {
			break
		}
		v = b.n[i]
	}
	return v
}

// TestFaultsSlowConsumer: one member of a busy room stops reading its socket while the
// others keep sending. The server must bound what it queues for it and disconnect it;
// the others' delivery latency and the server's memory must stay bounded.
func TestFaultsSlowConsumer(t *testing.T) {
	sc := currentScale()
	const name = "slow-consumer"
	env := baseEnv(t.TempDir())
	env["LOG_LEVEL"] = "info" // the "socket disconnected" line carries the reason
	env["LOG_FORMAT"] = "json"
	srv := startServer(t, env)
	const room = "busy"
	const slowUser = "slow-consumer"

	var before, during, after durations
	var phase atomic.Int32 // 0 before, 1 during the stall, 2 after the disconnect
	onMsg := func(m chatMsg, at time.Time) {
		if _, sent, ok := parseText(m.Text); ok {
			switch phase.Load() {
			case 0:
				before.add(at.Sub(sent))
			case 1:
				during.add(at.Sub(sent))
			default:
				after.add(at.Sub(sent))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Member 0 sends nothing and counts bytes: it receives exactly what the slow
	// client would have.
	var observed atomic.Int64
	members, err := dialMany(ctx, srv.URL, sc.SlowMembers, 32,
		func(i int) string { return mint(t, fmt.Sprintf("busy%04d", i)) },
		func(i int) dialOpts {
			if i == 0 {
				return dialOpts{OnMessage: onMsg, OnBytes: func(n int) { observed.Add(int64(n)) }}
			}
			return dialOpts{OnMessage: onMsg}
		})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(members)
	var slowBytes atomic.Int64
	slow, err := dial(ctx, srv.URL, mint(t, slowUser), dialOpts{OnBytes: func(n int) { slowBytes.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.close()
	for _, c := range append([]*client{slow}, members...) {
		if _, err := c.join(ctx, room); err != nil {
			t.Fatalf("join: %v", err)
		}
	}
	var series byteSeries
	sctx, stopSeries := context.WithCancel(ctx)
	go series.run(sctx, &observed)
	defer stopSeries()

	rss := sampleRSS(srv.PID)
	defer rss.close()
	base := srv.stats(t)

	// Senders: members 1..SlowSenders at SlowRate messages/s each, acks awaited.
	stopSend := make(chan struct{})
	var sendWG sync.WaitGroup
	var sent, sendErrs atomic.Int64
	for s := 1; s <= sc.SlowSenders && s < len(members); s++ {
		c := members[s]
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			every := time.Duration(float64(time.Second) / sc.SlowRate)
			tk := time.NewTicker(every)
			defer tk.Stop()
			for seq := 1; ; seq++ {
				select {
				case <-stopSend:
					return
				case <-tk.C:
				}
				actx, acancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := c.call(actx, "message", sendArg{Room: room, Text: msgText(s, seq, time.Now(), sc.SlowText)})
				acancel()
				if err != nil {
					sendErrs.Add(1)
				} else {
					sent.Add(1)
				}
			}
		}()
	}
	stopSenders := func() {
		select {
		case <-stopSend:
		default:
			close(stopSend)
			sendWG.Wait()
		}
	}
	defer stopSenders()

	time.Sleep(3 * time.Second)
	rssBefore := rss.peak()

	// The slow client stops reading.
	phase.Store(1)
	slow.pause()
	stallAt := time.Now()
	slowAtStall := slowBytes.Load()
	var ev logEvent
	found := false
	deadline := stallAt.Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if ev, found = findDisconnect(srv.Logs(), slowUser); found {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	phase.Store(2)
	rssDuring := rss.peak()
	if !found {
		t.Errorf("the slow client was not disconnected within %s", time.Since(stallAt).Round(time.Second))
	}
	time.Sleep(2 * time.Second)
	stopSenders()
	rssAfter := rss.peak()
	statsAfter := srv.stats(t)

	// Drain what the kernel buffered for the slow client.
	slow.unpause()
	select {
	case <-slow.done:
	case <-time.After(5 * time.Second):
	}
	drained := slowBytes.Load() - slowAtStall

	rate := float64(sc.SlowSenders) * sc.SlowRate
	record(t, name, "room / senders / traffic", "%d members + 1 slow; %d senders × %.0f msg/s × %d B ≈ %s/s per member",
		sc.SlowMembers, sc.SlowSenders, sc.SlowRate, sc.SlowText, mib(int64(rate*float64(sc.SlowText+80))))
	record(t, name, "messages acked / refused", "%d / %d", sent.Load(), sendErrs.Load())
	if found {
		disc := ev.Time.Sub(stallAt)
		toSlow := series.valueAt(ev.Time) - series.valueAt(stallAt)
		record(t, name, "time until disconnected / reason", "%s / %q", ms(disc), ev.Reason)
		record(t, name, "bytes for it after the stall, until disconnect", "%s (%.0f B of it taken by kernel socket buffers)", mib(toSlow), float64(drained))
		record(t, name, "bytes dropped at disconnect (queue bound 1 MiB)", "%s", mib(max(0, toSlow-drained)))
		if lost := toSlow - drained; lost > 2*defaultMaxWriteQueueBytes {
			t.Errorf("%d bytes were queued for the slow client, more than twice the 1 MiB queue bound", lost)
		}
	}
	record(t, name, "others' delivery latency before", "%s", before.summary())
	record(t, name, "others' delivery latency during stall", "%s", during.summary())
	record(t, name, "others' delivery latency after", "%s", after.summary())
	record(t, name, "server RSS base / peak before / during / after", "%s / %s / %s / %s", mib(base.RSS), mib(rssBefore), mib(rssDuring), mib(rssAfter))
	record(t, name, "server fds / threads at end", "%d / %d (baseline %d / %d)", statsAfter.FDs, statsAfter.Threads, base.FDs, base.Threads)
}
