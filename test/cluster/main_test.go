//go:build e2e

package cluster

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"rtserver/test/harness"
)

// serverBin is cmd/server, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	bin, remove, err := harness.BuildServerTemp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = bin
	code := m.Run()
	figures.Print(os.Stdout, "cluster figures")
	remove()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// figures are the suite's measurements, printed by TestMain.
var figures = &harness.Figures{ScenarioWidth: 14, NameWidth: 46}

// record logs a figure and keeps it for the table TestMain prints.
func record(t testing.TB, scenario, name, format string, args ...any) {
	t.Helper()
	figures.Record(t, scenario, name, format, args...)
}
