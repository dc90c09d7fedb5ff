//go:build e2e

package browser_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"rtserver/test/harness"
)

const chromium = "/usr/bin/chromium"

// TestBrowserDemoPage runs the chat.mjs scenario against a fresh server
// with the demo users: three browser contexts (alice, bob, and admin at
// phone width), chat, typing, markup as text, unread dots, the publish form
// and the notification bell, history after a reload. Screenshots land in
// test/artifacts/ (gitignored).
func TestBrowserDemoPage(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	harness.Node(t, ctx, root, map[string]string{
		"RT_BASE_URL":  srv.URL,
		"RT_CHROMIUM":  chromium,
		"RT_ARTIFACTS": artifacts,
	}, "test/browser/chat.mjs")
	srv.Stop(t)
}

// TestBrowserSession runs session.mjs against a server whose tokens last
// 6 s: the page refreshes its token on auth:expiring (POST /token, then
// auth:refresh) and stays connected, a second tab resumes the session from
// the cookie, and signing out in one tab ends the other.
func TestBrowserSession(t *testing.T) {
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("%s is required (make setup-apt installs it): %v", chromium, err)
	}
	root := harness.RepoRoot(t)
	const ttl = 6 * time.Second
	srv := harness.Start(t, harness.Build(t), map[string]string{
		"DEMO":       "1",
		"JWT_SECRET": "browser-e2e-secret-0123456789abcdef0123",
		"TOKEN_TTL":  ttl.String(),
	})
	artifacts := filepath.Join(root, "test", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	harness.Node(t, ctx, root, map[string]string{
		"RT_BASE_URL":     srv.URL,
		"RT_CHROMIUM":     chromium,
		"RT_ARTIFACTS":    artifacts,
		"RT_TOKEN_TTL_MS": strconv.FormatInt(ttl.Milliseconds(), 10),
	}, "test/browser/session.mjs")
	srv.Stop(t)
}
