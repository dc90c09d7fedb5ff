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
)

// run is the whole program: it reads config through getenv, wires the
// store, the auth service, the Socket.IO server and the HTTP routes, prints
// the URL to stdout, serves until ctx ends, then shuts down in order:
// the engine refuses new handshakes (503) and closes every socket, then the
// HTTP server drains, then the store closes, all within SHUTDOWN_TIMEOUT.
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

	ln, err := net.Listen("tcp", app.addr)
	if err != nil {
		shutdownIO(app.io)
		app.closeStore()
		return fmt.Errorf("ADDR %s: %w", app.addr, err)
	}
	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: app.readHeader,
		ReadTimeout:       app.read,
		// WriteTimeout must exceed the long-poll wait (pingInterval).
		WriteTimeout: app.pollWait + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "rtserver listening on http://%s/\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	janitorCtx, stopJanitor := context.WithCancel(context.Background())
	janitorDone := make(chan struct{})
	go func() { defer close(janitorDone); app.janitor(janitorCtx) }()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		runErr = fmt.Errorf("serve: %w", err)
	}

	sctx, cancel := context.WithTimeout(context.Background(), app.shutdownTimeout)
	defer cancel()
	app.leaveCluster(sctx)
	if err := app.io.Shutdown(sctx); err != nil {
		log.Warn("socket shutdown", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
		_ = srv.Close()
	}
	stopJanitor()
	<-janitorDone
	if runErr == nil {
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = err
		}
	}
	app.closeStore()
	log.Info("stopped")
	return runErr
}
