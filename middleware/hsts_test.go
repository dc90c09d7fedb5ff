package middleware_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"rtserver/middleware"
)

// TestHSTS: Strict-Transport-Security is set over TLS and behind a trusted
// proxy that says https, on error responses too, and never over plain HTTP
// or on an untrusted peer's say-so.
func TestHSTS(t *testing.T) {
	t.Parallel()
	proxies, err := middleware.NewProxies([]string{"10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(middleware.HSTS(proxies))
	r.GET("/ok", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.GET("/fail", func(c *gin.Context) { c.AbortWithStatus(http.StatusForbidden) })
	tests := []struct {
		name  string
		path  string
		peer  string
		tls   bool
		proto string
		want  bool
	}{
		{"plain", "/ok", "192.0.2.1:1", false, "", false},
		{"tls", "/ok", "192.0.2.1:1", true, "", true},
		{"tls error response", "/fail", "192.0.2.1:1", true, "", true},
		{"tls 404", "/none", "192.0.2.1:1", true, "", true},
		{"trusted proxy https", "/ok", "10.0.0.1:1", false, "https", true},
		{"trusted proxy http", "/ok", "10.0.0.1:1", false, "http", false},
		{"untrusted peer says https", "/ok", "192.0.2.1:1", false, "https", false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "http://example.com"+tt.path, nil)
		req.RemoteAddr = tt.peer
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		if tt.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		got := w.Header().Get("Strict-Transport-Security")
		if tt.want && got != middleware.HSTSValue || !tt.want && got != "" {
			t.Errorf("%s: Strict-Transport-Security %q, want set %v", tt.name, got, tt.want)
		}
	}
}
