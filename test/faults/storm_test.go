//go:build e2e

package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// outcomes counts connection attempts by result.
type outcomes struct {
	mu sync.Mutex
	m  map[string]int
}

func (o *outcomes) add(kind string) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]int{}
	}
	o.m[kind]++
	o.mu.Unlock()
}

func (o *outcomes) get(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[kind]
}

// failures counts attempts that are neither ok, 503 nor refused (nothing listening).
func (o *outcomes) failures() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for k, v := range o.m {
		if k != "ok" && k != "503" && k != "refused" {
			n += v
		}
	}
	return n
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, o.m[k]))
	}
	return strings.Join(parts, " ")
}

// attemptKind names the result of a failed dial.
func attemptKind(err error) string {
	var de *dialError
	switch {
	case errors.As(err, &de) && de.Status == http.StatusServiceUnavailable:
		return "503"
	case errors.As(err, &de) && de.Status != 0:
		return fmt.Sprintf("HTTP %d", de.Status)
	case refused(err):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &de):
		msg := de.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return "error:" + de.Stage + ":" + msg
	default:
		return "error"
	}
}

// TestFaultsReconnectStorm: N clients are connected when the server gets SIGTERM.
// While it shuts down each retries every 20-40 ms (counting the 503s) until nothing
// listens; once the new process listens on the same port all N dial at the same
// instant (a herd without backoff), retrying every 100-200 ms on failure.
func TestFaultsReconnectStorm(t *testing.T) {
	sc := currentScale()
	const name = "reconnect-storm"
	n := sc.StormClients
	env := baseEnv(t.TempDir())
	srv := startServer(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = mint(t, fmt.Sprintf("storm%05d", i))
	}
	cs, err := dialMany(ctx, srv.URL, n, 64, func(i int) string { return tokens[i] }, func(int) dialOpts { return dialOpts{} })
	if err != nil {
		t.Fatal(err)
	}

	var during, res outcomes // attempts while the old process shuts down; in the storm
	var connect durations    // storm start → CONNECT answered, retries included
	var lastOK atomic.Int64
	var back, down atomic.Int64 // reconnected; saw nothing listening
	out := make([]*client, n)
	storm := make(chan struct{})
	var stormAt time.Time
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			<-c.done
			c.close()
			for ctx.Err() == nil {
				time.Sleep(20*time.Millisecond + time.Duration(rng.Int64N(int64(20*time.Millisecond))))
				dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
				nc, err := dial(dctx, srv.URL, tokens[i], dialOpts{})
				dcancel()
				if err == nil { // not expected: the old process refuses new handshakes
					during.add("ok")
					nc.close()
					continue
				}
				kind := attemptKind(err)
				during.add(kind)
				if kind == "refused" {
					down.Add(1)
					break
				}
			}
			<-storm
			for attempt := 0; ctx.Err() == nil; attempt++ {
				if attempt > 0 {
					time.Sleep(100*time.Millisecond + time.Duration(rng.Int64N(int64(100*time.Millisecond))))
				}
				dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
				nc, err := dial(dctx, srv.URL, tokens[i], dialOpts{})
				dcancel()
				if err != nil {
					res.add(attemptKind(err))
					continue
				}
				now := time.Now()
				res.add("ok")
				connect.add(now.Sub(stormAt))
				for {
					l := lastOK.Load()
					if l >= now.UnixNano() || lastOK.CompareAndSwap(l, now.UnixNano()) {
						break
					}
				}
				back.Add(1)
				out[i] = nc
				return
			}
		}()
	}

	termAt := srv.Term(t)
	exitAt := srv.Wait(t, 60*time.Second)
	// Every client has seen the port closed before the new process starts.
	for deadline := time.Now().Add(30 * time.Second); down.Load() < int64(n) && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	env["ADDR"] = fmt.Sprintf("127.0.0.1:%d", srv.Port)
	srv2 := startServer(t, env)
	rss := sampleRSS(srv2.PID)
	defer rss.close()
	stormAt = time.Now()
	close(storm)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cancel()
		<-done
		t.Errorf("only %d of %d clients were back after 2 minutes", back.Load(), n)
	}
	allBack := time.Since(stormAt)
	alive := srv2.Alive()
	hc := &http.Client{Timeout: 5 * time.Second}
	readyz := 0
	if r, err := hc.Get(srv2.URL + "/readyz"); err == nil {
		readyz = r.StatusCode
		r.Body.Close()
	}
	st := srv2.stats(t)
	closeAll(out)

	window := time.Duration(lastOK.Load() - stormAt.UnixNano())
	perSec := 0.0
	if window > 0 {
		perSec = float64(back.Load()) / window.Seconds()
	}
	failed := res.failures() + during.failures()
	record(t, name, "clients", "%d dial at once, then every 100-200 ms", n)
	record(t, name, "server SIGTERM→exit, exit→ready", "%s, %s", ms(exitAt.Sub(termAt)), ms(srv2.Ready.Sub(exitAt)))
	record(t, name, "attempts during the shutdown", "%s", &during)
	record(t, name, "all reconnected after the storm start", "%s (%d of %d)", ms(allBack), back.Load(), n)
	record(t, name, "handshakes/s (storm start → last connect)", "%.0f", perSec)
	record(t, name, "connect time (retries included)", "%s", connect.summary())
	record(t, name, "storm attempts by result", "%s", &res)
	record(t, name, "503 vs other failures (storm+shutdown)", "%d vs %d (refused while nothing listened: %d)", res.get("503")+during.get("503"), failed, res.get("refused")+during.get("refused"))
	record(t, name, "server alive / readyz / peak RSS", "%v / %d / %s (%s)", alive, readyz, mib(max(rss.peak(), st.RSS)), st)
	if !alive || readyz != http.StatusOK {
		t.Errorf("server not healthy after the storm: alive=%v readyz=%d", alive, readyz)
	}
	if back.Load() != int64(n) {
		t.Errorf("%d of %d clients reconnected", back.Load(), n)
	}
}
