//go:build e2e

package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// serverBin is cmd/server, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cluster-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "server")
	cmd := exec.Command("go", "build", "-o", serverBin, "rtserver/cmd/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/server: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	printFigures()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// figure is one recorded measurement.
type figure struct {
	Scenario, Name, Value string
}

var figures struct {
	mu   sync.Mutex
	rows []figure
}

// record logs a figure and keeps it for the table TestMain prints.
func record(t testing.TB, scenario, name, format string, args ...any) {
	t.Helper()
	v := fmt.Sprintf(format, args...)
	t.Logf("FIGURE %-14s %-46s %s", scenario, name, v)
	figures.mu.Lock()
	figures.rows = append(figures.rows, figure{scenario, name, v})
	figures.mu.Unlock()
}

func printFigures() {
	figures.mu.Lock()
	defer figures.mu.Unlock()
	if len(figures.rows) == 0 {
		return
	}
	fmt.Println("\n=== cluster figures ===")
	for _, f := range figures.rows {
		fmt.Printf("%-14s | %-46s | %s\n", f.Scenario, f.Name, f.Value)
	}
}
