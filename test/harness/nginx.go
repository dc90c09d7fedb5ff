package harness

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// Nginx is an nginx master process a test started, in the foreground, with its
// files in Dir.
type Nginx struct {
	// URL is where it listens (scheme as the config serves), without a trailing slash.
	URL string
	// Dir holds its config, logs, pid and temp files.
	Dir string

	cmd  *exec.Cmd
	done chan error
	once sync.Once
}

// StartNginx renders conf (a text/template) with data plus Dir, Port (a free port)
// and Root (whether nginx runs as root), starts nginx on it and waits until
// scheme://127.0.0.1:Port/healthz answers 200 through client (nil: a plain client),
// up to 10 s. It is stopped at cleanup (Stop).
func StartNginx(t testing.TB, conf, scheme string, data map[string]any, client *http.Client) *Nginx {
	t.Helper()
	RequireTools(t, "nginx")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	vars := map[string]any{"Dir": dir, "Port": port, "Root": os.Geteuid() == 0}
	for k, v := range data {
		vars[k] = v
	}
	var rendered bytes.Buffer
	if err := template.Must(template.New("nginx.conf").Parse(conf)).Execute(&rendered, vars); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, rendered.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-p", dir, "-c", confPath, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+";")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	n := &Nginx{URL: scheme + "://127.0.0.1:" + strconv.Itoa(port), Dir: dir, cmd: cmd, done: make(chan error, 1)}
	go func() { n.done <- cmd.Wait() }()
	t.Cleanup(func() { n.Stop(t) })
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := client.Get(n.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return n
			}
		}
		select {
		case err := <-n.done:
			n.done <- err
			elog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", err, out.String(), elog)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx on %s did not answer /healthz: %v", n.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGQUIT (graceful) to the master's PID and waits, then SIGKILL.
func (n *Nginx) Stop(t testing.TB) {
	n.once.Do(func() {
		if err := syscall.Kill(n.cmd.Process.Pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("stop nginx: %v", err)
		}
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(n.cmd.Process.Pid, syscall.SIGKILL)
			<-n.done
		}
	})
}
