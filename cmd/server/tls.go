package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"rtserver/internal/config"
	"rtserver/internal/tlscert"
)

// certCheckEvery is how often the certificate files are checked for a
// change made without SIGHUP (a renewal tool rewriting them).
const certCheckEvery = time.Minute

// loadTLS returns the certificate reloader of the public listener, or nil
// when TLS_CERT_FILE and TLS_KEY_FILE are unset (plain HTTP). Its error
// names the variable of the file at fault.
func loadTLS(cfg config.Config, log *slog.Logger) (*tlscert.Reloader, error) {
	if !cfg.TLS() {
		return nil, nil
	}
	r, err := tlscert.NewReloader(cfg.TLSCertFile, cfg.TLSKeyFile, log)
	if err != nil {
		name := "TLS_CERT_FILE"
		if fe := (*tlscert.FileError)(nil); errors.As(err, &fe) && fe.Key {
			name = "TLS_KEY_FILE"
		}
		return nil, &config.VarError{Var: name, Msg: err.Error()}
	}
	leaf := r.Certificate().Leaf
	log.Info("TLS on; SIGHUP reloads the certificate", "cert", cfg.TLSCertFile,
		"subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	if time.Now().After(leaf.NotAfter) {
		log.Warn("TLS_CERT_FILE has expired: clients will refuse it", "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return r, nil
}

// watchCertificate reloads r on SIGHUP and when its files change, until
// stop is called. Established connections keep their certificate; only new
// handshakes see the new one.
func watchCertificate(r *tlscert.Reloader) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Watch(ctx, hup, certCheckEvery) }()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// serve serves srv on ln, with TLS when srv.TLSConfig is set (the
// certificate from its GetCertificate; ServeTLS also enables HTTP/2).
func serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}
