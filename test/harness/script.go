package harness

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartNodeScript runs `node script` in dir (a reference fixture: Node's own server
// with the suite's handlers), waits up to 30 s until it has printed every one of keys
// as a KEY=value line, and returns those values. Its stderr goes to the test log. At
// cleanup it gets SIGTERM by PID, then SIGKILL after 10 s.
func StartNodeScript(t testing.TB, dir, script string, keys ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Stderr = &lineLogger{t: t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", script, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	vars := make(chan map[string]string, 1)
	go func() {
		m := map[string]string{}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok && m != nil {
				m[k] = v
				if hasAll(m, keys) {
					vars <- m
					m = nil // keep draining, so the script never blocks on its stdout
				}
			}
		}
		close(vars)
	}()
	select {
	case m, ok := <-vars:
		if !ok {
			t.Fatalf("%s exited before printing %v", script, keys)
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no %v within 30 s", script, keys)
	}
	return nil
}

func hasAll(m map[string]string, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
