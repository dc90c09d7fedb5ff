//go:build e2e

package server_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"rtserver/test/harness"
)

// Secrets of the test servers: known, so the Node suites can mint tokens.
const (
	jwtSecret     = "e2e-secret-0123456789abcdef0123456789abcdef"
	jwtIssuer     = "rtserver-e2e"
	jwtAudience   = "rtserver-e2e-clients"
	allowedOrigin = "http://allowed.test:8080"
	publishKey    = "e2e-publish-key-0123456789"
)

func TestNodeSuites(t *testing.T) {
	root := harness.RepoRoot(t)
	bin := harness.Build(t)
	common := map[string]string{
		"DEMO":            "1",
		"JWT_SECRET":      jwtSecret,
		"JWT_ISSUER":      jwtIssuer,
		"JWT_AUDIENCE":    jwtAudience,
		"ALLOWED_ORIGINS": allowedOrigin,
		"AUTH_SOURCES":    "auth,header,query,cookie",
		"LOG_LEVEL":       "debug",
		// The suites send bursts of messages from one socket; the rate
		// limit has its own test server (strict) below.
		"EVENT_RATE":       "500",
		"EVENT_BURST":      "500",
		"PUBLISH_API_KEYS": publishKey,
	}
	mainSrv := harness.Start(t, bin, common)
	afterEnv := map[string]string{"AUTH_AFTER_CONNECT": "1", "AUTH_TIMEOUT": "1s"}
	for k, v := range common {
		afterEnv[k] = v
	}
	afterSrv := harness.Start(t, bin, afterEnv)
	// strict: short tokens and the default event rate, for the expiry,
	// refresh and flood tests.
	strictEnv := map[string]string{"TOKEN_TTL": "4s", "EXPIRY_GRACE": "1s", "EVENT_RATE": "20", "EVENT_BURST": "40"}
	for k, v := range common {
		if _, set := strictEnv[k]; !set {
			strictEnv[k] = v
		}
	}
	strictSrv := harness.Start(t, bin, strictEnv)
	// edge: behind a trusted proxy (127.0.0.1, so the suite plays the
	// proxy and sets X-Forwarded-For and X-Forwarded-Proto itself) with the
	// handshake limit on; the others trust no proxy and have it off.
	edgeEnv := map[string]string{"TRUSTED_PROXIES": "127.0.0.1", "HANDSHAKE_RATE": "1", "HANDSHAKE_BURST": "10"}
	for k, v := range common {
		edgeEnv[k] = v
	}
	edgeSrv := harness.Start(t, bin, edgeEnv)
	// races: no per-user socket cap, as a round opens a few hundred
	// sockets of one user (races.test.mjs), and less log.
	racesEnv := map[string]string{"MAX_SOCKETS_PER_USER": "0", "LOG_LEVEL": "info"}
	for k, v := range common {
		if _, set := racesEnv[k]; !set {
			racesEnv[k] = v
		}
	}
	racesSrv := harness.Start(t, bin, racesEnv)

	tokens := filepath.Join(t.TempDir(), "tokens.txt")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	harness.Node(t, ctx, root, map[string]string{
		"RT_BASE_URL":       mainSrv.URL,
		"RT_AFTER_URL":      afterSrv.URL,
		"RT_STRICT_URL":     strictSrv.URL,
		"RT_EDGE_URL":       edgeSrv.URL,
		"RT_EDGE_METRICS":   edgeSrv.MetricsURL,
		"RT_METRICS":        mainSrv.MetricsURL,
		"RT_RACES_URL":      racesSrv.URL,
		"RT_JWT_SECRET":     jwtSecret,
		"RT_JWT_ISSUER":     jwtIssuer,
		"RT_JWT_AUDIENCE":   jwtAudience,
		"RT_ALLOWED_ORIGIN": allowedOrigin,
		"RT_TOKENS_FILE":    tokens,
		"RT_PUBLISH_KEY":    publishKey,
	}, "--test", "--test-concurrency=1", "--test-reporter=spec", "test/server/")

	mainSrv.Stop(t)
	afterSrv.Stop(t)
	strictSrv.Stop(t)
	edgeSrv.Stop(t)
	racesSrv.Stop(t)
	harness.CheckSecretsAbsent(t, tokens, 20, mainSrv.Logs(), afterSrv.Logs(), strictSrv.Logs(), edgeSrv.Logs(), racesSrv.Logs())
	// The suites also record every Engine.IO session id and socket id (20
	// base64url characters): for a polling client the sid alone is the
	// session. Make sure they were recorded, so the check above covers them.
	b, err := os.ReadFile(tokens)
	if err != nil {
		t.Fatal(err)
	}
	if ids := regexp.MustCompile(`(?m)^[A-Za-z0-9_-]{20}$`).FindAll(b, -1); len(ids) < 100 {
		t.Errorf("only %d session or socket ids recorded in %s, want 100 or more", len(ids), tokens)
	}
}

// TestRestartKeepsWhatWasAccepted sends acked messages and an offline
// notification, kills the server (SIGKILL, no graceful flush), starts a
// new one on the same DATA_DIR, and checks that nothing acked is lost.
func TestRestartKeepsWhatWasAccepted(t *testing.T) {
	root := harness.RepoRoot(t)
	bin := harness.Build(t)
	env := map[string]string{
		"DEMO":             "1",
		"JWT_SECRET":       jwtSecret,
		"DATA_DIR":         t.TempDir(),
		"PUBLISH_API_KEYS": publishKey,
		"EVENT_RATE":       "500",
		"EVENT_BURST":      "500",
	}
	nodeEnv := map[string]string{
		"RT_JWT_SECRET":     jwtSecret,
		"RT_ALLOWED_ORIGIN": allowedOrigin,
		"RT_PUBLISH_KEY":    publishKey,
		"RT_STATE_FILE":     filepath.Join(t.TempDir(), "state.json"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	first := harness.Start(t, bin, env)
	nodeEnv["RT_BASE_URL"] = first.URL
	harness.Node(t, ctx, root, nodeEnv, "test/server/restart.mjs", "before")
	first.Kill(t)

	second := harness.Start(t, bin, env)
	nodeEnv["RT_BASE_URL"] = second.URL
	harness.Node(t, ctx, root, nodeEnv, "test/server/restart.mjs", "after")
	second.Stop(t)
}
