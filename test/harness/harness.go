// Package harness is what the end-to-end suites under test/ share: it builds
// cmd/server, starts it on 127.0.0.1 with a temp DATA_DIR, reads the bound
// URL from its stdout, waits for /readyz, keeps its output for log checks
// and stops it by PID; it runs node scripts and `node --test` suites with
// their output in the test log, and checks the tools and node_modules the
// suites need.
//
// A Server is used from one test goroutine; its log buffer is safe for the
// process's concurrent writes.
package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// RepoRoot returns the module root (the directory of go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the module")
	}
	return filepath.Dir(mod), nil
}

// Build compiles ./cmd/server into a temp dir and returns the binary path.
func Build(t testing.TB) string {
	t.Helper()
	bin, err := BuildServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// BuildServer compiles ./cmd/server into dir and returns the binary path.
// It takes no testing.TB so that a TestMain can build once for a package.
func BuildServer(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/server: %w\n%s", err, out)
	}
	return bin, nil
}

// Main is the TestMain of a suite that builds cmd/server once: it builds it into a
// temp dir and stores its path in *bin, runs the tests, calls after (nil: nothing;
// a suite prints its figures there), checks for leaked goroutines when leaks is set
// and the tests passed, and removes the build. It returns the code for os.Exit.
func Main(m *testing.M, bin *string, after func(), leaks bool) int {
	dir, err := os.MkdirTemp("", "rtserver-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildServer(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if after != nil {
		after()
	}
	if code == 0 && leaks {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

// CheckSecretsAbsent fails the test for every line of the file at path
// (one secret per line: tokens, session cookies, Engine.IO session ids,
// socket ids) found in logs. The file must exist and list at least min
// secrets, so an empty check cannot pass silently.
func CheckSecretsAbsent(t testing.TB, path string, min int, logs ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read tokens file: %v", err)
	}
	all := strings.Join(logs, "\n")
	seen := map[string]bool{}
	for _, secret := range strings.Split(string(b), "\n") {
		secret = strings.TrimSpace(secret)
		if len(secret) < 8 || seen[secret] {
			continue
		}
		seen[secret] = true
		if strings.Contains(all, secret) {
			t.Errorf("a secret (token, session or socket id) used by the suite appears in the server log: %.24s…", secret)
		}
	}
	if len(seen) < min {
		t.Errorf("only %d distinct tokens recorded in %s, want at least %d", len(seen), path, min)
	}
	t.Logf("checked %d tokens against %d bytes of server log", len(seen), len(all))
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
