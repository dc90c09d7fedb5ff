package config_test

import (
	"testing"

	"rtserver/internal/config"
)

// TestMetricsAddr: METRICS_ADDR defaults to the loopback exporter port, off
// disables it, and port 0 may be shared with ADDR (both pick a free port).
func TestMetricsAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, "127.0.0.1:9464"},
		{map[string]string{"METRICS_ADDR": "off"}, ""},
		{map[string]string{"METRICS_ADDR": " OFF "}, ""},
		{map[string]string{"METRICS_ADDR": ":9100"}, ":9100"},
		{map[string]string{"METRICS_ADDR": "[::1]:9464"}, "[::1]:9464"},
		{map[string]string{"ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0"}, "127.0.0.1:0"},
	}
	for _, tt := range tests {
		c, err := config.FromEnv(env(tt.env))
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if c.MetricsAddr != tt.want {
			t.Errorf("%v: MetricsAddr %q, want %q", tt.env, c.MetricsAddr, tt.want)
		}
	}
	if config.Default().MetricsAddr != config.DefaultMetricsAddr {
		t.Error("Default().MetricsAddr")
	}
}

// TestHandshakeLimit: HANDSHAKE_RATE and HANDSHAKE_BURST default to 50 and
// 500; a rate of 0 turns the limit off; fractions are allowed.
func TestHandshakeLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env   map[string]string
		rate  float64
		burst int
	}{
		{nil, 50, 500},
		{map[string]string{"HANDSHAKE_RATE": "0"}, 0, 500},
		{map[string]string{"HANDSHAKE_RATE": "0.5", "HANDSHAKE_BURST": "1"}, 0.5, 1},
		{map[string]string{"HANDSHAKE_RATE": " 200 ", "HANDSHAKE_BURST": "2000"}, 200, 2000},
	}
	for _, tt := range tests {
		c, err := config.FromEnv(env(tt.env))
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		if c.HandshakeRate != tt.rate || c.HandshakeBurst != tt.burst {
			t.Errorf("%v: rate %v burst %d, want %v %d", tt.env, c.HandshakeRate, c.HandshakeBurst, tt.rate, tt.burst)
		}
	}
}
