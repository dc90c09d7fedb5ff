package middleware_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"rtserver/middleware"
)

// sidHash is the documented log form of a session id: the first 12 hex
// digits of its SHA-256, so one session's records can still be grouped.
func sidHash(sid string) string {
	sum := sha256.Sum256([]byte(sid))
	return hex.EncodeToString(sum[:6])
}

const testSID = "Zq3sEcretSid0123456_"

// TestRedactQueryBypasses lists the ways a credential has reached the log
// past a filter that only split on "&" and knew a few names.
func TestRedactQueryBypasses(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	tests := []struct{ name, in, want string }{
		{"semicolon", "x=1;token=" + jwt, "x=1;token=REDACTED"},
		{"semicolon first", "token=s3cretvalue;x=1", "token=REDACTED;x=1"},
		{"mixed separators", "a=1&&;token=s3cretvalue;", "a=1&&;token=REDACTED;"},
		{"key", "key=s3cretvalue", "key=REDACTED"},
		{"api_key", "api_key=s3cretvalue", "api_key=REDACTED"},
		{"apikey", "apiKey=s3cretvalue", "apikey=REDACTED"},
		{"x-api-key", "x-api-key=s3cretvalue", "x-api-key=REDACTED"},
		{"password", "password=s3cretvalue", "password=REDACTED"},
		{"passwd", "passwd=s3cretvalue", "passwd=REDACTED"},
		{"pwd", "pwd=s3cretvalue", "pwd=REDACTED"},
		{"secret", "client_secret=s3cretvalue", "client_secret=REDACTED"},
		{"auth", "auth=s3cretvalue", "auth=REDACTED"},
		{"authorization", "Authorization=s3cretvalue", "authorization=REDACTED"},
		{"jwt", "jwt=s3cretvalue", "jwt=REDACTED"},
		{"session", "session=s3cretvalue", "session=REDACTED"},
		{"jsessionid", "JSESSIONID=s3cretvalue", "jsessionid=REDACTED"},
		{"refresh_token", "refresh_token=s3cretvalue", "refresh_token=REDACTED"},
		{"name containing token", "mytoken=s3cretvalue", "mytoken=REDACTED"},
		{"encoded name", "%74oken=s3cretvalue", "token=REDACTED"},
		{"fully encoded name", "%74%6F%6B%65%6E=s3cretvalue", "token=REDACTED"},
		{"double encoded name", "%2574oken=s3cretvalue", "token=REDACTED"},
		{"encoded separator in name", "x=1&token%3Ds3cretvalue", "x=1&REDACTED"},
		{"malformed escape in name", "tok%65n%zz=s3cretvalue", "REDACTED"},
		{"space in name", "%20token=s3cretvalue", "REDACTED"},
		{"plus in name", "to+ken=s3cretvalue", "REDACTED"},
		{"brackets", "token[]=s3cretvalue", "REDACTED"},
		{"NUL in name", "tok%00en=s3cretvalue", "REDACTED"},
		{"no value", "x=1;token", "x=1;token=REDACTED"},
		{"JWT under another name", "x=" + jwt, "x=REDACTED"},
		{"JWT encoded under another name", "x=1%26token%3D" + jwt, "x=REDACTED"},
		{"engine sid", "EIO=4&transport=polling&sid=" + testSID, "EIO=4&transport=polling&sid=" + sidHash(testSID)},
		{"engine sid after semicolon", "EIO=4;sid=" + testSID, "EIO=4;sid=" + sidHash(testSID)},
		{"engine sid encoded", "%73id=" + strings.Replace(testSID, "_", "%5F", 1), "sid=" + sidHash(testSID)},
		{"plain", "EIO=4&transport=polling&t=OaX3l2k&b64=1", "EIO=4&transport=polling&t=OaX3l2k&b64=1"},
		{"plain semicolons", "room=lobby;page=2", "room=lobby;page=2"},
		{"bad escape kept", "a=%zz", "a=%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := middleware.RedactQuery(tt.in)
			if got != tt.want {
				t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, secret := range []string{"s3cretvalue", jwt, testSID} {
				if strings.Contains(got, secret) {
					t.Errorf("RedactQuery(%q) keeps %s", tt.in, secret)
				}
			}
		})
	}
}

