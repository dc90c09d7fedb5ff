//go:build e2e

package cluster

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtserver/internal/store/pgtest"
	"rtserver/socketio/redisadapter/redistest"
	"rtserver/test/harness"
)

// Secrets of the test cluster: known, so the Node scripts can use them.
const (
	jwtSecret  = "cluster-secret-0123456789abcdef0123456789abcdef"
	publishKey = "cluster-publish-key-0123456789"
)

// presenceTTL is PRESENCE_TTL on every node: how long a killed node's users stay online.
const presenceTTL = 3 * time.Second

//go:embed nginx.conf.tmpl
var nginxConf string

// cluster is redis-server, one PostgreSQL database and the nodes sharing them.
type cluster struct {
	t     *testing.T
	Redis *redistest.Server
	DB    string
	env   map[string]string
	Nodes map[string]*harness.Server
}

// startCluster starts redis-server, a PostgreSQL database and nodes a and b (DEMO=1,
// the same JWT_SECRET), with extra added to every node's environment.
func startCluster(t *testing.T, extra map[string]string) *cluster {
	t.Helper()
	harness.RequireTools(t, "redis-server")
	rs := redistest.Start(t)
	pg := pgtest.New(t)
	c := &cluster{t: t, Redis: rs, DB: pg.NewDatabase(t), Nodes: map[string]*harness.Server{}}
	c.env = map[string]string{
		"DEMO":                 "1",
		"JWT_SECRET":           jwtSecret,
		"PUBLISH_API_KEYS":     publishKey,
		"REDIS_URL":            rs.URL() + "/0",
		"DATABASE_URL":         c.DB,
		"PRESENCE_TTL":         presenceTTL.String(),
		"TRUSTED_PROXIES":      "127.0.0.1",
		"EVENT_RATE":           "1000",
		"EVENT_BURST":          "1000",
		"MAX_SOCKETS_PER_USER": "0",
		"LOG_LEVEL":            "info",
	}
	for k, v := range extra {
		c.env[k] = v
	}
	// One after the other: both seed the demo users into the same empty database.
	c.startNode("a")
	c.startNode("b")
	return c
}

// startNode starts node id (NODE_ID=id) and returns it.
func (c *cluster) startNode(id string) *harness.Server {
	c.t.Helper()
	env := map[string]string{"NODE_ID": id}
	for k, v := range c.env {
		env[k] = v
	}
	s := harness.Start(c.t, serverBin, env)
	c.Nodes[id] = s
	return s
}

// hostPort is the host:port of a node's URL.
func hostPort(s *harness.Server) string { return strings.TrimPrefix(s.URL, "http://") }

// requireNodeModules fails the test when node or a package the scripts use is missing.
func requireNodeModules(t *testing.T) {
	t.Helper()
	harness.RequireNodeModules(t, "socket.io", "socket.io-client", "@socket.io/redis-adapter", "@socket.io/redis-emitter", "redis")
}

// nginx is the nginx in front of both nodes.
type nginx struct{ *harness.Nginx }

// startNginx renders nginx.conf.tmpl for nodes a and b and starts nginx on a free port
// (harness.StartNginx): stopped by PID at cleanup.
func startNginx(t *testing.T, a, b *harness.Server) *nginx {
	t.Helper()
	return &nginx{harness.StartNginx(t, nginxConf, "http", map[string]any{"A": hostPort(a), "B": hostPort(b)}, nil)}
}

// accessLog returns the lines of nginx's access log (log_format rt).
func (n *nginx) accessLog(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.Dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runNode runs `node --test file` here, one file at a time, with the cases matching
// pattern (all when empty) and env added; see harness.RunNodeTest.
func runNode(t *testing.T, file, pattern string, env map[string]string) {
	t.Helper()
	harness.RunNodeTest(t, harness.NodeTest{File: file, Pattern: pattern, Env: env, Serial: true})
}

// httpc is the suite's HTTP client: short timeouts, so a stuck node fails a check
// instead of hanging it.
var httpc = &http.Client{Timeout: 5 * time.Second}

// login logs a demo user in at base and returns the token.
func login(t testing.TB, base, user string) string {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, user+"-pass")
	res, err := httpc.Post(base+"/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || out.Token == "" {
		t.Fatalf("login %s: HTTP %d %v", user, res.StatusCode, err)
	}
	return out.Token
}

// readyz returns the status /readyz answers ("ready", "degraded"), or "HTTP n" / the
// error text.
func readyz(base string) string {
	res, err := httpc.Get(base + "/readyz")
	if err != nil {
		return "error: " + err.Error()
	}
	defer res.Body.Close()
	var out struct {
		Status string `json:"status"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != http.StatusOK {
		return "HTTP " + strconv.Itoa(res.StatusCode)
	}
	return out.Status
}

// metric returns the value of an unlabelled sample (e.g. go_goroutines) on the node's
// metrics listener.
func metric(t testing.TB, s *harness.Server, name string) float64 {
	t.Helper()
	res, err := httpc.Get(s.MetricsURL)
	if err != nil {
		t.Fatalf("GET %s: %v", s.MetricsURL, err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	_, _ = io.Copy(io.Discard, res.Body)
	t.Fatalf("metric %s not found on %s", name, s.MetricsURL)
	return 0
}
