package middleware_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"rtserver/middleware"
)

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"EIO=4&transport=polling", "EIO=4&transport=polling"},
		{"EIO=4&token=abc.def.ghi&t=1", "EIO=4&token=REDACTED&t=1"},
		{"token=a&token=b", "token=REDACTED&token=REDACTED"},
		{"tok%65n=abc", "token=REDACTED"},
		{"TOKEN=abc", "token=REDACTED"},
		{"access_token=abc", "access_token=REDACTED"},
		{"token", "token=REDACTED"},
		{"a=%zz&token=x", "a=%zz&token=REDACTED"},
		{"t=keep&room=lobby", "t=keep&room=lobby"},
	}
	for _, tt := range tests {
		if got := middleware.RedactQuery(tt.in); got != tt.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleRedactQuery() {
	fmt.Println(middleware.RedactQuery("EIO=4&transport=websocket&token=eyJhbGciOi.x.y"))
	// Output: EIO=4&transport=websocket&token=REDACTED
}

func TestOrigins(t *testing.T) {
	o := middleware.NewOrigins([]string{"https://app.example.com", " http://localhost:3000/ "})
	tests := []struct {
		name    string
		origins []string // nil: no header
		tls     bool
		check   bool
		cookie  bool
	}{
		{"absent", nil, false, true, false},
		{"allowed", []string{"https://app.example.com"}, false, true, true},
		{"allowed trimmed", []string{"http://localhost:3000"}, false, true, true},
		{"same origin", []string{"http://example.com"}, false, true, true},
		{"same origin tls", []string{"https://example.com"}, true, true, true},
		{"scheme mismatch", []string{"https://example.com"}, false, false, false},
		{"suffix attack", []string{"https://app.example.com.evil.io"}, false, false, false},
		{"prefix attack", []string{"https://evil-app.example.com"}, false, false, false},
		{"null", []string{"null"}, false, false, false},
		{"empty", []string{""}, false, false, false},
		{"crlf", []string{"https://app.example.com\r\nX: y"}, false, false, false},
		{"two headers", []string{"https://app.example.com", "https://evil.io"}, false, false, false},
		{"trailing slash", []string{"https://app.example.com/"}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.com/socket.io/", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.origins != nil {
				r.Header["Origin"] = tt.origins
			}
			if got := o.Check(r); got != tt.check {
				t.Errorf("Check = %v, want %v", got, tt.check)
			}
			if got := o.HasAllowedOrigin(r); got != tt.cookie {
				t.Errorf("HasAllowedOrigin = %v, want %v", got, tt.cookie)
			}
		})
	}
	if !o.Listed("https://app.example.com") || o.Listed("http://example.com") {
		t.Error("Listed")
	}
}

func TestRecovery(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := gin.New()
	r.Use(middleware.RequestLog(log), middleware.Recovery(log))
	called := false
	r.GET("/boom", func(c *gin.Context) { panic("kaboom") })
	r.GET("/after", func(c *gin.Context) { called = true; c.Status(http.StatusOK) })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom?token=s3cret", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Error("panic value sent to the client")
	}
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/after", nil))
	if !called {
		t.Error("server stopped serving after a panic")
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Errorf("token in log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestRequestLogFields(t *testing.T) {
	var logs bytes.Buffer
	r := gin.New()
	r.Use(middleware.RequestLog(slog.New(slog.NewJSONHandler(&logs, nil))))
	r.GET("/x", func(c *gin.Context) { c.String(http.StatusOK, "hi") })
	req := httptest.NewRequest(http.MethodGet, "/x?token=abc&room=lobby", nil)
	req.Header.Set("Authorization", "Bearer header-secret")
	req.Header.Set("Cookie", "session=cookie-secret")
	r.ServeHTTP(httptest.NewRecorder(), req)
	out := logs.String()
	for _, want := range []string{`"method":"GET"`, `"path":"/x"`, `"query":"token=REDACTED&room=lobby"`, `"status":200`, `"bytes":2`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
	for _, secret := range []string{"abc", "header-secret", "cookie-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %s", secret)
		}
	}
}

func TestNilLoggers(t *testing.T) {
	r := gin.New()
	r.Use(middleware.RequestLog(nil), middleware.Recovery(nil), middleware.SecurityHeaders())
	r.GET("/", func(c *gin.Context) { panic("x") })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}

func TestCORS(t *testing.T) {
	o := middleware.NewOrigins([]string{"https://app.example.com"})
	r := gin.New()
	r.Use(middleware.CORS(o))
	r.POST("/login", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.OPTIONS("/login", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	pre := httptest.NewRequest(http.MethodOptions, "/login", nil)
	pre.Header.Set("Origin", "https://app.example.com")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, pre)
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || rec.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight headers %v", rec.Header())
	}
	bad := httptest.NewRequest(http.MethodPost, "/login", nil)
	bad.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, bad)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), `"forbidden"`) {
		t.Errorf("foreign origin: %d %s", rec.Code, rec.Body)
	}
}
