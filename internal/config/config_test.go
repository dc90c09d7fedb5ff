package config_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"rtserver/internal/config"
	"rtserver/internal/identity"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := config.FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := config.Default()
	if c.Addr != ":8080" || c.DataDir != "./data" || c.TokenTTL != 15*time.Minute || c.AuthTimeout != 10*time.Second ||
		c.EventRate != 20 || c.EventBurst != 40 || c.MaxRoomsPerSocket != 100 || c.MaxSocketsPerUser != 20 ||
		c.MaxPayload != 100<<10 || c.ShutdownTimeout != 10*time.Second || c.ChatMaxText != 4096 ||
		c.HistoryLimit != 1000 || c.PingInterval != 25*time.Second || c.PingTimeout != 20*time.Second ||
		!slices.Equal(c.AuthSources, []identity.Source{"auth", "header", "query", "cookie"}) || c.Demo || c.LegacyClients ||
		c.AuthAfterConnect || c.JWTSecret != "" || c.String() != d.String() {
		t.Fatalf("defaults: %v", c)
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	keyFile := writeKey(t)
	c, err := config.FromEnv(env(map[string]string{
		"ADDR":                 "127.0.0.1:9000",
		"DATA_DIR":             t.TempDir(),
		"JWT_SECRET":           strings.Repeat("s", 32),
		"JWT_PUBLIC_KEY_FILE":  keyFile,
		"JWT_PUBLIC_KEY_ID":    "svc-1",
		"JWT_ISSUER":           "https://id.example.com",
		"JWT_AUDIENCE":         "rt",
		"TOKEN_TTL":            "1h",
		"ALLOWED_ORIGINS":      " https://App.Example.com:443 , http://localhost:3000,",
		"AUTH_SOURCES":         "cookie, AUTH",
		"AUTH_AFTER_CONNECT":   "1",
		"AUTH_TIMEOUT":         "5s",
		"DEMO":                 "1",
		"LOG_FORMAT":           "TEXT",
		"LOG_LEVEL":            "debug",
		"TRUSTED_PROXIES":      "10.0.0.0/8, 127.0.0.1,::1",
		"EVENT_RATE":           "2.5",
		"EVENT_BURST":          "5",
		"MAX_ROOMS_PER_SOCKET": "3",
		"MAX_SOCKETS_PER_USER": "0",
		"MAX_PAYLOAD":          "1 MB",
		"SHUTDOWN_TIMEOUT":     "30s",
		"CHAT_MAX_TEXT":        "100",
		"HISTORY_LIMIT":        "50",
		"PUBLISH_API_KEYS":     "k1-0123456789abcdef,k2-0123456789abcdef",
		"LEGACY_CLIENTS":       "1",
		"CONNECT_TIMEOUT":      "3s",
		"PING_INTERVAL":        "5s",
		"PING_TIMEOUT":         "4s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.JWTSecret.Reveal() != strings.Repeat("s", 32) || c.TokenTTL != time.Hour ||
		!slices.Equal(c.AllowedOrigins, []string{"https://app.example.com", "http://localhost:3000"}) ||
		!slices.Equal(c.AuthSources, []identity.Source{"auth", "cookie"}) || !c.AuthAfterConnect || !c.Demo ||
		c.LogFormat != "text" || c.LogLevel != slog.LevelDebug || len(c.TrustedProxies) != 3 ||
		c.EventRate != 2.5 || c.MaxSocketsPerUser != 0 || c.MaxPayload != 1<<20 || c.ChatMaxText != 100 ||
		!slices.Equal(c.PublishKeys(), []string{"k1-0123456789abcdef", "k2-0123456789abcdef"}) || !c.LegacyClients ||
		c.PingTimeout != 4*time.Second || c.JWTPublicKeyID != "svc-1" {
		t.Fatalf("got %v", c)
	}
}

// TestBadConfig lists a bad value for every variable: FromEnv refuses
// each with an error naming the variable.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	aFile := filepath.Join(dir, "file")
	if err := os.WriteFile(aFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, value string }{
		{"ADDR", "8080"},
		{"ADDR", "localhost:http"},
		{"ADDR", ":99999"},
		{"DATA_DIR", aFile},
		{"TLS_CERT_FILE", aFile},
		{"TLS_KEY_FILE", aFile},
		{"JWT_SECRET", "short"},
		{"JWT_SECRET", strings.Repeat("s", 31)},
		{"JWT_PUBLIC_KEY_FILE", filepath.Join(dir, "missing.pem")},
		{"JWT_PUBLIC_KEY_FILE", aFile},
		{"JWT_PUBLIC_KEY_ID", "kid-without-key"},
		{"JWT_ISSUER", "bad\nissuer"},
		{"JWT_AUDIENCE", strings.Repeat("a", 257)},
		{"TOKEN_TTL", "15"},
		{"TOKEN_TTL", "abc"},
		{"TOKEN_TTL", "-1m"},
		{"TOKEN_TTL", "0s"},
		{"ALLOWED_ORIGINS", "*"},
		{"ALLOWED_ORIGINS", "null"},
		{"ALLOWED_ORIGINS", "example.com"},
		{"ALLOWED_ORIGINS", "ftp://example.com"},
		{"ALLOWED_ORIGINS", "https://example.com/app"},
		{"ALLOWED_ORIGINS", "https://example.com?x=1"},
		{"ALLOWED_ORIGINS", "https://user@example.com"},
		{"ALLOWED_ORIGINS", "https://*.example.com"},
		{"ALLOWED_ORIGINS", "https://example.com:0"},
		{"ALLOWED_ORIGINS", "https://example.com\r\nX: y"},
		{"AUTH_SOURCES", "auth,body"},
		{"AUTH_AFTER_CONNECT", "maybe"},
		{"AUTH_TIMEOUT", "0"},
		{"AUTH_TIMEOUT", "soon"},
		{"DEMO", "2"},
		{"LOG_FORMAT", "xml"},
		{"LOG_LEVEL", "loud"},
		{"TRUSTED_PROXIES", "10.0.0.0/33"},
		{"TRUSTED_PROXIES", "proxy.internal"},
		{"EVENT_RATE", "0"},
		{"EVENT_RATE", "-1"},
		{"EVENT_RATE", "NaN"},
		{"EVENT_RATE", "Inf"},
		{"EVENT_RATE", "fast"},
		{"EVENT_BURST", "0"},
		{"EVENT_BURST", "1.5"},
		{"MAX_ROOMS_PER_SOCKET", "0"},
		{"MAX_SOCKETS_PER_USER", "-1"},
		{"MAX_SOCKETS_PER_USER", "many"},
		{"MAX_PAYLOAD", "10"},
		{"MAX_PAYLOAD", "1GB"},
		{"MAX_PAYLOAD", "65MB"},
		{"MAX_PAYLOAD", "-5KB"},
		{"MAX_PAYLOAD", "99999999999999999999"},
		{"SHUTDOWN_TIMEOUT", "-3s"},
		{"CHAT_MAX_TEXT", "0"},
		{"CHAT_MAX_TEXT", "200000"}, // above MAX_PAYLOAD
		{"HISTORY_LIMIT", "0"},
		{"HISTORY_LIMIT", "lots"},
		{"HISTORY_MAX_AGE", "-1h"},
		{"NOTIFICATION_LIMIT", "0"},
		{"NOTIFICATION_RETENTION", "-1h"},
		{"NOTIFICATION_RETENTION", "a while"},
		{"SESSION_TTL", "1m"},
		{"RECOVERY_WINDOW", "-1s"},
		{"REDIS_ADAPTER", "kafka"},
		{"REDIS_STREAM_MAXLEN", "0"},
		{"DATABASE_URL", "mysql://x"},
		{"REDIS_URL", "localhost:6379"},
		{"PRESENCE_TTL", "0s"},
		{"NODE_ID", "node.a"},
		{"HTTP_READ_HEADER_TIMEOUT", "0s"},
		{"HTTP_READ_TIMEOUT", "soon"},
		{"EXPIRY_GRACE", "11s"},
		{"EXPIRY_GRACE", "0s"},
		{"HISTORY_MAX_AGE", "forever"},
		{"PUBLIC_ROOMS", "general,Not Public"},
		{"PUBLISH_API_KEYS", "short"},
		{"PUBLISH_API_KEYS", "0123456789abcdef0,has space in it!!"},
		{"LEGACY_CLIENTS", "v2"},
		{"CONNECT_TIMEOUT", "0s"},
		{"PING_INTERVAL", "-25s"},
		{"PING_TIMEOUT", "20"},
		{"HANDSHAKE_RATE", "-1"},
		{"HANDSHAKE_RATE", "NaN"},
		{"HANDSHAKE_RATE", "Inf"},
		{"HANDSHAKE_RATE", "lots"},
		{"HANDSHAKE_BURST", "0"},
		{"HANDSHAKE_BURST", "1.5"},
		{"METRICS_ADDR", "9464"},
		{"METRICS_ADDR", "localhost:metrics"},
		{"METRICS_ADDR", ":99999"},
		{"METRICS_ADDR", ":8080"}, // the same as ADDR
		{"ADMIN_UI", "yes please"},
		{"ADMIN_UI_NAMESPACE", "/admin"},
		{"ADMIN_UI_NAMESPACE", "admin-ui"},
		{"ADMIN_UI_MODE", "debug"},
		{"ADMIN_UI_READONLY", "2"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.name] = true
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			_, err := config.FromEnv(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), tt.name+": ") {
				t.Fatalf("error %q does not start with the variable name", err)
			}
			var ve *config.VarError
			if !errors.As(err, &ve) || ve.Var != tt.name {
				t.Fatalf("error %v: want a VarError for %s", err, tt.name)
			}
		})
	}
	for _, name := range config.Names() {
		if !covered[name] {
			t.Errorf("no bad-value case for %s", name)
		}
	}
}

