//go:build e2e

package tls

import (
	"os"
	"testing"

	"rtserver/test/harness"
)

// serverBin is cmd/server, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &serverBin, nil, true)) }
