package config

import (
	"errors"
	"flag"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"rtserver/internal/identity"
	"rtserver/internal/identity/auth"
	"rtserver/internal/tlscert"
	"rtserver/rooms"
)

// Bounds checked by Validate.
const (
	minPayload   = 1 << 10
	maxPayload   = 64 << 20
	minAPIKeyLen = 16
)

// variable describes one environment variable: how to apply a raw value
// to a Config. Range checks live in Validate, so that a Config built in
// code is checked the same way.
type variable struct {
	name   string
	usage  string
	secret bool // never mirrored by a flag, never echoed in errors
	set    func(c *Config, raw string) error
}

// variables lists every variable in documentation order. It is a
// function, not a package variable, so that nothing in the package is
// mutable.
func variables() []variable {
	return []variable{
		{"ADDR", "listen address", false, func(c *Config, v string) error { c.Addr = v; return nil }},
		{"METRICS_ADDR", "listen address of GET /metrics, off to disable", false, setMetricsAddr},
		{"TLS_CERT_FILE", "PEM certificate chain: serve HTTPS (with TLS_KEY_FILE)", false, func(c *Config, v string) error { c.TLSCertFile = v; return nil }},
		{"TLS_KEY_FILE", "PEM private key of TLS_CERT_FILE", false, func(c *Config, v string) error { c.TLSKeyFile = v; return nil }},
		{"DATA_DIR", "directory of the database and generated secret", false, func(c *Config, v string) error { c.DataDir = v; return nil }},
		{"JWT_SECRET", "HS256 secret, at least 32 bytes", true, func(c *Config, v string) error { c.JWTSecret = Secret(v); return nil }},
		{"JWT_PUBLIC_KEY_FILE", "PEM public key of another token issuer", false, func(c *Config, v string) error { c.JWTPublicKeyFile = v; return nil }},
		{"JWT_PUBLIC_KEY_ID", "kid accepted with JWT_PUBLIC_KEY_FILE", false, func(c *Config, v string) error { c.JWTPublicKeyID = v; return nil }},
		{"JWT_ISSUER", "iss claim, checked when set", false, func(c *Config, v string) error { c.JWTIssuer = v; return nil }},
		{"JWT_AUDIENCE", "aud claim, checked when set", false, func(c *Config, v string) error { c.JWTAudience = v; return nil }},
		{"TOKEN_TTL", "token lifetime", false, setDuration("TOKEN_TTL", func(c *Config) *time.Duration { return &c.TokenTTL })},
		{"SESSION_TTL", "session (cookie) lifetime; POST /token refreshes tokens within it", false, setDuration("SESSION_TTL", func(c *Config) *time.Duration { return &c.SessionTTL })},
		{"EXPIRY_GRACE", "how long a socket outlives its token's exp, at most 10s", false, setDuration("EXPIRY_GRACE", func(c *Config) *time.Duration { return &c.ExpiryGrace })},
		{"ALLOWED_ORIGINS", "comma-separated exact origins", false, setOrigins},
		{"AUTH_SOURCES", "comma-separated subset of auth,header,query,cookie", false, setAuthSources},
		{"AUTH_AFTER_CONNECT", "1 lets sockets authenticate after connecting", false, setBool("AUTH_AFTER_CONNECT", func(c *Config) *bool { return &c.AuthAfterConnect })},
		{"AUTH_TIMEOUT", "time to authenticate after connecting", false, setDuration("AUTH_TIMEOUT", func(c *Config) *time.Duration { return &c.AuthTimeout })},
		{"DEMO", "1 seeds the demo users", false, setBool("DEMO", func(c *Config) *bool { return &c.Demo })},
		{"LOG_FORMAT", "text or json", false, func(c *Config, v string) error { c.LogFormat = strings.ToLower(v); return nil }},
		{"LOG_LEVEL", "debug, info, warn or error", false, setLogLevel},
		{"TRUSTED_PROXIES", "comma-separated proxy IPs or CIDRs", false, setProxies},
		{"HANDSHAKE_RATE", "new sessions per second per client address, 0 for no limit", false, setFloat("HANDSHAKE_RATE", func(c *Config) *float64 { return &c.HandshakeRate })},
		{"HANDSHAKE_BURST", "new sessions at once per client address", false, setInt("HANDSHAKE_BURST", func(c *Config) *int { return &c.HandshakeBurst })},
		{"EVENT_RATE", "events per second per socket", false, setRate},
		{"EVENT_BURST", "event burst per socket", false, setInt("EVENT_BURST", func(c *Config) *int { return &c.EventBurst })},
		{"MAX_ROOMS_PER_SOCKET", "rooms per socket", false, setInt("MAX_ROOMS_PER_SOCKET", func(c *Config) *int { return &c.MaxRoomsPerSocket })},
		{"MAX_SOCKETS_PER_USER", "sockets per user, 0 for no cap", false, setInt("MAX_SOCKETS_PER_USER", func(c *Config) *int { return &c.MaxSocketsPerUser })},
		{"MAX_PAYLOAD", "largest message, bytes or with KB/MB", false, setSize},
		{"SHUTDOWN_TIMEOUT", "graceful shutdown bound", false, setDuration("SHUTDOWN_TIMEOUT", func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"HTTP_READ_HEADER_TIMEOUT", "time to send request headers", false, setDuration("HTTP_READ_HEADER_TIMEOUT", func(c *Config) *time.Duration { return &c.ReadHeaderTimeout })},
		{"HTTP_READ_TIMEOUT", "time to send a request body", false, setDuration("HTTP_READ_TIMEOUT", func(c *Config) *time.Duration { return &c.ReadTimeout })},
		{"CHAT_MAX_TEXT", "longest chat text in bytes", false, setInt("CHAT_MAX_TEXT", func(c *Config) *int { return &c.ChatMaxText })},
		{"HISTORY_LIMIT", "messages kept per room", false, setInt("HISTORY_LIMIT", func(c *Config) *int { return &c.HistoryLimit })},
		{"HISTORY_MAX_AGE", "drop messages older than this, 0 for no age limit", false, setDuration("HISTORY_MAX_AGE", func(c *Config) *time.Duration { return &c.HistoryMaxAge })},
		{"NOTIFICATION_LIMIT", "notifications kept per user, the newest", false, setInt("NOTIFICATION_LIMIT", func(c *Config) *int { return &c.NotificationLimit })},
		{"NOTIFICATION_RETENTION", "drop notifications older than this, 0 for no age limit", false, setDuration("NOTIFICATION_RETENTION", func(c *Config) *time.Duration { return &c.NotificationRetention })},
		{"PUBLIC_ROOMS", "comma-separated public rooms offered to clients", false, setPublicRooms},
		{"PUBLISH_API_KEYS", "comma-separated publish API keys", true, setAPIKeys},
		{"LEGACY_CLIENTS", "1 accepts socket.io-client v2", false, setBool("LEGACY_CLIENTS", func(c *Config) *bool { return &c.LegacyClients })},
		{"DATABASE_URL", "postgres:// URL: PostgreSQL instead of the SQLite file", true, func(c *Config, v string) error { c.DatabaseURL = Secret(v); return nil }},
		{"REDIS_URL", "redis:// URL: nodes share broadcasts and presence through Redis", true, func(c *Config, v string) error { c.RedisURL = Secret(v); return nil }},
		{"REDIS_ADAPTER", "pubsub (default) or streams: the cluster adapter (with REDIS_URL)", false, func(c *Config, v string) error { c.RedisAdapter = v; return nil }},
		{"REDIS_STREAM_MAXLEN", "length the streams adapter trims its stream to", false, setInt("REDIS_STREAM_MAXLEN", func(c *Config) *int { return &c.RedisStreamMaxLen })},
		{"NODE_ID", "node name that prefixes session ids, for sticky load balancing", false, func(c *Config, v string) error { c.NodeID = v; return nil }},
		{"PRESENCE_TTL", "how long a stopped node's presence lasts (with REDIS_URL)", false, setDuration("PRESENCE_TTL", func(c *Config) *time.Duration { return &c.PresenceTTL })},
		{"RECOVERY_WINDOW", "connection state recovery window, 0 for off", false, setDuration("RECOVERY_WINDOW", func(c *Config) *time.Duration { return &c.RecoveryWindow })},
		{"CONNECT_TIMEOUT", "time to send the Socket.IO CONNECT", false, setDuration("CONNECT_TIMEOUT", func(c *Config) *time.Duration { return &c.ConnectTimeout })},
		{"PING_INTERVAL", "Engine.IO ping interval", false, setDuration("PING_INTERVAL", func(c *Config) *time.Duration { return &c.PingInterval })},
		{"PING_TIMEOUT", "Engine.IO ping timeout", false, setDuration("PING_TIMEOUT", func(c *Config) *time.Duration { return &c.PingTimeout })},
		{"ADMIN_UI", "1 serves the Socket.IO Admin UI at /admin-ui/ for admins", false, setBool("ADMIN_UI", func(c *Config) *bool { return &c.AdminUI })},
		{"ADMIN_UI_NAMESPACE", "namespace of the Admin UI", false, func(c *Config, v string) error { c.AdminUINamespace = v; return nil }},
		{"ADMIN_UI_MODE", "development (sockets and events) or production (stats only)", false, func(c *Config, v string) error { c.AdminUIMode = strings.ToLower(v); return nil }},
		{"ADMIN_UI_READONLY", "1 drops the Admin UI's commands", false, setBool("ADMIN_UI_READONLY", func(c *Config) *bool { return &c.AdminUIReadOnly })},
	}
}

// Names returns every variable name, in documentation order.
func Names() []string {
	vs := variables()
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.name
	}
	return out
}