func TestBadConfigReportsAll(t *testing.T) {
	t.Parallel()
	_, err := config.FromEnv(env(map[string]string{"TOKEN_TTL": "x", "EVENT_BURST": "y"}))
	if err == nil || !strings.Contains(err.Error(), "TOKEN_TTL: must be a positive duration") || !strings.Contains(err.Error(), "EVENT_BURST:") {
		t.Fatalf("err = %v", err)
	}
	c := config.Default()
	c.TokenTTL, c.PingTimeout = 0, -1
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "TOKEN_TTL: must be a positive duration") || !strings.Contains(err.Error(), "PING_TIMEOUT:") {
		t.Fatalf("err = %v", err)
	}
	c = config.Default()
	c.AllowedOrigins = []string{"HTTPS://X.com"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"https://x.com"`) {
		t.Fatalf("unnormalized origin: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	const secret, key = "super-secret-value-0123456789-abcdef", "publish-key-0123456789"
	c, err := config.FromEnv(env(map[string]string{"JWT_SECRET": secret, "PUBLISH_API_KEYS": key}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "cfg", c, "secret", c.JWTSecret)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", c, "keys", c.PublishAPIKeys)
	fmt.Fprintf(&buf, "%v %+v %#v %s %q %x %v %v", c, c, c, c, c.JWTSecret, c.JWTSecret, c.PublishAPIKeys, &c)
	js, _ := json.Marshal(c)
	buf.Write(js)
	out := buf.String()
	if strings.Contains(out, secret) || strings.Contains(out, key) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
		t.Fatalf("secret printed:\n%s", out)
	}
	if !strings.Contains(out, "REDACTED") {
		t.Fatalf("no REDACTED marker:\n%s", out)
	}
	// A bad secret is not echoed in the error either.
	_, err = config.FromEnv(env(map[string]string{"JWT_SECRET": "tiny-secret"}))
	if err == nil || strings.Contains(err.Error(), "tiny-secret") {
		t.Fatalf("err = %v", err)
	}
}

func TestBindFlags(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	getenv := config.BindFlags(fs, env(map[string]string{"ADDR": ":1", "TOKEN_TTL": "1m"}))
	if fs.Lookup("jwt-secret") != nil || fs.Lookup("publish-api-keys") != nil {
		t.Fatal("secret mirrored by a flag")
	}
	if err := fs.Parse([]string{"-addr", ":2", "-max-payload=8KB"}); err != nil {
		t.Fatal(err)
	}
	c, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":2" || c.TokenTTL != time.Minute || c.MaxPayload != 8192 {
		t.Fatalf("got addr %s ttl %s payload %d", c.Addr, c.TokenTTL, c.MaxPayload)
	}
}

func writeKey(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	path := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLogValueDurationsAsText: the config line shows durations as an
// operator writes them ("15m0s"), not as nanoseconds (900000000000), in
// the JSON log too.
func TestLogValueDurationsAsText(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(map[string]string{"TOKEN_TTL": "15m"}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	if !strings.Contains(out, `"TOKEN_TTL":"15m0s"`) || strings.Contains(out, "900000000000") {
		t.Fatalf("TOKEN_TTL not as text:\n%s", out)
	}
	if strings.Contains(out, "000000000,") {
		t.Fatalf("a duration in nanoseconds:\n%s", out)
	}
}
