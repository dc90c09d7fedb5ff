package tlscert_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rtserver/internal/tlscert"
	"rtserver/internal/tlscert/certtest"
)

// TestLoadErrors: each unusable file is reported as a *FileError naming
// that file, certificate or key.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, "a", "127.0.0.1").Write(t, dir)
	other := ca.Issue(t, "b", "127.0.0.1")
	otherKey := filepath.Join(dir, "other-key.pem")
	certtest.WriteFile(t, otherKey, other.KeyPEM)
	garbage := filepath.Join(dir, "garbage.pem")
	certtest.WriteFile(t, garbage, []byte("not pem\n"))
	badDER := filepath.Join(dir, "bad-der.pem")
	certtest.WriteFile(t, badDER, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name       string
		cert, key  string
		keyAtFault bool
		msg        string
	}{
		{"missing cert", missing, key, false, "no such file"},
		{"cert not PEM", garbage, key, false, "no PEM CERTIFICATE"},
		{"cert block not DER", badDER, key, false, "certificate 1"},
		{"key given as cert", key, key, false, "no PEM CERTIFICATE"},
		{"missing key", cert, missing, true, "no such file"},
		{"key not PEM", cert, garbage, true, "key"},
		{"cert given as key", cert, cert, true, "key"},
		{"key of another cert", cert, otherKey, true, "does not match"},
	}
	for _, tt := range tests {
		_, err := tlscert.Load(tt.cert, tt.key)
		var fe *tlscert.FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a *FileError", tt.name, err)
			continue
		}
		if fe.Key != tt.keyAtFault {
			t.Errorf("%s: Key %v, want %v (%v)", tt.name, fe.Key, tt.keyAtFault, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %q does not say %q", tt.name, err, tt.msg)
		}
	}
	if _, err := tlscert.Load(cert, key); err != nil {
		t.Errorf("good pair: %v", err)
	}
}

// TestReloadSwapsCertificate: after the files are replaced, Reload serves
// the new pair to new handshakes while a connection made before keeps
// working; a reload from broken files keeps the pair being served.
func TestReloadSwapsCertificate(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	dir := t.TempDir()
	first := ca.Issue(t, "first", "127.0.0.1")
	certFile, keyFile := first.Write(t, dir)
	r, err := tlscert.NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, tlscert.ServerConfig(r))

	old := dial(t, addr, ca)
	if got := peerCN(old); got != "first" {
		t.Fatalf("first handshake: CN %q", got)
	}
	echo(t, old, "before")

	second := ca.Issue(t, "second", "127.0.0.1")
	second.Write(t, dir)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	c := dial(t, addr, ca)
	if got := peerCN(c); got != "second" {
		t.Errorf("after Reload: CN %q, want second", got)
	}
	echo(t, old, "after") // the old connection is untouched

	// A half-written renewal: the new certificate with the old key.
	certtest.WriteFile(t, certFile, ca.Issue(t, "third", "127.0.0.1").CertPEM)
	var fe *tlscert.FileError
	if err := r.Reload(); !errors.As(err, &fe) || !fe.Key {
		t.Errorf("mismatched pair: %v, want a key FileError", err)
	}
	if got := peerCN(dial(t, addr, ca)); got != "second" {
		t.Errorf("after a failed reload: CN %q, want second still", got)
	}
}

// TestWatch: Watch reloads when the files change (checked every tick),
// and on a signal when it does not poll; it returns when ctx ends.
func TestWatch(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	for _, poll := range []bool{true, false} {
		dir := t.TempDir()
		certFile, keyFile := ca.Issue(t, "first", "127.0.0.1").Write(t, dir)
		r, err := tlscert.NewReloader(certFile, keyFile, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		sig := make(chan os.Signal, 1)
		done := make(chan struct{})
		every := time.Duration(0)
		if poll {
			every = 20 * time.Millisecond
		}
		go func() { defer close(done); r.Watch(ctx, sig, every) }()

		ca.Issue(t, "second", "127.0.0.1").Write(t, dir)
		if !poll {
			time.Sleep(100 * time.Millisecond)
			if cn := r.Certificate().Leaf.Subject.CommonName; cn != "first" {
				t.Errorf("reloaded %q without a signal or a tick", cn)
			}
			sig <- syscall.SIGHUP
		}
		waitCN(t, r, "second")
		cancel()
		<-done
	}
}

func waitCN(t *testing.T, r *tlscert.Reloader, cn string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for r.Certificate().Leaf.Subject.CommonName != cn {
		if time.Now().After(deadline) {
			t.Fatalf("still serving %q, want %q", r.Certificate().Leaf.Subject.CommonName, cn)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServerConfig: TLS 1.1 is refused; TLS 1.2 works; ALPN offers h2 and
// http/1.1.
func TestServerConfig(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "test CA")
	certFile, keyFile := ca.Issue(t, "srv", "127.0.0.1").Write(t, t.TempDir())
	r, err := tlscert.NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlscert.ServerConfig(r)
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}
	addr := echoServer(t, cfg)
	old, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		old.Close()
		t.Error("a TLS 1.1 client got in")
	}
	for _, proto := range []string{"h2", "http/1.1"} {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS12, NextProtos: []string{proto}})
		if err != nil {
			t.Fatalf("%s over TLS 1.2: %v", proto, err)
		}
		if got := c.ConnectionState().NegotiatedProtocol; got != proto {
			t.Errorf("ALPN %q, want %q", got, proto)
		}
		c.Close()
	}
}

// echoServer serves TLS on 127.0.0.1, echoing each connection, until the
// test ends.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 16)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
		time.Sleep(10 * time.Millisecond) // let the echo goroutines see the close
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string, ca *certtest.CA) *tls.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func peerCN(c *tls.Conn) string { return c.ConnectionState().PeerCertificates[0].Subject.CommonName }

func echo(t *testing.T, c *tls.Conn, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, []byte(msg)) {
		t.Fatalf("echo %q: %q %v", msg, buf, err)
	}
}
