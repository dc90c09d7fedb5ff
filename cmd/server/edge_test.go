package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The edge of the server as run builds it: TLS terminated by a trusted
// proxy (here), the per-address handshake limit (handshake_test.go) and the
// metrics listener (metrics_test.go).

const edgeTestSecret = "edge-test-secret-0123456789abcdef0123"

// edgeDo sends method target with the given headers ("Name", "value", ...)
// and returns the response with its body read.
func edgeDo(t *testing.T, method, target, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// No keep-alive and no redirects: each request is its own connection.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// handshakeSID opens a polling session and returns its sid.
func handshakeSID(t *testing.T, base string, hdr ...string) string {
	t.Helper()
	res, body := edgeDo(t, http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", "", hdr...)
	var h struct{ SID string }
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &h) != nil {
		t.Fatalf("handshake: %d %q", res.StatusCode, body)
	}
	return h.SID
}

// TestRunHTTPSBehindTrustedProxy: X-Forwarded-Proto: https counts from a
// peer on TRUSTED_PROXIES, for the session cookie's Secure flag (login and
// logout), the same-origin rule of /login and the engine's handshake, and
// the cookie rule of the socket handshake; from any other peer it is
// ignored.
func TestRunHTTPSBehindTrustedProxy(t *testing.T) {
	tests := []struct {
		name    string
		proxies string // TRUSTED_PROXIES; the test's peer is 127.0.0.1
		https   bool   // whether the header should count
	}{
		{"trusted peer", "127.0.0.1", true},
		{"trusted range", "127.0.0.0/8,10.0.0.1", true},
		{"no trusted proxies", "", false},
		{"another proxy", "10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, output, stop := start(t, map[string]string{
				"DEMO": "1", "JWT_SECRET": edgeTestSecret, "TRUSTED_PROXIES": tt.proxies,
			})
			t.Cleanup(func() { _ = stop() })
			const cred = `{"username":"alice","password":"alice-pass"}`
			xfp := []string{"Content-Type", "application/json", "X-Forwarded-Proto", "https"}

			// No Origin (a non-browser client): the login passes either way;
			// the cookie is Secure only when the header counts.
			res, body := edgeDo(t, http.MethodPost, base+"/login", cred, xfp...)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("login: %d %s", res.StatusCode, body)
			}
			cookie := res.Header.Get("Set-Cookie")
			if got := strings.Contains(cookie, "; Secure"); got != tt.https {
				t.Errorf("login cookie %q: Secure %v, want %v", cookie, got, tt.https)
			}
			session := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "session=")

			// The page's own origin is https://host when the header counts.
			origin := "https://" + strings.TrimPrefix(base, "http://")
			wantOrigin := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[tt.https]
			res, body = edgeDo(t, http.MethodPost, base+"/login", cred, append(xfp, "Origin", origin)...)
			if res.StatusCode != wantOrigin {
				t.Errorf("login from %s: %d, want %d: %s", origin, res.StatusCode, wantOrigin, body)
			}
			res, body = edgeDo(t, http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", "", "X-Forwarded-Proto", "https", "Origin", origin)
			if res.StatusCode != wantOrigin {
				t.Errorf("handshake from %s: %d, want %d: %s", origin, res.StatusCode, wantOrigin, body)
			}

			// The session cookie authenticates a socket from the page's own
			// https origin only when the header counts.
			if tt.https {
				hdr := []string{"X-Forwarded-Proto", "https", "Origin", origin, "Cookie", "session=" + session}
				sid := handshakeSID(t, base, hdr...)
				eio := base + "/socket.io/?EIO=4&transport=polling&sid=" + sid
				if res, body := edgeDo(t, http.MethodPost, eio, "40", append(hdr, "Content-Type", "text/plain")...); res.StatusCode != http.StatusOK {
					t.Fatalf("CONNECT: %d %s", res.StatusCode, body)
				}
				if _, body := edgeDo(t, http.MethodGet, eio, "", hdr...); !strings.HasPrefix(body, `40{"sid":`) {
					t.Errorf("cookie socket from %s: %q, want connected", origin, body)
				}
			}

			// Logout clears the cookie with the same attributes.
			res, body = edgeDo(t, http.MethodPost, base+"/logout", "", "X-Forwarded-Proto", "https", "Cookie", "session="+session)
			if res.StatusCode != http.StatusNoContent {
				t.Fatalf("logout: %d %s", res.StatusCode, body)
			}
			if got := strings.Contains(res.Header.Get("Set-Cookie"), "; Secure"); got != tt.https {
				t.Errorf("logout cookie %q: Secure %v, want %v", res.Header.Get("Set-Cookie"), got, tt.https)
			}
			if err := stop(); err != nil {
				t.Fatalf("run: %v\n%s", err, output())
			}
		})
	}
}
