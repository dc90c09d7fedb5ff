package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"rtserver/internal/metrics"
	"rtserver/socketio"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetricsExport(t *testing.T) {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Of("/chat")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	m := metrics.New(srv)
	ts := httptest.NewServer(m.CountHandshakes(srv))
	t.Cleanup(ts.Close)
	for _, q := range []string{"EIO=4&transport=polling", "EIO=9&transport=polling"} {
		res, err := http.Get(ts.URL + "/socket.io/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	m.Handshake(http.StatusTooManyRequests) // the per-address handshake limit
	m.ConnectRefused("invalid_token")
	m.EventIn("/chat")
	m.Ack("/chat", "ok")
	m.RateLimited("/chat")
	m.LoginFailed("invalid_credentials")
	m.StoreCall("append_message", 3*time.Millisecond)
	m.NotificationStored(false)

	body := scrape(t, m.Handler())
	for _, want := range []string{
		`rt_handshakes_total{outcome="ok"} 1`,
		`rt_handshakes_total{outcome="bad_request"} 1`,
		`rt_handshakes_total{outcome="rate_limited"} 1`,
		`rt_sockets_connected{namespace="/chat"} 0`,
		`rt_engine_sessions 1`,
		`rt_socket_refusals_total{reason="invalid_token"} 1`,
		`rt_events_in_total{namespace="/chat"} 1`,
		`rt_acks_total{namespace="/chat",result="ok"} 1`,
		`rt_rate_limited_total{namespace="/chat"} 1`,
		`rt_login_failures_total{reason="invalid_credentials"} 1`,
		`rt_store_seconds_count{op="append_message"} 1`,
		`rt_notifications_total{recipient="offline"} 1`,
		`rt_engine_events_total{kind="broadcast_deliveries"} 0`,
		`rt_engine_events_total{kind="slow_consumer_disconnects"} 0`,
		`rt_engine_events_total{kind="recovery_denied"} 0`,
		`rt_engine_events_total{kind="volatile_dropped"} 0`,
		`go_goroutines `,
		`process_open_fds `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
