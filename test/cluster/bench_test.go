//go:build e2e

package cluster

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/socketio/redisadapter/redistest"
	"rtserver/test/harness"
)

// Benchmark sizes; see bench.sh.
const (
	benchMembers  = 1000 // room members, half on each node; the sender is one more
	benchWarmup   = time.Second
	benchMeasure  = 4 * time.Second
	benchP99Limit = 250 * time.Millisecond
)

// benchRates are the steps, in messages per second into the room (each is delivered to
// benchMembers sockets). A kind stops at its first step over benchP99Limit or below 90%
// of the expected deliveries.
var benchRates = []int{10, 20, 40, 80, 120, 160, 240, 320, 480}

// benchEqualRate is the step where both kinds are compared for p99 and CPU.
const benchEqualRate = 20

// TestBench compares two Go nodes (test/load/goserver with REDIS_URL, the Redis adapter;
// go-streams: REDIS_ADAPTER=streams, the streams adapter without recovery) with two
// Node.js socket.io 4.8.4 nodes (benchnode.mjs, @socket.io/redis-adapter), each pair on
// its own redis-server, with the same load: 1,000 members of one room split over the
// two nodes and a sender on the first node. It prints deliveries/s, p99 latency and
// server CPU per delivery (utime+stime of both node processes from /proc) per step, and
// the Go/Node ratios. Only with CLUSTER_BENCH=1 (bench.sh); never in CI. A measurement,
// not a test: nothing is asserted beyond the servers working.
func TestBench(t *testing.T) {
	if os.Getenv("CLUSTER_BENCH") != "1" {
		t.Skip("the cluster benchmark runs with CLUSTER_BENCH=1 (test/cluster/bench.sh)")
	}
	requireNodeModules(t)
	harness.RequireTools(t, "redis-server")
	dir := t.TempDir()
	gobin := filepath.Join(dir, "goserver")
	if out, err := exec.Command("go", "build", "-o", gobin, "rtserver/test/load/goserver").CombinedOutput(); err != nil {
		t.Fatalf("build goserver: %v\n%s", err, out)
	}
	kinds := []struct {
		name string
		argv []string
		env  []string
	}{
		{"go", []string{gobin}, nil},
		{"go-streams", []string{gobin}, []string{"REDIS_ADAPTER=streams"}},
		{"node", []string{"node", "benchnode.mjs"}, nil},
		{"node-streams", []string{"node", "benchnode.mjs"}, []string{"REDIS_ADAPTER=streams"}},
	}
	results := map[string][]benchStep{}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			// Everything else on the machine competes for the same cores: say how busy it was.
			if la, err := os.ReadFile("/proc/loadavg"); err == nil {
				record(t, "bench "+k.name, "load average before (1/5/15 min)", "%s", strings.Join(strings.Fields(string(la))[:3], " "))
			}
			rs := redistest.Start(t)
			env := append([]string{"REDIS_URL=" + rs.URL() + "/0", "LOAD_TOKEN=load-token"}, k.env...)
			// CLUSTER_BENCH_GOMAXPROCS sets GOMAXPROCS of the Go nodes only (default: the
			// number of CPUs, like any Go program).
			if p := os.Getenv("CLUSTER_BENCH_GOMAXPROCS"); p != "" && strings.HasPrefix(k.name, "go") {
				env = append(env, "GOMAXPROCS="+p)
				record(t, "bench go", "GOMAXPROCS of each Go node", "%s", p)
			}
			n1 := startBenchProc(t, k.argv, env)
			n2 := startBenchProc(t, k.argv, env)
			results[k.name] = runBench(t, k.name, n1, n2)
		})
	}
	best := func(steps []benchStep) benchStep {
		var b benchStep
		for _, s := range steps {
			if s.ok() && s.PerSec > b.PerSec {
				b = s
			}
		}
		return b
	}
	at := func(steps []benchStep, rate int) benchStep {
		for _, s := range steps {
			if s.Rate == rate {
				return s
			}
		}
		return benchStep{}
	}
	if st := results["go-streams"]; len(st) > 0 {
		g, gs := best(results["go"]), best(st)
		ge, se := at(results["go"], benchEqualRate), at(st, benchEqualRate)
		record(t, "bench", "highest deliveries/s with p99 < 250ms (go-streams)", "%.0f (p99 %s, %d msg/s)", gs.PerSec, ms(gs.P99), gs.Rate)
		record(t, "bench", "streams/pubsub deliveries/s", "%.2fx", gs.PerSec/g.PerSec)
		record(t, "bench", fmt.Sprintf("at %d msg/s: p99 pubsub / streams", benchEqualRate), "%s / %s", ms(ge.P99), ms(se.P99))
		record(t, "bench", fmt.Sprintf("at %d msg/s: CPU per delivery pubsub / streams", benchEqualRate), "%.2fµs / %.2fµs", ge.CPUPer, se.CPUPer)
		if ns := results["node-streams"]; len(ns) > 0 {
			n := best(ns)
			ne := at(ns, benchEqualRate)
			record(t, "bench", "highest deliveries/s with p99 < 250ms (node-streams)", "%.0f (p99 %s, %d msg/s)", n.PerSec, ms(n.P99), n.Rate)
			record(t, "bench", "go-streams/node-streams deliveries/s", "%.2fx", gs.PerSec/n.PerSec)
			record(t, "bench", fmt.Sprintf("at %d msg/s: CPU per delivery go-streams / node-streams", benchEqualRate), "%.2fµs / %.2fµs", se.CPUPer, ne.CPUPer)
		}
	}
	if len(results["node"]) == 0 {
		return // CLUSTER_BENCH_ONLY=go
	}
	g, n := best(results["go"]), best(results["node"])
	record(t, "bench", "highest deliveries/s with p99 < 250ms (go)", "%.0f (p99 %s, %d msg/s)", g.PerSec, ms(g.P99), g.Rate)
	record(t, "bench", "highest deliveries/s with p99 < 250ms (node)", "%.0f (p99 %s, %d msg/s)", n.PerSec, ms(n.P99), n.Rate)
	record(t, "bench", "go/node deliveries/s (target >= 2x)", "%.2fx", g.PerSec/n.PerSec)
	ge, ne := at(results["go"], benchEqualRate), at(results["node"], benchEqualRate)
	record(t, "bench", fmt.Sprintf("at %d msg/s: deliveries/s go / node", benchEqualRate), "%.0f / %.0f", ge.PerSec, ne.PerSec)
	record(t, "bench", fmt.Sprintf("at %d msg/s: p99 go / node", benchEqualRate), "%s / %s (%.2fx)", ms(ge.P99), ms(ne.P99), float64(ge.P99)/float64(ne.P99))
	record(t, "bench", fmt.Sprintf("at %d msg/s: CPU per delivery go / node", benchEqualRate), "%.2fµs / %.2fµs (%.2fx)", ge.CPUPer, ne.CPUPer, ge.CPUPer/ne.CPUPer)
	record(t, "bench", "go/node CPU per delivery at the highest step", "%.2fµs / %.2fµs", g.CPUPer, n.CPUPer)
}

