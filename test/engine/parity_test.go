//go:build e2e

package engine

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"rtserver/test/harness"
)

// TestParity runs parity.test.mjs against the Go fixture and against the Node reference
// fixture (reference-fixture.mjs), so its expectations are those of Node's server.
func TestParity(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client", "socket.io")
	goFix := startFixture(t, fixtureOptions{})
	ref := startReference(t)
	for _, target := range []struct{ name, url string }{{"go", goFix.url}, {"node-reference", ref}} {
		t.Run(target.name, func(t *testing.T) {
			harness.RunNodeTest(t, harness.NodeTest{File: "parity.test.mjs", Timeout: nodeTimeout, Env: map[string]string{
				"E2E_URL": target.url,
			}})
		})
	}
	// Figures, not assertions: time from io() to the first ack on default transports,
	// ours and Node's in the same run, interleaved.
	t.Run("figures", func(t *testing.T) {
		cmd := exec.Command("node", "firstack.mjs")
		cmd.Env = append(os.Environ(), "FIRSTACK_TARGETS=go="+goFix.url+",node="+ref)
		cmd.Stderr = &lineWriter{t: t}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("firstack.mjs: %v", err)
		}
		var res map[string]struct{ P50, P90, Max float64 }
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("firstack.mjs output %q: %v", out, err)
		}
		for _, name := range []string{"go", "node"} {
			r := res[name]
			t.Logf("FIGURE time-to-first-ack %-4s p50 %5.1f ms  p90 %5.1f ms  max %5.1f ms", name, r.P50, r.P90, r.Max)
		}
	})
}

// startReference starts reference-fixture.mjs (Node's socket.io 4.8 with the fixture's
// handlers) and returns the URL of its plain instance; the process is stopped by its PID
// when the test ends.
func startReference(t *testing.T) string {
	t.Helper()
	return harness.StartNodeScript(t, "", "reference-fixture.mjs", "E2E_URL")["E2E_URL"]
}

// lineWriter logs what a child process writes.
type lineWriter struct{ t *testing.T }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.t.Logf("reference-fixture.mjs: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
