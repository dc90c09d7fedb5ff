//go:build e2e

package browser_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"rtserver/test/server/harness"
)

const chromium = "/usr/bin/chromium"

func TestDemoPageInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is required (make setup-apt installs it): %v", chromium, err)
	}
	root := harness.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "public/lib/socket.io.min.js")); err != nil {
		t.Fatalf("public/lib/socket.io.min.js is missing: run make setup-node before building: %v", err)
	}
	srv := harness.Start(t, harness.Build(t), map[string]string{
		"DEMO":       "1",
		"JWT_SECRET": "browser-e2e-secret-0123456789abcdef0123",
	})
	artifacts := filepath.Join(root, "test", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	harness.Node(t, ctx, root, map[string]string{
		"RT_BASE_URL":  srv.URL,
		"RT_CHROMIUM":  chromium,
		"RT_ARTIFACTS": artifacts,
	}, "test/browser/chat.mjs")
	srv.Stop(t)
}