// FuzzRedactQuery builds a query with a credential under a known name,
// percent-encoded and case-changed character by character as the fuzzer
// chooses, between arbitrary parameters and separators, and checks that
// its value never survives.
func FuzzRedactQuery(f *testing.F) {
	f.Add("EIO=4&transport=polling", byte('&'), uint8(0), uint64(0), uint64(0), "s3cretvalue", "t=1")
	f.Add("x=1", byte(';'), uint8(2), uint64(1), uint64(2), "eyJhbGciOi", "")
	f.Add("", byte('&'), uint8(9), uint64(0xffff), uint64(0), "AAAAAAAAAAAA", "a=%zz")
	names := []string{"token", "access_token", "key", "api_key", "apikey", "password", "secret", "auth", "jwt", "session", "sid"}
	f.Fuzz(func(t *testing.T, prefix string, sep byte, which uint8, encode, upper uint64, value, suffix string) {
		if sep != '&' && sep != ';' {
			sep = '&'
		}
		if len(value) < 8 || strings.Contains(value, "REDACTED") {
			return
		}
		for _, r := range value {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				return
			}
		}
		name := names[int(which)%len(names)]
		var b strings.Builder
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper&(1<<i) != 0 && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			if encode&(1<<i) != 0 {
				b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
			} else {
				b.WriteByte(c)
			}
		}
		in := prefix + string(sep) + b.String() + "=" + value + string(sep) + suffix
		out := middleware.RedactQuery(in)
		if strings.Count(out, value) > strings.Count(prefix, value)+strings.Count(suffix, value) {
			t.Fatalf("RedactQuery(%q) = %q keeps the value", in, out)
		}
	})
}

// TestRequestLogEngineSession: a polling request carries the Engine.IO
// sid, which alone is the session. It is logged at debug, with the sid as
// its hash; other requests stay at info and errors at error.
func TestRequestLogEngineSession(t *testing.T) {
	var logs bytes.Buffer
	r := gin.New()
	r.Use(middleware.RequestLog(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	r.GET("/socket.io/", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/boom", func(c *gin.Context) { c.Status(http.StatusInternalServerError) })
	for _, target := range []string{
		"/socket.io/?EIO=4&transport=polling&sid=" + testSID,
		"/socket.io/?EIO=4;transport=polling;sid=" + testSID,
	} {
		logs.Reset()
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		out := logs.String()
		if strings.Contains(out, testSID) {
			t.Errorf("%s: sid in the log: %s", target, out)
		}
		if !strings.Contains(out, `"level":"DEBUG"`) || !strings.Contains(out, "sid="+sidHash(testSID)) {
			t.Errorf("%s: want a DEBUG record with sid=%s: %s", target, sidHash(testSID), out)
		}
	}

	logs.Reset()
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
	if !strings.Contains(logs.String(), `"level":"INFO"`) {
		t.Errorf("handshake (no sid) not at info: %s", logs.String())
	}
	logs.Reset()
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x;jsessionid=s3cretvalue", nil))
	if out := logs.String(); strings.Contains(out, "s3cretvalue") || !strings.Contains(out, `"path":"/x;jsessionid=REDACTED"`) {
		t.Errorf("matrix parameter in the path: %s", out)
	}
	logs.Reset()
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom?sid="+testSID, nil))
	if out := logs.String(); !strings.Contains(out, `"level":"ERROR"`) || strings.Contains(out, testSID) {
		t.Errorf("500 with a sid: want ERROR without the sid: %s", out)
	}

	var info bytes.Buffer
	r = gin.New()
	r.Use(middleware.RequestLog(slog.New(slog.NewJSONHandler(&info, nil))))
	r.GET("/socket.io/", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling&sid="+testSID, nil))
	if info.Len() != 0 {
		t.Errorf("polling request logged at info: %s", info.String())
	}
}
