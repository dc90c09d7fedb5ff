//go:build e2e

package cluster

import (
	"os"
	"testing"

	"rtserver/test/harness"
)

// serverBin is cmd/server, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &serverBin, func() { figures.Print(os.Stdout, "cluster figures") }, true))
}

// figures are the suite's measurements, printed by TestMain.
var figures = &harness.Figures{ScenarioWidth: 14, NameWidth: 46}

// record logs a figure and keeps it for the table TestMain prints.
func record(t testing.TB, scenario, name, format string, args ...any) {
	t.Helper()
	figures.Record(t, scenario, name, format, args...)
}
