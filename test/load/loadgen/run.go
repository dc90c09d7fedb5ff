package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	productconfig "rtserver/internal/config"
)

// config is everything a run depends on, read from flags and LOAD_* environment variables.
type config struct {
	goServer      string   // path of the built Go fixture server
	floorServer   string   // path of the built floor server (test/load/floorserver)
	nodeServer    []string // argv of the Node reference server
	productServer string   // path of the built product (cmd/server)
	nodeProduct   []string // argv of the Node reference product (test/load/nodeproduct.mjs)
	servers       []string // which to run, in order: go, floor, node, product, nodeproduct
	scenarios     []string // connect, idle, fanout, pairs
	serverCPU     string   // taskset CPU list for the servers
	token         string   // the fixed token of go, floor and node
	jwtSecret     string   // JWT_SECRET of product and nodeproduct; the loadgen mints their tokens

	scale          float64
	seconds        float64 // steady-state measurement window
	stepSeconds    float64 // one step of the fanout rate search
	settle         time.Duration
	drain          time.Duration
	concurrency    int
	equalDeliv     []float64     // fanout equal-rate loads, deliveries per second
	idleFor        time.Duration // idle: how long the connections sit idle before RSS is read
	release        time.Duration // idle: how long RSS is watched after the burst closes
	p99Limit       time.Duration
	rounds         int // each scenario runs on every server this many times, servers taking turns; medians are reported
	connects       int
	idle           int
	fanoutClients  int
	pairClients    int
	maxDeliveriesS float64 // fanout search stops here
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	goServer := fs.String("go-server", "", "path of the built Go fixture server (test/load/goserver)")
	floorServer := fs.String("floor-server", "", "path of the built floor server (test/load/floorserver)")
	nodeBin := fs.String("node", "node", "node binary")
	nodeScript := fs.String("node-server", "", "path of test/load/nodeserver.mjs")
	productServer := fs.String("product-server", "", "path of the built product (cmd/server)")
	nodeProduct := fs.String("node-product", "", "path of test/load/nodeproduct.mjs")
	if err := fs.Parse(args[1:]); err != nil {
		return config{}, err
	}
	num := func(name string, def float64) (float64, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("%s=%q: want a positive number", name, v)
		}
		return f, nil
	}
	list := func(name, def string) []string {
		v := getenv(name)
		if v == "" {
			v = def
		}
		return strings.Split(v, ",")
	}
	c := config{goServer: *goServer, floorServer: *floorServer, nodeServer: []string{*nodeBin, *nodeScript},
		productServer: *productServer, nodeProduct: []string{*nodeBin, *nodeProduct}, token: "load-token"}
	var err error
	if c.jwtSecret, err = newSecret(); err != nil {
		return c, err
	}
	if c.scale, err = num("LOAD_SCALE", 1); err != nil {
		return c, err
	}
	quick := c.scale < 1
	defSeconds, defStep, defSettle := 10.0, 3.0, 3.0
	if quick {
		defSeconds, defStep, defSettle = 3, 1, 2
	}
	if c.seconds, err = num("LOAD_SECONDS", defSeconds); err != nil {
		return c, err
	}
	if c.stepSeconds, err = num("LOAD_STEP_SECONDS", defStep); err != nil {
		return c, err
	}
	settle, err := num("LOAD_SETTLE_SECONDS", defSettle)
	if err != nil {
		return c, err
	}
	c.settle = time.Duration(settle * float64(time.Second))
	defIdle := 10.0
	if quick {
		defIdle = 5
	}
	idleFor, err := num("LOAD_IDLE_SECONDS", defIdle)
	if err != nil {
		return c, err
	}
	c.idleFor = time.Duration(idleFor * float64(time.Second))
	drain, err := num("LOAD_DRAIN_SECONDS", 3)
	if err != nil {
		return c, err
	}
	c.drain = time.Duration(drain * float64(time.Second))
	conc, err := num("LOAD_CONNECT_CONCURRENCY", 100)
	if err != nil {
		return c, err
	}
	c.concurrency = int(conc)
	for _, v := range list("LOAD_EQUAL_DELIVERIES", "20000,40000,60000") {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) {
			return c, fmt.Errorf("LOAD_EQUAL_DELIVERIES=%q: want positive numbers separated by commas", v)
		}
		c.equalDeliv = append(c.equalDeliv, f)
	}
	defRelease := 60.0
	if quick {
		defRelease = 20
	}
	release, err := num("LOAD_RELEASE_SECONDS", defRelease)
	if err != nil {
		return c, err
	}
	c.release = time.Duration(release * float64(time.Second))
	if c.maxDeliveriesS, err = num("LOAD_MAX_DELIVERIES", 3e6); err != nil {
		return c, err
	}
	rounds, err := num("LOAD_ROUNDS", 1)
	if err != nil {
		return c, err
	}
	c.rounds = max(1, int(rounds))
	p99, err := num("LOAD_P99_LIMIT_MS", 250)
	if err != nil {
		return c, err
	}
	c.p99Limit = time.Duration(p99 * float64(time.Millisecond))
	scaled := func(n float64, min int) int { return max(min, int(math.Round(n*c.scale))) }
	c.connects = scaled(5000, 10)
	c.idle = scaled(10000, 10)
	c.fanoutClients = scaled(1000, 2)
	c.pairClients = scaled(2000, 2) &^ 1 // even: rooms of two
	c.serverCPU = getenv("LOAD_SERVER_CPU")
	if c.serverCPU == "" {
		c.serverCPU = "0"
	}
	c.servers = list("LOAD_SERVERS", strings.Join(serverKinds, ","))
	c.scenarios = list("LOAD_SCENARIOS", "connect,idle,fanout,pairs")
	need := map[string]string{"go": *goServer, "floor": *floorServer, "node": *nodeScript, "product": *productServer, "nodeproduct": *nodeProduct}
	flagOf := map[string]string{"go": "-go-server", "floor": "-floor-server", "node": "-node-server", "product": "-product-server", "nodeproduct": "-node-product"}
	for _, s := range c.servers {
		path, known := need[s]
		if !known {
			return c, fmt.Errorf("LOAD_SERVERS: unknown server %q (want some of %s)", s, strings.Join(serverKinds, ","))
		}
		if path == "" {
			return c, fmt.Errorf("%s is required with LOAD_SERVERS %s", flagOf[s], s)
		}
	}
	for _, s := range c.scenarios {
		switch s {
		case "connect", "idle", "fanout", "pairs":
		default:
			return c, fmt.Errorf("LOAD_SCENARIOS: unknown scenario %q", s)
		}
	}
	return c, nil
}