// BindFlags registers one string flag per variable on fs (ADDR as -addr,
// TOKEN_TTL as -token-ttl, ...) and returns a getenv for FromEnv in which
// a flag set on the command line wins over the environment. Secrets
// (JWT_SECRET, PUBLISH_API_KEYS) get no flag: command lines are visible to
// every local user. Call FromEnv after fs.Parse.
func BindFlags(fs *flag.FlagSet, getenv func(string) string) func(string) string {
	flagOf := make(map[string]string)
	for _, v := range variables() {
		if v.secret {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(v.name, "_", "-"))
		fs.String(name, "", v.usage+" (env "+v.name+")")
		flagOf[v.name] = name
	}
	return func(key string) string {
		if name, ok := flagOf[key]; ok {
			var val string
			var set bool
			fs.Visit(func(f *flag.Flag) {
				if f.Name == name {
					val, set = f.Value.String(), true
				}
			})
			if set {
				return val
			}
		}
		return getenv(key)
	}
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func setMetricsAddr(c *Config, v string) error {
	if v = strings.TrimSpace(v); strings.EqualFold(v, "off") {
		v = ""
	}
	c.MetricsAddr = v
	return nil
}

func setPublicRooms(c *Config, v string) error {
	c.PublicRooms = nil
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.PublicRooms = append(c.PublicRooms, r)
		}
	}
	return nil
}

