// Package metrics exports the server's Prometheus metrics at GET /metrics
// (served by cmd/server on its own listener, METRICS_ADDR, never on the
// public one).
//
// Everything lives on one *prometheus.Registry made by New (nothing is
// registered on the global default registry), so tests and several
// servers in one process do not collide. Counters that the engine keeps
// itself (socketio.Stats) are read at scrape time; the rest are fed by
// the handlers through the methods of *Metrics, which implement
// handlers.Observer. All methods are safe for concurrent use.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"rtserver/internal/store"
	"rtserver/socketio"
)

// Metrics holds the collectors. Make it with New.
type Metrics struct {
	reg *prometheus.Registry

	handshakes     *prometheus.CounterVec
	refusals       *prometheus.CounterVec
	eventsIn       *prometheus.CounterVec
	acks           *prometheus.CounterVec
	rateLimited    *prometheus.CounterVec
	floods         *prometheus.CounterVec
	loginFailures  *prometheus.CounterVec
	storeLatency   *prometheus.HistogramVec
	notifications  *prometheus.CounterVec
	chatMessages   prometheus.Counter
	credExpiries   prometheus.Counter
	tokenRefreshes *prometheus.CounterVec
}

// New registers the process and Go runtime collectors, the handlers'
// counters, and a collector that reads io's own counters and namespace
// sizes at each scrape.
func New(io *socketio.Server) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_handshakes_total",
			Help: "Engine.IO handshakes (requests without a session id) by outcome: ok, forbidden (Origin), bad_request, rate_limited (HANDSHAKE_RATE per client address), unavailable (shutting down), error.",
		}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_socket_refusals_total",
			Help: "Namespace connections refused by the auth middleware, by connect_error data.code.",
		}, []string{"reason"}),
		eventsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_events_in_total",
			Help: "Events received from clients, by namespace (refused ones included).",
		}, []string{"namespace"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_acks_total",
			Help: "Acknowledgements sent to clients, by namespace and result (ok or the error code).",
		}, []string{"namespace", "result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_rate_limited_total",
			Help: "Events dropped by the per-socket event rate limit, by namespace.",
		}, []string{"namespace"}),
		floods: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_flood_disconnects_total",
			Help: "Sockets disconnected for flooding past the rate limit, by namespace.",
		}, []string{"namespace"}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_login_failures_total",
			Help: "Failed logins by reason: invalid_credentials, rate_limited, bad_request, forbidden.",
		}, []string{"reason"}),
		storeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rt_store_seconds",
			Help:    "Latency of store calls made by socket events and the publish API, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_notifications_total",
			Help: "Notifications stored by the publish API, by whether the recipient was connected.",
		}, []string{"recipient"}),
		chatMessages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_chat_messages_total",
			Help: "Chat messages stored and delivered.",
		}),
		credExpiries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rt_credential_expiries_total",
			Help: "Sockets disconnected because their token expired without a refresh.",
		}),
		tokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rt_token_refreshes_total",
			Help: "auth:refresh requests by result (ok or the error code).",
		}, []string{"result"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.handshakes, m.refusals, m.eventsIn, m.acks, m.rateLimited, m.floods,
		m.loginFailures, m.storeLatency, m.notifications, m.chatMessages, m.credExpiries, m.tokenRefreshes,
		newEngineCollector(io),
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handshake counts one Engine.IO handshake answered with HTTP status.
func (m *Metrics) Handshake(status int) {
	outcome := "error"
	switch {
	case status == http.StatusOK || status == http.StatusSwitchingProtocols:
		outcome = "ok"
	case status == http.StatusForbidden:
		outcome = "forbidden"
	case status == http.StatusBadRequest:
		outcome = "bad_request"
	case status == http.StatusTooManyRequests:
		outcome = "rate_limited"
	case status == http.StatusServiceUnavailable:
		outcome = "unavailable"
	}
	m.handshakes.WithLabelValues(outcome).Inc()
}

// ConnectRefused counts a namespace connection refused with code.
func (m *Metrics) ConnectRefused(code string) { m.refusals.WithLabelValues(code).Inc() }

// EventIn counts an event received on namespace nsp.
func (m *Metrics) EventIn(nsp string) { m.eventsIn.WithLabelValues(nsp).Inc() }

// Ack counts an ack sent on nsp with result "ok" or an error code.
func (m *Metrics) Ack(nsp, result string) { m.acks.WithLabelValues(nsp, result).Inc() }

// RateLimited counts an event dropped by the rate limit.
func (m *Metrics) RateLimited(nsp string) { m.rateLimited.WithLabelValues(nsp).Inc() }

// FloodDisconnect counts a socket cut off for flooding.
func (m *Metrics) FloodDisconnect(nsp string) { m.floods.WithLabelValues(nsp).Inc() }

// LoginFailed counts a failed login.
func (m *Metrics) LoginFailed(reason string) { m.loginFailures.WithLabelValues(reason).Inc() }

// StoreCall records the latency of a store operation.
func (m *Metrics) StoreCall(op string, d time.Duration) {
	m.storeLatency.WithLabelValues(op).Observe(d.Seconds())
}

// ChatMessage counts a stored chat message.
func (m *Metrics) ChatMessage() { m.chatMessages.Inc() }

// NotificationStored counts a stored notification.
func (m *Metrics) NotificationStored(online bool) {
	m.notifications.WithLabelValues(map[bool]string{true: "online", false: "offline"}[online]).Inc()
}

// CredentialExpired counts a socket ended at its token's expiry.
func (m *Metrics) CredentialExpired() { m.credExpiries.Inc() }

// TokenRefresh counts an auth:refresh with result "ok" or an error code.
func (m *Metrics) TokenRefresh(result string) { m.tokenRefreshes.WithLabelValues(result).Inc() }

// engineCollector reads the engine's counters at scrape time.
type engineCollector struct {
	io                                  *socketio.Server
	descSockets, descEngine, descEvents *prometheus.Desc
}

func newEngineCollector(io *socketio.Server) engineCollector {
	return engineCollector{
		io:          io,
		descSockets: prometheus.NewDesc("rt_sockets_connected", "Connected sockets by namespace.", []string{"namespace"}, nil),
		descEngine:  prometheus.NewDesc("rt_engine_sessions", "Open Engine.IO sessions.", nil, nil),
		descEvents:  prometheus.NewDesc("rt_engine_events_total", "Socket.IO engine counters: connects, refused, invalid_namespace, connect_timeout, protocol_error, packets_out, broadcast_deliveries, volatile_dropped, slow_consumer_disconnects, recovered, recovery_denied (a recovery asked for and not given: unknown or expired session, another owner).", []string{"kind"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.descSockets
	ch <- c.descEngine
	ch <- c.descEvents
}

// Collect implements prometheus.Collector.
func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	for _, n := range c.io.Namespaces() {
		ch <- prometheus.MustNewConstMetric(c.descSockets, prometheus.GaugeValue, float64(n.Len()), n.Name())
	}
	st := c.io.Stats()
	ch <- prometheus.MustNewConstMetric(c.descEngine, prometheus.GaugeValue, float64(st.Sessions))
	for kind, v := range map[string]uint64{
		"connects":                  st.Connects,
		"refused":                   st.Refused,
		"invalid_namespace":         st.InvalidNamespaces,
		"connect_timeout":           st.ConnectTimeouts,
		"protocol_error":            st.ProtocolErrors,
		"packets_out":               st.PacketsOut,
		"broadcast_deliveries":      st.Deliveries,
		"volatile_dropped":          st.VolatileDropped,
		"slow_consumer_disconnects": st.SlowConsumers,
		"recovered":                 st.Recovered,
		"recovery_denied":           st.RecoveriesDenied,
	} {
		ch <- prometheus.MustNewConstMetric(c.descEvents, prometheus.CounterValue, float64(v), kind)
	}
}

// statusWriter records the status of a response, passing Hijack and
// Flush through (WebSocket upgrades and long-polls need them).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Hijack and Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// CountHandshakes wraps the Socket.IO handler: each request without a sid
// is a handshake, counted by its answer. A WebSocket upgrade that hijacks
// the connection counts as 101.
func (m *Metrics) CountHandshakes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("sid") || r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusSwitchingProtocols // hijacked
		}
		m.Handshake(status)
	})
}

