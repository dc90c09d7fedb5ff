//go:build e2e

package tls

import (
	"bytes"
	"context"
	cryptotls "crypto/tls"
	_ "embed"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"rtserver/internal/tlscert/certtest"
	"rtserver/test/harness"
)

const (
	chromium      = "/usr/bin/chromium"
	jwtSecret     = "tls-e2e-secret-0123456789abcdef0123456789"
	allowedOrigin = "https://app.allowed.test"
)

//go:embed nginx.conf.tmpl
var nginxConf string

// pki is the test's CA, the server's certificate files and, for the
// refusal checks, an unrelated CA.
type pki struct {
	ca                *certtest.CA
	leaf              *certtest.Leaf
	dir               string
	caFile            string // NODE_EXTRA_CA_CERTS
	certFile, keyFile string
	otherCA           string // PEM
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{ca: certtest.NewCA(t, "rtserver e2e CA"), dir: t.TempDir()}
	p.leaf = p.ca.Issue(t, "first", "127.0.0.1", "localhost")
	p.certFile, p.keyFile = p.leaf.Write(t, p.dir)
	p.caFile = filepath.Join(p.dir, "ca.pem")
	certtest.WriteFile(t, p.caFile, p.ca.PEM)
	p.otherCA = string(certtest.NewCA(t, "unrelated CA").PEM)
	return p
}

// nodeEnv is what tls.test.mjs needs to reach base.
func (p *pki) nodeEnv(base string) map[string]string {
	return map[string]string{
		"RT_BASE_URL":         base,
		"RT_ALLOWED_ORIGIN":   allowedOrigin,
		"RT_OTHER_CA":         p.otherCA,
		"NODE_EXTRA_CA_CERTS": p.caFile,
	}
}

// TestTLSDirect: the server serves HTTPS and WSS itself. The Node client
// checks, the demo page in Chromium, then a certificate reload by SIGHUP
// with sockets open.
func TestTLSDirect(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client", "playwright-core")
	harness.RequireTools(t, chromium)
	root := harness.RepoRoot(t)
	p := newPKI(t)
	srv := harness.Start(t, serverBin, map[string]string{
		"DEMO":            "1",
		"JWT_SECRET":      jwtSecret,
		"ALLOWED_ORIGINS": allowedOrigin,
		"TLS_CERT_FILE":   p.certFile,
		"TLS_KEY_FILE":    p.keyFile,
	}, harness.RootCAs(p.ca.Pool()))
	if srv.URL != "https://127.0.0.1:"+strconv.Itoa(srv.Port) {
		t.Fatalf("URL %q, want https", srv.URL)
	}

	t.Run("client", func(t *testing.T) {
		harness.RunNodeTest(t, harness.NodeTest{File: "tls.test.mjs", Env: p.nodeEnv(srv.URL), Timeout: time.Minute})
	})

	t.Run("browser", func(t *testing.T) {
		artifacts := filepath.Join(root, "test", "artifacts")
		if err := os.MkdirAll(artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		harness.Node(t, ctx, root, map[string]string{
			"RT_BASE_URL":  srv.URL,
			"RT_CHROMIUM":  chromium,
			"RT_ARTIFACTS": artifacts,
			"RT_SPKI":      p.leaf.SPKIHash(),
		}, "test/tls/tls-chat.mjs")
	})

	t.Run("reload", func(t *testing.T) {
		next := p.ca.Issue(t, "second", "127.0.0.1", "localhost")
		newCert, newKey := filepath.Join(p.dir, "new-cert.pem"), filepath.Join(p.dir, "new-key.pem")
		certtest.WriteFile(t, newCert, next.CertPEM)
		certtest.WriteFile(t, newKey, next.KeyPEM)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		env := p.nodeEnv(srv.URL)
		for k, v := range map[string]string{
			"RT_SERVER_PID": strconv.Itoa(srv.PID),
			"RT_CERT_FILE":  p.certFile, "RT_KEY_FILE": p.keyFile,
			"RT_NEW_CERT": newCert, "RT_NEW_KEY": newKey,
		} {
			env[k] = v
		}
		harness.Node(t, ctx, root, env, "test/tls/reload.mjs")
		if !bytes.Contains([]byte(srv.Logs()), []byte("TLS certificate loaded")) {
			t.Errorf("no reload in the server log")
		}
	})
	srv.Stop(t)
}

// TestTLSNginx: nginx terminates TLS in front of one plain-HTTP node that
// trusts it (TRUSTED_PROXIES=127.0.0.1); the same client checks pass, and
// the cookie is Secure through X-Forwarded-Proto.
func TestTLSNginx(t *testing.T) {
	harness.RequireNodeModules(t, "socket.io-client")
	p := newPKI(t)
	node := harness.Start(t, serverBin, map[string]string{
		"DEMO":            "1",
		"JWT_SECRET":      jwtSecret,
		"ALLOWED_ORIGINS": allowedOrigin,
		"TRUSTED_PROXIES": "127.0.0.1",
	})
	n := startNginx(t, p, "127.0.0.1:"+strconv.Itoa(node.Port))
	harness.RunNodeTest(t, harness.NodeTest{File: "tls.test.mjs", Env: p.nodeEnv(n.URL), Timeout: time.Minute})
	n.Stop(t)
	node.Stop(t)
}

// startNginx renders nginx.conf.tmpl for node and starts nginx on a free port
// (harness.StartNginx), waiting until /healthz answers through it over TLS.
func startNginx(t *testing.T, p *pki, node string) *harness.Nginx {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true, TLSClientConfig: tlsClient(p),
	}}
	return harness.StartNginx(t, nginxConf, "https", map[string]any{"Node": node, "Cert": p.certFile, "Key": p.keyFile}, hc)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tlsClient(p *pki) *cryptotls.Config { return &cryptotls.Config{RootCAs: p.ca.Pool()} }
