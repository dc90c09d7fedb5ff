//go:build e2e

package cluster

import (
	"regexp"
	"strings"
	"testing"
)

// TestCluster starts redis-server, PostgreSQL, nodes a and b and nginx once and runs
// the Node scripts against them: nginx routing, cross-node behaviour, and the Node.js
// socket.io node on the same Redis. Then it checks nginx's access log: every request
// that carried a session id went to the node named by the id's prefix.
func TestCluster(t *testing.T) {
	requireNodeModules(t)
	c := startCluster(t, nil)
	a, b := c.Nodes["a"], c.Nodes["b"]
	ng := startNginx(t, a, b)
	env := map[string]string{
		"CL_NGINX":       ng.URL,
		"CL_A":           a.URL,
		"CL_B":           b.URL,
		"CL_REDIS":       c.Redis.URL() + "/0",
		"CL_PUBLISH_KEY": publishKey,
	}
	t.Run("nginx", func(t *testing.T) { runNode(t, "cluster.test.mjs", "^nginx", env) })
	t.Run("cross-node", func(t *testing.T) { runNode(t, "cluster.test.mjs", "^cross-node", env) })
	t.Run("interop", func(t *testing.T) { runNode(t, "interop.test.mjs", "", env) })
	t.Run("sticky", func(t *testing.T) {
		checkSticky(t, ng.accessLog(t), map[string]string{"a": hostPort(a), "b": hostPort(b)})
	})
}

// accessLine is one line of log_format rt.
var accessLine = regexp.MustCompile(`^(\S+) (\S+) sid_node=(\S*) transport=(\S*) upstream=(\S+) status=(\d+)$`)

// checkSticky checks every /socket.io/ request with a sid in the access log went to
// that sid's node (the log names the node the sid belongs to, sid_node, never the
// sid), and that requests without one (handshakes) reached both nodes.
func checkSticky(t *testing.T, lines []string, nodes map[string]string) {
	t.Helper()
	withSID, polling, handshakes := 0, 0, map[string]int{}
	for _, line := range lines {
		m := accessLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("unparsed access log line %q", line)
			continue
		}
		uri, sidNode, transport, upstream := m[2], m[3], m[4], m[5]
		if !strings.HasPrefix(uri, "/socket.io/") {
			continue
		}
		if sidNode == "" || sidNode == "-" {
			for id, addr := range nodes {
				if upstream == addr {
					handshakes[id]++
				}
			}
			continue
		}
		withSID++
		if transport == "polling" {
			polling++
		}
		if want := nodes[sidNode]; upstream != want {
			t.Errorf("request for a session of node %s went to %s, want %s: %q", sidNode, upstream, want, line)
		}
	}
	record(t, "nginx", "requests with a sid (polling)", "%d (%d)", withSID, polling)
	record(t, "nginx", "handshakes on node a / node b", "%d / %d", handshakes["a"], handshakes["b"])
	if polling < 50 {
		t.Errorf("only %d polling requests with a sid in the access log, want 50 or more", polling)
	}
	if handshakes["a"] == 0 || handshakes["b"] == 0 {
		t.Errorf("handshakes not spread over both nodes: %v", handshakes)
	}
}