// TimedStore wraps the chat and notification store calls with latency
// observations.
type TimedStore struct {
	Store store.Store
	M     *Metrics
}

func (t TimedStore) observe(op string, start time.Time) { t.M.StoreCall(op, time.Since(start)) }

// AppendMessage implements handlers.ChatStore.
func (t TimedStore) AppendMessage(ctx context.Context, msg store.Message) error {
	defer t.observe("append_message", time.Now())
	return t.Store.AppendMessage(ctx, msg)
}

// History implements handlers.ChatStore.
func (t TimedStore) History(ctx context.Context, room, before string, limit int) ([]store.Message, bool, error) {
	defer t.observe("history", time.Now())
	return t.Store.History(ctx, room, before, limit)
}

// AddNotifications implements handlers.Inbox.
func (t TimedStore) AddNotifications(ctx context.Context, ns []store.Notification) error {
	defer t.observe("add_notifications", time.Now())
	return t.Store.AddNotifications(ctx, ns)
}

// Unread implements handlers.Inbox.
func (t TimedStore) Unread(ctx context.Context, user string, limit int) ([]store.Notification, error) {
	defer t.observe("unread", time.Now())
	return t.Store.Unread(ctx, user, limit)
}

// ListNotifications implements handlers.Inbox.
func (t TimedStore) ListNotifications(ctx context.Context, user, before string, limit int) ([]store.Notification, bool, error) {
	defer t.observe("list_notifications", time.Now())
	return t.Store.ListNotifications(ctx, user, before, limit)
}

// MarkRead implements handlers.Inbox.
func (t TimedStore) MarkRead(ctx context.Context, user string, ids []string, at time.Time) ([]string, error) {
	defer t.observe("mark_read", time.Now())
	return t.Store.MarkRead(ctx, user, ids, at)
}
