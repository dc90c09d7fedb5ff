//go:build e2e

package newcomer_test

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"rtserver/test/harness"
)

// TestMakeDemoStopsOnSIGTERM starts `make demo` as a newcomer would, waits
// for the page to be served, sends SIGTERM to make (the PID a supervisor or
// a terminal's job control knows), and checks that every process make
// started is gone and the port is closed: no orphaned server keeps
// answering.
func TestMakeDemoStopsOnSIGTERM(t *testing.T) {
	root := harness.RepoRoot(t)
	port := freePort(t)
	cmd := exec.Command("make", "--no-print-directory", "demo", "ADDR=127.0.0.1:"+strconv.Itoa(port))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DATA_DIR="+t.TempDir(), "METRICS_ADDR=127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	url := regexp.MustCompile(`http://127\.0\.0\.1:` + strconv.Itoa(port) + `/`)
	deadline := time.After(3 * time.Minute) // a cold build of the server
	var log []string
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("make demo ended before serving:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if url.MatchString(l) {
				break wait
			}
		case <-deadline:
			t.Fatalf("make demo printed no URL in time:\n%s", strings.Join(log, "\n"))
		}
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for _, p := range []string{"/readyz", "/", "/lib/socket.io.min.js"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
	}
	family := descendants(cmd.Process.Pid)
	if len(family) == 0 {
		t.Fatal("make demo has no child process")
	}
	t.Logf("make %d runs %v", cmd.Process.Pid, family)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("make demo still running 30 s after SIGTERM")
	}
	// The server shuts down in order (SHUTDOWN_TIMEOUT); give it that long.
	stop := time.Now().Add(15 * time.Second)
	for {
		var alive []int
		for _, pid := range family {
			if running(pid) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			break
		}
		if time.Now().After(stop) {
			for _, pid := range alive {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("processes left after make demo got SIGTERM: %v", alive)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		c.Close()
		t.Fatal("the demo port still accepts connections")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// descendants lists every process below pid (children, their children...),
// read from /proc.
func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(field); err == nil {
				out = append(out, c)
				out = append(out, descendants(c)...)
			}
		}
	}
	return out
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
