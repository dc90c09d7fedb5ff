package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"rtserver/internal/config"
	"rtserver/internal/tlscert/certtest"
	"rtserver/middleware"
)

const tlsTestSecret = "tls-test-secret-0123456789abcdef01234567"

// TestRunTLS: with TLS_CERT_FILE and TLS_KEY_FILE run serves HTTPS and
// prints an https URL (metrics stay plain HTTP); HTTP/2 clients log in and
// poll; a WebSocket handshake over an HTTP/1.1 (ALPN) connection upgrades;
// the cookie is Secure and authenticates a socket from the page's own
// https origin; every response carries Strict-Transport-Security; TLS 1.1
// and clients without the CA are refused; SIGHUP serves new files to new
// connections while an open WebSocket stays.
func TestRunTLS(t *testing.T) {
	ca := certtest.NewCA(t, "rtserver test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Issue(t, "first", "127.0.0.1").Write(t, dir)
	base, output, stop := start(t, map[string]string{
		"DEMO": "1", "JWT_SECRET": tlsTestSecret, "TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile,
	})
	defer stop()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("printed %q, want an https URL", base)
	}
	if !metricsLine.MatchString(output()) {
		t.Errorf("no plain-HTTP metrics line:\n%s", output())
	}
	host := strings.TrimPrefix(base, "https://")
	origin := "https://" + host

	h2 := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: true,
	}}
	defer h2.CloseIdleConnections()
	do := func(method, path, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := h2.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.ProtoMajor != 2 {
			t.Errorf("%s %s over %s, want HTTP/2", method, path, res.Proto)
		}
		if got := res.Header.Get("Strict-Transport-Security"); got != middleware.HSTSValue {
			t.Errorf("%s %s: Strict-Transport-Security %q", method, path, got)
		}
		return res, string(b)
	}

	res, body := do(http.MethodPost, "/login", `{"username":"alice","password":"alice-pass"}`,
		"Content-Type", "application/json", "Origin", origin)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	cookie := res.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "; Secure") {
		t.Errorf("session cookie %q is not Secure", cookie)
	}
	session := strings.SplitN(cookie, ";", 2)[0]

	// Polling over HTTP/2, authenticated by the cookie from the own origin.
	hdr := []string{"Origin", origin, "Cookie", session}
	_, body = do(http.MethodGet, "/socket.io/?EIO=4&transport=polling", "", hdr...)
	var open struct{ SID string }
	if !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &open) != nil {
		t.Fatalf("handshake: %q", body)
	}
	eio := "/socket.io/?EIO=4&transport=polling&sid=" + open.SID
	if res, body := do(http.MethodPost, eio, "40", append(hdr, "Content-Type", "text/plain")...); res.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %d %s", res.StatusCode, body)
	}
	if _, body := do(http.MethodGet, eio, "", hdr...); !strings.HasPrefix(body, `40{"sid":`) {
		t.Errorf("polling socket with the cookie: %q, want connected", body)
	}
	// The http:// origin of the same host is another origin over TLS.
	if res, _ := do(http.MethodGet, "/socket.io/?EIO=4&transport=polling", "", "Origin", "http://"+host); res.StatusCode != http.StatusForbidden {
		t.Errorf("handshake from http://%s: %d, want 403", host, res.StatusCode)
	}

	// WebSocket on a connection that negotiated http/1.1, as browsers do.
	ws, negotiated := dialWS(t, ca, base, origin, session)
	defer ws.Close()
	if negotiated != "http/1.1" {
		t.Errorf("WebSocket connection ALPN %q, want http/1.1", negotiated)
	}
	if got := peerCN(t, ca, host); got != "first" {
		t.Fatalf("certificate %q", got)
	}

	// Refused: TLS 1.1, and a client that does not trust the CA.
	if c, err := tls.Dial("tcp", host, &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS11}); err == nil {
		c.Close()
		t.Error("a TLS 1.1 client got in")
	}
	if _, err := http.Get(base + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA: %v, want a certificate error", err)
	}

	// SIGHUP: new files for new connections; the WebSocket stays.
	ca.Issue(t, "second", "127.0.0.1").Write(t, dir)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for peerCN(t, ca, host) != "second" {
		if time.Now().After(deadline) {
			t.Fatalf("still the first certificate after SIGHUP:\n%s", output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`421["whoami"]`)); err != nil {
		t.Fatalf("WebSocket after SIGHUP: %v", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("WebSocket after SIGHUP: %v", err)
		}
		if strings.HasPrefix(string(msg), "431") {
			if !strings.Contains(string(msg), "Alice") {
				t.Errorf("whoami after SIGHUP: %s", msg)
			}
			break
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v\n%s", err, output())
	}
}

// dialWS opens a Socket.IO connection over WebSocket with the cookie and
// returns it CONNECTed and the ALPN protocol its TLS connection agreed.
func dialWS(t *testing.T, ca *certtest.CA, base, origin, cookie string) (*websocket.Conn, string) {
	t.Helper()
	var negotiated string
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			td := tls.Dialer{Config: &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}}
			c, err := td.DialContext(ctx, network, addr)
			if err == nil {
				negotiated = c.(*tls.Conn).ConnectionState().NegotiatedProtocol
			}
			return c, err
		},
	}
	url := "wss://" + strings.TrimPrefix(base, "https://") + "/socket.io/?EIO=4&transport=websocket"
	ws, res, err := d.Dial(url, http.Header{"Origin": {origin}, "Cookie": {cookie}})
	if err != nil {
		t.Fatalf("wss dial: %v (%v)", err, res)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), "0{") {
		t.Fatalf("open packet: %q %v", msg, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), `40{"sid":`) {
		t.Fatalf("CONNECT with the cookie over wss: %q %v", msg, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	return ws, negotiated
}

// peerCN returns the common name of the certificate a new connection to
// host gets.
func peerCN(t *testing.T, ca *certtest.CA, host string) string {
	t.Helper()
	c, err := tls.Dial("tcp", host, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestRunTLSBadFiles: one TLS variable without the other, or a bad file,
// stops run at start with an error naming the variable.
func TestRunTLSBadFiles(t *testing.T) {
	ca := certtest.NewCA(t, "rtserver test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Issue(t, "srv", "127.0.0.1").Write(t, dir)
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		cert, key, want string
	}{
		{certFile, "", "TLS_CERT_FILE"},
		{"", keyFile, "TLS_KEY_FILE"},
		{missing, keyFile, "TLS_CERT_FILE"},
		{certFile, missing, "TLS_KEY_FILE"},
		{certFile, certFile, "TLS_KEY_FILE"},
	}
	for _, tt := range tests {
		vars := map[string]string{"ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "DATA_DIR": t.TempDir(),
			"TLS_CERT_FILE": tt.cert, "TLS_KEY_FILE": tt.key}
		err := run(context.Background(), []string{"server"}, env(vars), io.Discard)
		var ve *config.VarError
		if !errors.As(err, &ve) || ve.Var != tt.want {
			t.Errorf("cert %q key %q: %v, want an error naming %s", tt.cert, tt.key, err, tt.want)
		}
	}
}