// benchStep is one measured step.
type benchStep struct {
	Rate     int           // messages/s sent
	PerSec   float64       // deliveries/s received
	Expected float64       // deliveries/s expected
	P50, P99 time.Duration // delivery latency
	CPUPer   float64       // server CPU µs per delivery (both nodes)
}

func (s benchStep) ok() bool {
	return s.Rate > 0 && s.P99 < benchP99Limit && s.PerSec >= 0.9*s.Expected
}

// benchProc is a benchmark node this test started.
type benchProc struct {
	URL string
	Pid int
}

// startBenchProc starts argv (in this directory) with env added, waits for its
// "listening http://…" line and stops it (SIGTERM by PID, SIGKILL after 5 s) at cleanup.
func startBenchProc(t *testing.T, argv, env []string) benchProc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	done := make(chan struct{})
	urls := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				select {
				case urls <- u:
				default:
				}
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	select {
	case u := <-urls:
		return benchProc{URL: u, Pid: cmd.Process.Pid}
	case <-done:
		t.Fatalf("%v exited before listening:\n%s", argv, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("%v did not listen within 15 s", argv)
	}
	return benchProc{}
}

// cpuTime is utime+stime of pid from /proc/<pid>/stat.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may contain spaces) start at ") ".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const clkTck = 100                       // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck
}

// hist is a latency histogram: 10 µs buckets to 10 ms, then 1 ms buckets to 10 s.
type hist struct {
	b [1000 + 9990 + 1]atomic.Int64
}

func (h *hist) add(d time.Duration) {
	us := d.Microseconds()
	var i int64
	switch {
	case us < 0:
		i = 0
	case us < 10_000:
		i = us / 10
	case us < 10_000_000:
		i = 1000 + (us-10_000)/1000
	default:
		i = int64(len(h.b) - 1)
	}
	h.b[i].Add(1)
}

func (h *hist) count() int64 {
	var n int64
	for i := range h.b {
		n += h.b[i].Load()
	}
	return n
}

func (h *hist) quantile(q float64) time.Duration {
	n := h.count()
	if n == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(n)))
	var c int64
	for i := range h.b {
		c += h.b[i].Load()
		if c >= want {
			if i < 1000 {
				return time.Duration(i*10+10) * time.Microsecond
			}
			return time.Duration(10_000+(i-1000)*1000+1000) * time.Microsecond
		}
	}
	return 10 * time.Second
}

// msgPrefix starts every delivery: 42["msg",<unix ns>].
var msgPrefix = []byte(`42["msg",`)

