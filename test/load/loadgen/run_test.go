package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var allFlags = []string{"loadgen", "-go-server", "/g", "-floor-server", "/f", "-node-server", "/n.mjs",
	"-product-server", "/p", "-node-product", "/np.mjs"}

func TestParseConfigServers(t *testing.T) {
	c, err := parseConfig(allFlags, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"go", "floor", "node", "product", "nodeproduct"}; !slices.Equal(c.servers, want) {
		t.Errorf("default servers %v, want %v", c.servers, want)
	}
	if c.productServer != "/p" || !slices.Equal(c.nodeProduct, []string{"node", "/np.mjs"}) {
		t.Errorf("product %q, node product %v", c.productServer, c.nodeProduct)
	}
	if len(c.jwtSecret) != 48 {
		t.Errorf("JWT secret of %d characters, want 48", len(c.jwtSecret))
	}
	c2, _ := parseConfig(allFlags, envOf(nil), io.Discard)
	if c2.jwtSecret == c.jwtSecret {
		t.Error("two runs share a JWT secret")
	}

	c, err = parseConfig([]string{"loadgen", "-product-server", "/p", "-node-product", "/np.mjs"},
		envOf(map[string]string{"LOAD_SERVERS": "product,nodeproduct"}), io.Discard)
	if err != nil {
		t.Fatalf("product kinds only, without the fixtures' paths: %v", err)
	}
	if !slices.Equal(c.servers, []string{"product", "nodeproduct"}) {
		t.Errorf("servers %v", c.servers)
	}

	for _, tt := range []struct {
		args    []string
		servers string
		want    string
	}{
		{allFlags, "go,php", `unknown server "php"`},
		{[]string{"loadgen", "-node-product", "/np.mjs"}, "product", "-product-server is required"},
		{[]string{"loadgen", "-product-server", "/p"}, "nodeproduct", "-node-product is required"},
		{[]string{"loadgen", "-product-server", "/p"}, "", "-go-server is required"},
	} {
		_, err := parseConfig(tt.args, envOf(map[string]string{"LOAD_SERVERS": tt.servers}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LOAD_SERVERS=%q %v: error %v, want %q", tt.servers, tt.args[1:], err, tt.want)
		}
	}
}

func TestRuns(t *testing.T) {
	for _, sc := range []string{"connect", "idle", "fanout", "pairs"} {
		for _, srv := range []string{"go", "floor", "node"} {
			if !runs(sc, srv) {
				t.Errorf("%s/%s not run", sc, srv)
			}
		}
		want := sc == "connect" || sc == "idle"
		for _, srv := range []string{"product", "nodeproduct"} {
			if runs(sc, srv) != want {
				t.Errorf("runs(%s, %s) = %v, want %v", sc, srv, !want, want)
			}
		}
	}
}

func TestListenURL(t *testing.T) {
	for _, tt := range []struct {
		line, want string
		ok         bool
	}{
		{"listening http://127.0.0.1:4000", "http://127.0.0.1:4000", true},
		{"rtserver listening on http://127.0.0.1:39111/", "http://127.0.0.1:39111", true},
		{"rtserver metrics on http://127.0.0.1:9464/metrics", "", false},
		{`{"time":"x","level":"WARN","msg":"listening","addr":"127.0.0.1:1"}`, "", false},
		{"listening ", "", false},
	} {
		got, ok := listenURL(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("listenURL(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProductEnv(t *testing.T) {
	env := productEnv([]string{"PATH=/bin", "DATABASE_URL=postgres://x", "HANDSHAKE_RATE=5", "LOAD_SCALE=1"}, "sec", "/tmp/d")
	for _, want := range []string{"PATH=/bin", "LOAD_SCALE=1", "ADDR=127.0.0.1:0", "JWT_SECRET=sec", "DATA_DIR=/tmp/d",
		"HANDSHAKE_RATE=0", "METRICS_ADDR=off", "LOG_LEVEL=warn"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %v", want, env)
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "DATABASE_URL=") || kv == "HANDSHAKE_RATE=5" {
			t.Errorf("env keeps %s from the caller", kv)
		}
	}
}

func TestConnectFrame(t *testing.T) {
	if got := string(connectFrame("/", `a"b`)); got != `40{"token":"a\"b"}` {
		t.Errorf("/: %s", got)
	}
	if got := string(connectFrame("/chat", "t")); got != `40/chat,{"token":"t"}` {
		t.Errorf("/chat: %s", got)
	}
}