func setDuration(name string, field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return varErr(name, "must be a positive duration such as 15m or 10s")
		}
		*field(c) = d
		return nil
	}
}

func setInt(name string, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return varErr(name, "must be an integer")
		}
		*field(c) = n
		return nil
	}
}

func setBool(name string, field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true", "yes", "on":
			*field(c) = true
		case "0", "false", "no", "off":
			*field(c) = false
		default:
			return varErr(name, "must be 1 or 0")
		}
		return nil
	}
}

func setFloat(name string, field func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return varErr(name, "must be a number")
		}
		*field(c) = f
		return nil
	}
}

func setRate(c *Config, v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return varErr("EVENT_RATE", "must be a positive number of events per second")
	}
	c.EventRate = f
	return nil
}

func setLogLevel(c *Config, v string) error {
	if err := c.LogLevel.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return varErr("LOG_LEVEL", "must be debug, info, warn or error")
	}
	return nil
}

func setOrigins(c *Config, v string) error {
	var out []string
	for _, o := range splitList(v) {
		n, err := normalizeOrigin(o)
		if err != nil {
			return err
		}
		out = append(out, n)
	}
	c.AllowedOrigins = out
	return nil
}

func setAuthSources(c *Config, v string) error {
	set, err := identity.ParseSources(v)
	if err != nil {
		return varErr("AUTH_SOURCES", "must be a comma-separated subset of auth, header, query, cookie")
	}
	c.AuthSources = set
	return nil
}

func setProxies(c *Config, v string) error {
	c.TrustedProxies = splitList(v)
	return nil
}

func setAPIKeys(c *Config, v string) error {
	c.PublishAPIKeys = nil
	for _, k := range splitList(v) {
		c.PublishAPIKeys = append(c.PublishAPIKeys, Secret(k))
	}
	return nil
}

// setSize parses a byte count with an optional KB/KiB/K or MB/MiB/M
// suffix (all 1024-based).
func setSize(c *Config, v string) error {
	bad := varErr("MAX_PAYLOAD", "must be a size in bytes such as 102400, 100KB or 1MB")
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := 1
	for _, suf := range []struct {
		s string
		m int
	}{{"KIB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10}, {"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(s, suf.s) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, suf.s)), suf.m
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > math.MaxInt/mult {
		return bad
	}
	c.MaxPayload = n * mult
	return nil
}

