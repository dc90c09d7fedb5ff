package harness

import (
	"fmt"
	"io"
	"sync"
	"testing"
)

// Figures collects the measurements a suite logs as it runs, for one table
// its TestMain prints at the end. Safe for concurrent use.
type Figures struct {
	// ScenarioWidth and NameWidth pad the first two columns; zero means no padding.
	ScenarioWidth, NameWidth int

	mu   sync.Mutex
	rows []figure
}

// figure is one recorded measurement.
type figure struct {
	scenario, name, value string
}

// Record logs a figure ("FIGURE scenario name value") and keeps it for Print.
func (f *Figures) Record(t testing.TB, scenario, name, format string, args ...any) {
	t.Helper()
	v := fmt.Sprintf(format, args...)
	t.Logf("FIGURE %-*s %-*s %s", f.ScenarioWidth, scenario, f.NameWidth, name, v)
	f.mu.Lock()
	f.rows = append(f.rows, figure{scenario, name, v})
	f.mu.Unlock()
}

// Print writes the figures recorded so far under "=== title ===" to w; it
// writes nothing when none were recorded.
func (f *Figures) Print(w io.Writer, title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n=== %s ===\n", title)
	for _, r := range f.rows {
		fmt.Fprintf(w, "%-*s | %-*s | %s\n", f.ScenarioWidth, r.scenario, f.NameWidth, r.name, r.value)
	}
}
