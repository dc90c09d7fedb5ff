package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The rows of SECURITY_CASES.md that need the real http.Server that run
// builds: header bytes the handler never sees and the server's timeouts.

const securityTestSecret = "security-test-secret-0123456789abcdef"

// rawRequest writes req on a new TCP connection to addr and returns the
// response status code and body, bounded by 5 s.
func rawRequest(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusSwitchingProtocols {
		return res.StatusCode, ""
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return res.StatusCode, string(body)
}

// TestSecurityOriginControlBytes: an Origin holding CR, LF, NUL or an
// obs-fold continuation never opens a session, by polling or by WebSocket
// upgrade. Raw control bytes are refused by net/http itself (400, the
// handler never runs); what reaches the handler (percent-encoded) is 403.
func TestSecurityOriginControlBytes(t *testing.T) {
	base, _, stop := start(t, map[string]string{
		"JWT_SECRET":      securityTestSecret,
		"ALLOWED_ORIGINS": "https://app.example.com",
	})
	t.Cleanup(func() { _ = stop() })
	addr := strings.TrimPrefix(base, "http://")
	const upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	tests := []struct {
		name   string
		origin string // raw bytes after "Origin: "
		status []int
	}{
		{"CR inside", "https://app.example.com\rX-Injected: 1", []int{400}},
		{"CRLF then obs-fold of a foreign origin", "https://app.example.com\r\n https://evil.io", []int{400, 403}},
		{"NUL", "https://app.example.com\x00", []int{400}},
		{"percent-encoded CRLF", "https://app.example.com%0d%0aX-Injected:%201", []int{403}},
		{"allowed origin with a CRLF-injected suffix host", "https://app.example.com.evil.io\r\nX-Injected: 1", []int{403}},
	}
	for _, tt := range tests {
		for _, transport := range []string{"polling", "websocket"} {
			t.Run(tt.name+"/"+transport, func(t *testing.T) {
				extra := ""
				if transport == "websocket" {
					extra = upgrade
				}
				req := "GET /socket.io/?EIO=4&transport=" + transport + " HTTP/1.1\r\nHost: " + addr + "\r\n" +
					extra + "Origin: " + tt.origin + "\r\nConnection: close\r\n\r\n"
				if transport == "websocket" {
					req = strings.Replace(req, "Connection: close\r\n", "", 1)
				}
				status, body := rawRequest(t, addr, req)
				if !slices.Contains(tt.status, status) {
					t.Errorf("status %d %q, want one of %v", status, body, tt.status)
				}
				if strings.Contains(body, `"sid"`) || status == http.StatusSwitchingProtocols {
					t.Errorf("a session was opened: %d %q", status, body)
				}
			})
		}
	}
	// The allowed origin itself still works (the refusals above are not a
	// blanket failure).
	req, _ := http.NewRequest(http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", nil)
	req.Header.Set("Origin", "https://app.example.com")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("allowed origin: %d", res.StatusCode)
	}
}

// TestSecuritySlowHeadersCut: a client that trickles its request headers
// (slowloris) is cut at HTTP_READ_HEADER_TIMEOUT (2 s here), however often
// it sends a byte; another client is served meanwhile.
func TestSecuritySlowHeadersCut(t *testing.T) {
	t.Parallel()
	base, _, stop := start(t, map[string]string{"JWT_SECRET": securityTestSecret, "HTTP_READ_HEADER_TIMEOUT": "2s"})
	t.Cleanup(func() { _ = stop() })
	addr := strings.TrimPrefix(base, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	began := time.Now()
	if _, err := io.WriteString(c, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, _ = io.Copy(io.Discard, c) // returns when the server closes
		closed <- time.Since(began)
	}()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	served := false
	for {
		select {
		case d := <-closed:
			if d < 1500*time.Millisecond || d > 6*time.Second {
				t.Fatalf("slow headers cut after %v, want about 2 s (HTTP_READ_HEADER_TIMEOUT)", d)
			}
			if !served {
				t.Error("no other request was served meanwhile")
			}
			return
		case <-tick.C:
			if _, err := io.WriteString(c, "X-Slow: 1\r\n"); err != nil {
				continue // the server is closing; the reader reports when
			}
			if !served {
				res, err := http.Get(base + "/healthz")
				if err == nil {
					res.Body.Close()
					served = res.StatusCode == http.StatusOK
				}
			}
		}
	}
}

// TestSecuritySlowBodyCut: a client that sends its headers at once and then
// trickles a polling POST body is cut at HTTP_READ_TIMEOUT (3 s here).
func TestSecuritySlowBodyCut(t *testing.T) {
	t.Parallel()
	base, _, stop := start(t, map[string]string{"JWT_SECRET": securityTestSecret, "HTTP_READ_TIMEOUT": "3s"})
	t.Cleanup(func() { _ = stop() })
	addr := strings.TrimPrefix(base, "http://")
	res, err := http.Get(base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	hs, _ := io.ReadAll(res.Body)
	res.Body.Close()
	i := strings.Index(string(hs), `"sid":"`)
	if i < 0 {
		t.Fatalf("handshake %q", hs)
	}
	sid := string(hs[i+7:])
	sid = sid[:strings.IndexByte(sid, '"')]

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	began := time.Now()
	head := "POST /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n" +
		"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 1000\r\n\r\n"
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, _ = io.Copy(io.Discard, c)
		closed <- time.Since(began)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case d := <-closed:
			if d < 2500*time.Millisecond || d > 8*time.Second {
				t.Fatalf("slow body cut after %v, want about 3 s (HTTP_READ_TIMEOUT)", d)
			}
			return
		case <-tick.C:
			_, _ = io.WriteString(c, "4")
		}
	}
}
