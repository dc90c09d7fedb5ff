package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/internal/config"
	"rtserver/internal/tlscert"
)

// run is the whole program: it reads config through getenv, wires the
// store, the auth service, the Socket.IO server and the HTTP routes, opens
// the metrics listener (METRICS_ADDR, unless off) and the public one
// (ADDR, HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set, the
// certificate reloaded on SIGHUP; metrics stay plain HTTP), prints their
// URLs to stdout (metrics first), serves until ctx
// ends, then shuts down in order: the engine refuses new handshakes (503)
// and closes every socket, then the public HTTP server drains, then the
// metrics server (so a scrape can watch the drain), then the store closes,
// all within SHUTDOWN_TIMEOUT.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	getenv = config.BindFlags(fs, getenv)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)

	app, err := build(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	log := app.log

	var mln net.Listener
	if app.metricsAddr != "" {
		if mln, err = net.Listen("tcp", app.metricsAddr); err != nil {
			shutdownIO(app.io)
			app.closeStore()
			return fmt.Errorf("METRICS_ADDR %s: %w", app.metricsAddr, err)
		}
	}
	ln, err := net.Listen("tcp", app.addr)
	if err != nil {
		if mln != nil {
			_ = mln.Close()
		}
		shutdownIO(app.io)
		app.closeStore()
		return fmt.Errorf("ADDR %s: %w", app.addr, err)
	}
	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: app.readHeader,
		ReadTimeout:       app.read,
		// WriteTimeout must exceed the long-poll wait (pingInterval).
		WriteTimeout: app.pollWait + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     errorLog,
	}
	// servers are shut down in this order; serveErr gets one result from
	// each.
	servers := []*http.Server{srv}
	serveErr := make(chan error, 2)
	if mln != nil {
		msrv := &http.Server{
			Handler:           app.metrics,
			ReadHeaderTimeout: app.readHeader,
			ReadTimeout:       app.read,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          errorLog,
		}
		servers = append(servers, msrv)
		fmt.Fprintf(stdout, "rtserver metrics on http://%s/metrics\n", mln.Addr())
		log.Info("metrics listening", "addr", mln.Addr().String())
		go func() { serveErr <- msrv.Serve(mln) }()
	}
	scheme := "http"
	if app.tls != nil {
		srv.TLSConfig = tlscert.ServerConfig(app.tls)
		scheme = "https"
		defer watchCertificate(app.tls)()
	}
	fmt.Fprintf(stdout, "rtserver listening on %s://%s/\n", scheme, ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "tls", app.tls != nil)
	go func() { serveErr <- serve(srv, ln) }()

	janitorCtx, stopJanitor := context.WithCancel(context.Background())
	janitorDone := make(chan struct{})
	go func() { defer close(janitorDone); app.janitor(janitorCtx) }()

	var runErr error
	pending := len(servers)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		pending--
		runErr = fmt.Errorf("serve: %w", err)
	}

	sctx, cancel := context.WithTimeout(context.Background(), app.shutdownTimeout)
	defer cancel()
	app.leaveCluster(sctx)
	if err := app.io.Shutdown(sctx); err != nil {
		log.Warn("socket shutdown", "err", err)
	}
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			log.Warn("http shutdown", "err", err)
			_ = s.Close()
		}
	}
	stopJanitor()
	<-janitorDone
	for ; pending > 0; pending-- {
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
			runErr = err
		}
	}
	app.closeStore()
	log.Info("stopped")
	return runErr
}