// runBench connects the members and the sender and runs the steps.
func runBench(t *testing.T, kind string, n1, n2 benchProc) []benchStep {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cur atomic.Pointer[hist]
	cur.Store(&hist{})
	onMsg := func(m []byte) {
		if !bytes.HasPrefix(m, msgPrefix) {
			return
		}
		now := time.Now()
		p := m[len(msgPrefix):]
		if i := bytes.IndexByte(p, ']'); i > 0 {
			if ns, err := strconv.ParseInt(string(p[:i]), 10, 64); err == nil {
				cur.Load().add(now.Sub(time.Unix(0, ns)))
			}
		}
	}
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, benchMembers)
	errs := make(chan error, benchMembers)
	sem := make(chan struct{}, 50)
	for i := range benchMembers {
		base := n1.URL
		if i%2 == 1 {
			base = n2.URL
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := benchDial(ctx, base)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("%s: member dial: %v", kind, err)
	}
	var readers sync.WaitGroup
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			benchRead(c, onMsg)
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		readers.Wait()
	}()
	sender, err := benchDial(ctx, n1.URL)
	if err != nil {
		t.Fatalf("%s: sender dial: %v", kind, err)
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		benchRead(sender, func([]byte) {})
	}()
	defer sender.Close()
	time.Sleep(time.Second) // every join settled on both nodes

	var wmu sync.Mutex
	send := func() error {
		wmu.Lock()
		defer wmu.Unlock()
		return sender.WriteMessage(websocket.TextMessage, []byte(`42["broadcast","bench",`+strconv.FormatInt(time.Now().UnixNano(), 10)+`]`))
	}
	var steps []benchStep
	for _, rate := range benchRates {
		stop := make(chan struct{})
		var sendErr atomic.Value
		var sw sync.WaitGroup
		sw.Add(1)
		go func() {
			defer sw.Done()
			const tick = 5 * time.Millisecond
			tk := time.NewTicker(tick)
			defer tk.Stop()
			start, sentN := time.Now(), 0
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
				}
				due := int(time.Since(start).Seconds() * float64(rate))
				for ; sentN < due; sentN++ {
					if err := send(); err != nil {
						sendErr.Store(err)
						return
					}
				}
			}
		}()
		time.Sleep(benchWarmup)
		h := &hist{}
		cur.Store(h)
		c1, c2 := cpuTime(t, n1.Pid), cpuTime(t, n2.Pid)
		t0 := time.Now()
		time.Sleep(benchMeasure)
		cur.Store(&hist{})
		el := time.Since(t0)
		cpu := cpuTime(t, n1.Pid) - c1 + cpuTime(t, n2.Pid) - c2
		close(stop)
		sw.Wait()
		if err, _ := sendErr.Load().(error); err != nil {
			t.Fatalf("%s: send: %v", kind, err)
		}
		n := h.count()
		s := benchStep{
			Rate: rate, PerSec: float64(n) / el.Seconds(), Expected: float64(rate * benchMembers),
			P50: h.quantile(0.5), P99: h.quantile(0.99),
		}
		if n > 0 {
			s.CPUPer = float64(cpu.Microseconds()) / float64(n)
		}
		steps = append(steps, s)
		record(t, "bench "+kind, fmt.Sprintf("%d msg/s × %d members", rate, benchMembers),
			"%.0f deliveries/s (%.0f%%) p50 %s p99 %s, CPU %.2fµs/delivery (%.0f%% of a core)",
			s.PerSec, 100*s.PerSec/s.Expected, ms(s.P50), ms(s.P99), s.CPUPer, 100*cpu.Seconds()/el.Seconds())
		time.Sleep(2 * time.Second) // drain the backlog before the next step
		if !s.ok() {
			break
		}
	}
	return steps
}

var openSID = regexp.MustCompile(`"sid":"([^"]+)"`)

// benchDial connects a member to "/" with the load token and joins room "bench".
func benchDial(ctx context.Context, base string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, res, err := websocket.DefaultDialer.DialContext(dctx, u, nil)
	if err != nil {
		if res != nil {
			res.Body.Close()
		}
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, m, err := c.ReadMessage(); err != nil || !openSID.Match(m) {
		c.Close()
		return nil, fmt.Errorf("open: %q %v", m, err)
	}
	steps := []struct{ send, want string }{
		{`40{"token":"load-token"}`, "40"},
		{`420["join","bench"]`, "430[true]"},
	}
	for _, s := range steps {
		if err := c.WriteMessage(websocket.TextMessage, []byte(s.send)); err != nil {
			c.Close()
			return nil, err
		}
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("waiting for %s: %w", s.want, err)
			}
			if string(m) == "2" {
				_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
				continue
			}
			if strings.HasPrefix(string(m), s.want) {
				break
			}
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, nil
}

// benchRead reads until the connection ends, answering pings. Only this goroutine
// writes to c (pongs) once the members are connected.
func benchRead(c *websocket.Conn, onMsg func([]byte)) {
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			return
		}
		if len(m) == 1 && m[0] == '2' {
			_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
			continue
		}
		onMsg(m)
	}
}
