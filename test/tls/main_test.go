//go:build e2e

package tls

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
	remove()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
