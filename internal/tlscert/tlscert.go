package tlscert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// FileError is a certificate or key file that cannot be used: missing,
// unreadable, not PEM, or a key that does not match the certificate (then
// Key is true: the key file is the one to replace).
type FileError struct {
	Key  bool   // the key file (TLS_KEY_FILE), else the certificate file
	Path string // the file's path
	Err  error
}

func (e *FileError) Error() string {
	what := "certificate"
	if e.Key {
		what = "key"
	}
	return fmt.Sprintf("%s file %s: %v", what, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Load reads a PEM certificate chain (the server's certificate first, then
// any intermediates) and the PEM private key that matches it. Errors are a
// *FileError naming the file at fault.
func Load(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, &FileError{Path: certFile, Err: err}
	}
	if err := checkChain(certPEM); err != nil {
		return nil, &FileError{Path: certFile, Err: err}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, &FileError{Key: true, Path: keyFile, Err: err}
	}
	// The chain parsed, so what X509KeyPair refuses now is the key: absent,
	// malformed, or not the certificate's.
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, &FileError{Key: true, Path: keyFile, Err: err}
	}
	return &pair, nil
}

// checkChain reports whether b holds at least one PEM CERTIFICATE block and
// every such block parses.
func checkChain(b []byte) error {
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no PEM CERTIFICATE block")
	}
	return nil
}

// Reloader serves the certificate read from its two files and replaces it
// on Reload. Build one with [NewReloader].
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	cur atomic.Pointer[tls.Certificate]

	mu    sync.Mutex // serialises Reload; guards stamp
	stamp stamp      // the files as last loaded successfully
}

// NewReloader loads the pair once (an error is a *FileError) and returns a
// Reloader serving it. log (nil: discard) gets a line per reload.
func NewReloader(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	st := statFiles(certFile, keyFile)
	pair, err := Load(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cur.Store(pair)
	r.stamp = st
	return r, nil
}

// Certificate returns the pair being served.
func (r *Reloader) Certificate() *tls.Certificate { return r.cur.Load() }

// GetCertificate is the tls.Config hook: every handshake gets the current
// pair.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Reload reads both files again and, when they load, serves the new pair
// from the next handshake on. On error the current pair stays and the error
// (a *FileError) is returned and logged.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked(statFiles(r.certFile, r.keyFile))
}

func (r *Reloader) reloadLocked(st stamp) error {
	pair, err := Load(r.certFile, r.keyFile)
	if err != nil {
		r.log.Warn("TLS certificate reload failed; still serving the previous one", "err", err)
		return err
	}
	r.cur.Store(pair)
	r.stamp = st
	attrs := []any{"cert", r.certFile}
	if pair.Leaf != nil {
		attrs = append(attrs, "subject", pair.Leaf.Subject.String(), "not_after", pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	r.log.Info("TLS certificate loaded", attrs...)
	return nil
}

// changed reloads when either file's size or modification time differs
// from the last successful load.
func (r *Reloader) changed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := statFiles(r.certFile, r.keyFile)
	if st == r.stamp {
		return
	}
	_ = r.reloadLocked(st)
}

// Watch reloads on every value from signals (SIGHUP) and, when every > 0,
// whenever a check every that often finds a file changed (a renewal tool
// that replaces the files without signalling). A failed check is retried at
// the next tick. It returns when ctx ends.
func (r *Reloader) Watch(ctx context.Context, signals <-chan os.Signal, every time.Duration) {
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			_ = r.Reload()
		case <-tick:
			r.changed()
		}
	}
}

// stamp identifies the content of the two files without reading them.
type stamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

func statFiles(certFile, keyFile string) stamp {
	var s stamp
	if fi, err := os.Stat(certFile); err == nil {
		s.certMod, s.certSize = fi.ModTime(), fi.Size()
	}
	if fi, err := os.Stat(keyFile); err == nil {
		s.keyMod, s.keySize = fi.ModTime(), fi.Size()
	}
	return s
}

// ServerConfig returns the TLS settings of the public listener: TLS 1.2 at
// least, the certificate from r, and ALPN offering HTTP/2 and HTTP/1.1.
// WebSocket handshakes arrive over HTTP/1.1: Go's HTTP/2 server does not
// advertise RFC 8441 WebSocket over HTTP/2 (unless GODEBUG=http2xconnect=1,
// which must stay off), so browsers open a separate HTTP/1.1 connection for
// the upgrade while polling may use HTTP/2.
func ServerConfig(r *Reloader) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
