//go:build e2e

package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestFaultsAbruptCut: N connections in a few rooms, 30% cut without a close frame
// (10% FIN, 10% RST, 10% silent: the socket stays open but stops reading and answering
// pings). After pingInterval+pingTimeout (1s+1s here) the server's fds, threads and
// RSS (and goroutines/heap when /metrics exists) must be back to baseline plus the
// survivors, and the rooms' presence must list only the survivors.
func TestFaultsAbruptCut(t *testing.T) {
	sc := currentScale()
	const name = "abrupt-cut"
	const rooms = 10
	n := sc.CutClients
	env := baseEnv(t.TempDir())
	env["PING_INTERVAL"] = "1s"
	env["PING_TIMEOUT"] = "1s"
	srv := startServer(t, env)
	// A first connection warms up the server's pools before the baseline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if w, err := dial(ctx, srv.URL, mint(t, "cut-warmup"), dialOpts{}); err == nil {
		_, _ = w.join(ctx, "cut-0")
		w.close()
	}
	time.Sleep(3 * time.Second)
	base := srv.stats(t)
	_, hasMetrics := srv.metrics()

	t0 := time.Now()
	cs, err := dialMany(ctx, srv.URL, n, 64, func(i int) string { return mint(t, fmt.Sprintf("cut%05d", i)) }, func(int) dialOpts { return dialOpts{} })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.join(ctx, fmt.Sprintf("cut-%d", i%rooms)); err != nil {
				c.cutFIN() // dropped by the server (a late pong); counted below
			}
		}()
	}
	wg.Wait()
	connectTook := time.Since(t0)
	time.Sleep(time.Second)
	peak := srv.stats(t)

	// Clients the server already dropped (a pong later than the 1 s pingTimeout while
	// this process is busy dialing) leave the population.
	pop := make([]*client, 0, n)
	for _, c := range cs {
		select {
		case <-c.done:
		default:
			pop = append(pop, c)
		}
	}
	early := n - len(pop)
	cs = pop
	// Cut 30%: three of every ten.
	var fin, rst, silent int
	live := make([]*client, 0, n)
	var silenced []*client
	for i, c := range cs {
		switch i % 10 {
		case 0:
			c.cutFIN()
			fin++
		case 1:
			c.cutRST()
			rst++
		case 2:
			c.silence()
			silenced = append(silenced, c)
			silent++
		default:
			live = append(live, c)
		}
	}
	cutAt := time.Now()
	cut := fin + rst + silent
	want := base.Sockets + len(live)
	// Wait pingInterval+pingTimeout plus a second, then until the fds settle.
	time.Sleep(3 * time.Second)
	afterHB := srv.stats(t)
	settled := afterHB
	for time.Since(cutAt) < 20*time.Second && settled.Sockets > want {
		time.Sleep(100 * time.Millisecond)
		settled = srv.stats(t)
	}
	settleTook := time.Since(cutAt)

	// Survivors the server dropped (a pong later than the 1 s pingTimeout while this
	// process is busy) are not expected back.
	lost := map[*client]bool{}
	for _, c := range live {
		select {
		case <-c.done:
			lost[c] = true
		default:
		}
	}
	if len(lost) > 0 {
		settled = srv.stats(t)
	}
	// Presence: a new member of each room sees only the survivors.
	probe, err := dial(ctx, srv.URL, mint(t, "cut-probe"), dialOpts{})
	if err != nil {
		t.Fatal(err)
	}
	members, wantMembers := 0, 0
	for r := 0; r < rooms; r++ {
		a, err := probe.join(ctx, fmt.Sprintf("cut-%d", r))
		if err != nil {
			t.Fatal(err)
		}
		members += len(a.Members) - 1 // the probe itself
	}
	for i, c := range cs {
		if i%10 >= 3 && !lost[c] {
			wantMembers++
		}
	}
	probe.close()
	lostAfter := 0
	for _, c := range live {
		select {
		case <-c.done:
			lostAfter++
		default:
		}
	}

	// The silent ones still hold their sockets open on our side.
	silentEnded := 0
	for _, c := range silenced {
		select {
		case <-c.done:
			silentEnded++
		default:
		}
	}
	// Close the survivors too: back to the baseline.
	closeAll(live)
	closeAll(silenced)
	time.Sleep(3 * time.Second)
	end := srv.stats(t)

	record(t, name, "connections / cut (FIN / RST / silent)", "%d / %d (%d / %d / %d), connected+joined in %s", len(cs), cut, fin, rst, silent, ms(connectTook))
	record(t, name, "baseline", "%s", base)
	record(t, name, "peak", "%s", peak)
	record(t, name, "pingInterval+pingTimeout+1s after cut", "%s (want sockets %d = baseline+survivors)", afterHB, want)
	record(t, name, "sockets settled", "%d after %s from the cut", settled.Sockets, ms(settleTook))
	record(t, name, "presence members in rooms", "%d (want %d survivors)", members, wantMembers)
	record(t, name, "dropped by the server for a late pong", "%d while connecting, %d survivors after the cut", early, lostAfter)
	record(t, name, "all closed, 3s later", "%s", end)
	if !hasMetrics {
		record(t, name, "goroutines / heap", "n/a: the server has no /metrics endpoint yet (fds, threads and RSS only)")
	}
	slack := max(20, n/100)
	if settled.Sockets > want+slack {
		t.Errorf("server sockets %d after the cut, want about %d (baseline %d + %d survivors)", settled.Sockets, want, base.Sockets, len(live))
	}
	if members > wantMembers || members < wantMembers-(lostAfter-len(lost)) {
		t.Errorf("rooms list %d members after the cut, want %d", members, wantMembers)
	}
	if end.Sockets > base.Sockets+slack {
		t.Errorf("server sockets %d with every client gone, baseline %d", end.Sockets, base.Sockets)
	}
	if hasMetrics && base.Goroutines >= 0 && end.Goroutines > base.Goroutines+slack {
		t.Errorf("server goroutines %d with every client gone, baseline %d", end.Goroutines, base.Goroutines)
	}
}
