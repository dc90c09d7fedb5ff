package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRunMetricsListener: /metrics is served on METRICS_ADDR only; the
// public listener answers it 404; the metrics listener serves nothing else
// and stops with the server.
func TestRunMetricsListener(t *testing.T) {
	base, output, stop := start(t, map[string]string{"JWT_SECRET": edgeTestSecret})
	res, body := edgeDo(t, http.MethodGet, base+"/metrics", "")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, `"not_found"`) {
		t.Errorf("public /metrics: %d %s, want 404 not_found", res.StatusCode, body)
	}
	m := metricsLine.FindStringSubmatch(output())
	if m == nil {
		_ = stop()
		t.Fatalf("no metrics line:\n%s", output())
	}
	res, body = edgeDo(t, http.MethodGet, m[1], "")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "rt_engine_sessions ") {
		t.Errorf("metrics listener: %d %.200s", res.StatusCode, body)
	}
	metricsBase := strings.TrimSuffix(m[1], "/metrics")
	for _, p := range []string{"/", "/healthz", "/login", "/socket.io/?EIO=4&transport=polling"} {
		if res, _ := edgeDo(t, http.MethodGet, metricsBase+p, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("metrics listener %s: %d, want 404", p, res.StatusCode)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v\n%s", err, output())
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Error("metrics listener still serving after stop")
	}
}

// TestRunMetricsOff: METRICS_ADDR=off opens no metrics listener.
func TestRunMetricsOff(t *testing.T) {
	_, output, stop := start(t, map[string]string{"JWT_SECRET": edgeTestSecret, "METRICS_ADDR": "off"})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(output(), "rtserver metrics on") {
		t.Errorf("metrics listener opened with METRICS_ADDR=off:\n%s", output())
	}
}

// TestRunMetricsAddrInUse: a METRICS_ADDR that cannot be bound stops the
// start with an error naming it, and nothing is left open.
func TestRunMetricsAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	vars := map[string]string{"ADDR": "127.0.0.1:0", "DATA_DIR": t.TempDir(), "JWT_SECRET": edgeTestSecret, "METRICS_ADDR": ln.Addr().String()}
	err = run(ctx, []string{"server"}, env(vars), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("run with METRICS_ADDR in use: %v, want an error naming METRICS_ADDR", err)
	}
}