// serverKinds are the servers loadgen knows, in the default order.
var serverKinds = []string{"go", "floor", "node", "product", "nodeproduct"}

// isProduct reports whether srv is the product (cmd/server) or its Node reference: they
// serve the authenticated /chat namespace and run the connect and idle scenarios only.
func isProduct(srv string) bool { return srv == "product" || srv == "nodeproduct" }

// runs reports whether scenario sc is run against server srv.
func runs(sc, srv string) bool { return !isProduct(srv) || sc == "connect" || sc == "idle" }

// run parses the configuration, runs every scenario for every server and prints the table.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	clk, err := clockTicks()
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "loadgen: "+format+"\n", a...) }
	logf("scale %.3g: connect %d, idle %d, fanout %d clients, pairs %d clients; servers pinned to CPU %s",
		cfg.scale, cfg.connects, cfg.idle, cfg.fanoutClients, cfg.pairClients, cfg.serverCPU)
	res := results{}
	for _, sc := range cfg.scenarios {
		// Rounds inside the scenario, servers taking turns: what else runs on the
		// machine then weighs on every server alike.
		for round := 1; round <= cfg.rounds; round++ {
			for _, srv := range cfg.servers {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !runs(sc, srv) {
					continue
				}
				if cfg.rounds > 1 {
					logf("%s/%s: round %d of %d", sc, srv, round, cfg.rounds)
				}
				r := &runner{cfg: cfg, server: srv, clk: clk, logf: logf}
				m, err := r.scenario(ctx, sc)
				if err != nil {
					logf("%s/%s: %v", sc, srv, err)
					m.err = err.Error()
				}
				res.put(sc, srv, m)
			}
		}
	}
	res.print(stdout, cfg)
	return ctx.Err()
}

