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