// normalizeOrigin returns o as browsers send it in the Origin header:
// lowercase scheme://host[:port], no default port, nothing else.
func normalizeOrigin(o string) (string, error) {
	bad := func(why string) error {
		return varErr("ALLOWED_ORIGINS", "%q is not an exact origin: %s", truncate(o, 80), why)
	}
	if o == "*" || o == "null" {
		return "", bad("list each origin exactly")
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", bad("want scheme://host[:port]")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", bad("scheme must be http or https")
	}
	if u.Host == "" || u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", bad("want scheme://host[:port] with nothing after")
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return "", bad("bad port")
		}
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// validHostPort reports whether a is host:port with a port in 0..65535.
func validHostPort(a string) bool {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return false
	}
	p, err := strconv.Atoi(port)
	return err == nil && p >= 0 && p <= 65535 && !strings.ContainsAny(host, " \t\r\n")
}

// Validate checks every field and reports all bad ones, each error naming
// its variable.
func (c Config) Validate() error {
	var errs []error
	add := func(name, format string, args ...any) { errs = append(errs, varErr(name, format, args...)) }
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			add(name, "must be a positive duration such as 15m or 10s")
		}
	}

	if !validHostPort(c.Addr) {
		add("ADDR", "must be host:port such as :8080")
	}
	if c.MetricsAddr != "" {
		if !validHostPort(c.MetricsAddr) {
			add("METRICS_ADDR", "must be host:port such as 127.0.0.1:9464, or off")
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			add("METRICS_ADDR", "must differ from ADDR (%s)", c.Addr)
		}
	}
	errs = append(errs, c.validateTLS()...)
	if c.DataDir == "" {
		add("DATA_DIR", "must not be empty")
	} else if st, err := os.Stat(c.DataDir); err == nil && !st.IsDir() {
		add("DATA_DIR", "%s is not a directory", c.DataDir)
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinSecretLen {
		add("JWT_SECRET", "must be at least %d bytes (or empty to generate one)", MinSecretLen)
	}
	if c.JWTPublicKeyFile != "" {
		if _, err := auth.LoadPublicKeyFile(c.JWTPublicKeyFile); err != nil {
			add("JWT_PUBLIC_KEY_FILE", "%v", err)
		}
	} else if c.JWTPublicKeyID != "" {
		add("JWT_PUBLIC_KEY_ID", "set without JWT_PUBLIC_KEY_FILE")
	}
	for _, f := range [][2]string{{"JWT_PUBLIC_KEY_ID", c.JWTPublicKeyID}, {"JWT_ISSUER", c.JWTIssuer}, {"JWT_AUDIENCE", c.JWTAudience}} {
		name, v := f[0], f[1]
		if len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			add(name, "must be at most 256 printable characters")
		}
	}
	positive("TOKEN_TTL", c.TokenTTL)
	if c.SessionTTL < c.TokenTTL {
		add("SESSION_TTL", "must be at least TOKEN_TTL (%s)", c.TokenTTL)
	}
	if c.ExpiryGrace <= 0 || c.ExpiryGrace > 10*time.Second {
		add("EXPIRY_GRACE", "must be a positive duration of at most 10s")
	}
	for _, o := range c.AllowedOrigins {
		n, err := normalizeOrigin(o)
		if err != nil {
			errs = append(errs, err)
		} else if n != o {
			add("ALLOWED_ORIGINS", "write %q as %q", o, n)
		}
	}
	if !identity.ValidSources(c.AuthSources) {
		add("AUTH_SOURCES", "must be a comma-separated subset of auth, header, query, cookie")
	}
	positive("AUTH_TIMEOUT", c.AuthTimeout)
	if c.LogFormat != LogText && c.LogFormat != LogJSON {
		add("LOG_FORMAT", "must be text or json")
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			add("TRUSTED_PROXIES", "%q is not an IP address or CIDR", truncate(p, 80))
		}
	}
	if !(c.HandshakeRate >= 0) || math.IsInf(c.HandshakeRate, 0) {
		add("HANDSHAKE_RATE", "must be 0 (no limit) or a positive number of handshakes per second")
	}
	if c.HandshakeBurst < 1 {
		add("HANDSHAKE_BURST", "must be at least 1")
	}
	if !(c.EventRate > 0) || math.IsInf(c.EventRate, 0) {
		add("EVENT_RATE", "must be a positive number of events per second")
	}
	if c.EventBurst < 1 {
		add("EVENT_BURST", "must be at least 1")
	}
	if c.MaxRoomsPerSocket < 1 {
		add("MAX_ROOMS_PER_SOCKET", "must be at least 1")
	}
	if c.MaxSocketsPerUser < 0 {
		add("MAX_SOCKETS_PER_USER", "must be 0 (no cap) or more")
	}
	if c.MaxPayload < minPayload || c.MaxPayload > maxPayload {
		add("MAX_PAYLOAD", "must be between 1KB and 64MB")
	}
	positive("SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	positive("HTTP_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout)
	positive("HTTP_READ_TIMEOUT", c.ReadTimeout)
	if c.ChatMaxText < 1 {
		add("CHAT_MAX_TEXT", "must be at least 1")
	} else if c.ChatMaxText > c.MaxPayload {
		add("CHAT_MAX_TEXT", "must not exceed MAX_PAYLOAD (%d)", c.MaxPayload)
	}
	if c.HistoryLimit < 1 {
		add("HISTORY_LIMIT", "must be at least 1")
	}
	if c.HistoryMaxAge < 0 {
		add("HISTORY_MAX_AGE", "must be 0 (no age limit) or a positive duration")
	}
	if c.NotificationLimit < 1 {
		add("NOTIFICATION_LIMIT", "must be at least 1")
	}
	if c.NotificationRetention < 0 {
		add("NOTIFICATION_RETENTION", "must be 0 (no age limit) or a positive duration")
	}
	for _, r := range c.PublicRooms {
		if !rooms.IsPublic(r) {
			add("PUBLIC_ROOMS", "%q is not a public room name (a-z, 0-9, _ and -, at most 64)", truncate(r, 80))
		}
	}
	for i, k := range c.PublishAPIKeys {
		if len(k) < minAPIKeyLen || strings.ContainsFunc(k.Reveal(), func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			add("PUBLISH_API_KEYS", "key %d must be at least %d printable characters without spaces", i+1, minAPIKeyLen)
		}
	}
	if u := c.DatabaseURL.Reveal(); u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		add("DATABASE_URL", "must be a postgres:// or postgresql:// URL")
	}
	if u := c.RedisURL.Reveal(); u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		add("REDIS_URL", "must be a redis:// or rediss:// URL")
	}
	positive("PRESENCE_TTL", c.PresenceTTL)
	if len(c.NodeID) > 16 || strings.ContainsFunc(c.NodeID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) {
		add("NODE_ID", "must be at most 16 of A-Z a-z 0-9 _ -")
	}
	if c.RedisAdapter != "pubsub" && c.RedisAdapter != "streams" {
		add("REDIS_ADAPTER", "must be pubsub or streams")
	}
	if c.RedisStreamMaxLen < 1 {
		add("REDIS_STREAM_MAXLEN", "must be positive")
	}
	if c.RecoveryWindow < 0 {
		add("RECOVERY_WINDOW", "must be 0 (off) or a positive duration")
	}
	positive("CONNECT_TIMEOUT", c.ConnectTimeout)
	positive("PING_INTERVAL", c.PingInterval)
	positive("PING_TIMEOUT", c.PingTimeout)
	if n := c.AdminUINamespace; len(n) < 2 || n[0] != '/' || strings.ContainsAny(n, " ,?#\t\r\n") ||
		n == "/admin" || n == "/chat" || n == "/notifications" {
		add("ADMIN_UI_NAMESPACE", "must be a namespace such as /admin-ui, not /, /admin, /chat or /notifications")
	}
	if c.AdminUIMode != "development" && c.AdminUIMode != "production" {
		add("ADMIN_UI_MODE", "must be development or production")
	}
	return errors.Join(errs...)
}

// validateTLS checks that TLS_CERT_FILE and TLS_KEY_FILE come together and
// load, naming the file at fault.
func (c Config) validateTLS() []error {
	switch {
	case c.TLSCertFile == "" && c.TLSKeyFile == "":
		return nil
	case c.TLSKeyFile == "":
		return []error{varErr("TLS_CERT_FILE", "set without TLS_KEY_FILE: set both to serve TLS, or neither")}
	case c.TLSCertFile == "":
		return []error{varErr("TLS_KEY_FILE", "set without TLS_CERT_FILE: set both to serve TLS, or neither")}
	}
	if _, err := tlscert.Load(c.TLSCertFile, c.TLSKeyFile); err != nil {
		name := "TLS_CERT_FILE"
		if fe := (*tlscert.FileError)(nil); errors.As(err, &fe) && fe.Key {
			name = "TLS_KEY_FILE"
		}
		return []error{varErr(name, "%v", err)}
	}
	return nil
}