// clockTicks returns sysconf(_SC_CLK_TCK) as getconf reports it (100 on Linux/amd64).
func clockTicks() (int64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100, nil //nolint:nilerr // the kernel's USER_HZ is 100 on every common arch
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// server is one started server process (its PID is the server itself: taskset execs it).
type server struct {
	cmd     *exec.Cmd
	pid     int
	url     string
	done    chan struct{}
	cleanup func() // after the process ended (the product's DATA_DIR); nil: nothing
}

// productEnv is environ without any variable the product reads (internal/config), so the
// shell running the load cannot change the product under test, plus the load run's settings:
// a loopback listener on any port; the run's JWT_SECRET; a fresh DATA_DIR (SQLite, removed
// after); no per-address handshake limit (HANDSHAKE_RATE=0: every client comes from
// 127.0.0.1, and 5,000 connects from one address is the load, not an attack); no metrics
// listener; LOG_LEVEL=warn, so the info line per connect and disconnect is not part of the
// measurement. Everything else is the product's default (MAX_SOCKETS_PER_USER 20 does not
// bite: every client is its own user; RECOVERY_WINDOW 2m, EVENT_RATE, PING_INTERVAL, ...).
func productEnv(environ []string, secret, dataDir string) []string {
	names := map[string]bool{}
	for _, n := range productconfig.Names() {
		names[n] = true
	}
	out := make([]string, 0, len(environ)+6)
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); !names[k] {
			out = append(out, kv)
		}
	}
	return append(out, "ADDR=127.0.0.1:0", "JWT_SECRET="+secret, "DATA_DIR="+dataDir,
		"HANDSHAKE_RATE=0", "METRICS_ADDR=off", "LOG_LEVEL=warn")
}

// listenURL finds the server's base URL in one line of its stdout: "listening
// http://127.0.0.1:PORT" (the fixtures and the Node servers) or "rtserver listening on
// http://127.0.0.1:PORT/" (cmd/server). The product's JSON log lines never match.
func listenURL(line string) (string, bool) {
	_, rest, found := strings.Cut(line, "listening ")
	if !found {
		return "", false
	}
	f := strings.Fields(strings.TrimPrefix(rest, "on "))
	if len(f) == 0 || !strings.HasPrefix(f[0], "http://") {
		return "", false
	}
	return strings.TrimRight(f[0], "/"), true
}

// startServer starts the named server pinned to cfg.serverCPU and waits for the line with
// its URL (listenURL); lines before it are logged.
func startServer(ctx context.Context, cfg config, name string, logf func(string, ...any)) (*server, error) {
	argv := []string{"taskset", "-c", cfg.serverCPU}
	env := append(os.Environ(), "LOAD_TOKEN="+cfg.token)
	var cleanup func()
	switch name {
	case "go":
		argv = append(argv, cfg.goServer, "-addr", "127.0.0.1:0")
	case "floor":
		argv = append(argv, cfg.floorServer, "-addr", "127.0.0.1:0")
	case "node":
		argv = append(argv, cfg.nodeServer...)
	case "product":
		dir, err := os.MkdirTemp("", "loadgen-product-")
		if err != nil {
			return nil, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		argv = append(argv, cfg.productServer)
		env = productEnv(os.Environ(), cfg.jwtSecret, dir)
	case "nodeproduct":
		argv = append(argv, cfg.nodeProduct...)
		env = append(os.Environ(), "LOAD_JWT_SECRET="+cfg.jwtSecret)
	default:
		return nil, fmt.Errorf("unknown server %q", name)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stderr = prefixWriter{prefix: name + "-server: ", w: os.Stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, fmt.Errorf("start %v: %w", argv, err)
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{}), cleanup: cleanup}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found {
				if u, ok := listenURL(sc.Text()); ok {
					urls <- u
					found = true
					continue
				}
			}
			logf("%s-server: %s", name, sc.Text())
		}
		if !found {
			close(urls)
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			s.stop()
			return nil, fmt.Errorf("%s server exited without reporting its address", name)
		}
		s.url = u
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s server did not start within 20 s", name)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				logf("%s server pid %d at %s, CPUs %s", name, s.pid, s.url, strings.TrimSpace(v))
			}
		}
	}
	return s, nil
}

// stop sends SIGTERM to the server's PID, then SIGKILL to the same PID after 5 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if s.cleanup != nil {
		s.cleanup()
		s.cleanup = nil
	}
}

func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

type prefixWriter struct {
	prefix string
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			fmt.Fprint(p.w, p.prefix+l)
		}
	}
	return len(b), nil
}
