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

	"rtserver/socketio"
	"rtserver/socketio/engineio"
)

// Settings the conformance suites check (PROTOCOL_CONFORMANCE.md section 1).
const (
	pingInterval    = 300 * time.Millisecond
	pingTimeout     = 200 * time.Millisecond
	maxPayload      = 1_000_000
	connectTimeout  = 1000 * time.Millisecond
	shutdownTimeout = 5 * time.Second
)

// run parses args, serves until ctx ends, then shuts down: the Socket.IO and
// Engine.IO servers close their sessions, then the HTTP server drains. It prints
// "listening on http://ADDR" to stdout once the listener is bound, so callers
// (tests) can use -addr 127.0.0.1:0.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	defAddr := getenv("CONFORMANCE_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:3000"
	}
	addr := fs.String("addr", defAddr, "listen address (env CONFORMANCE_ADDR)")
	verbose := fs.Bool("v", false, "log sessions at debug level to stdout")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}))

	handler, shutdown, err := newHandler(log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err = shutdown(sctx)
	if herr := srv.Shutdown(sctx); herr != nil {
		err = errors.Join(err, fmt.Errorf("http shutdown: %w", herr))
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// engineConfig is the Engine.IO configuration of both endpoints.
func engineConfig(log *slog.Logger) engineio.Config {
	return engineio.Config{
		PingInterval: pingInterval,
		PingTimeout:  pingTimeout,
		MaxPayload:   maxPayload,
		CORS:         &engineio.CORS{}, // every origin (the suites may run in a browser)
		Logger:       log,
	}
}

// newHandler builds the two endpoints and returns the mux and their shutdown.
func newHandler(log *slog.Logger) (http.Handler, func(context.Context) error, error) {
	eio, err := engineio.NewServer(engineConfig(log), echoHandler{})
	if err != nil {
		return nil, nil, err
	}
	sio, err := socketio.NewServer(socketio.Config{
		Engine:         engineConfig(log),
		ConnectTimeout: connectTimeout,
		Logger:         log,
	})
	if err != nil {
		return nil, nil, err
	}
	setupSocketIO(sio)
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", sio)
	shutdown := func(ctx context.Context) error {
		var errs []error
		if err := sio.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("socket.io shutdown: %w", err))
		}
		if err := eio.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("engine.io shutdown: %w", err))
		}
		return errors.Join(errs...)
	}
	return mux, shutdown, nil
}

// authDelay separates the `auth` event from the CONNECT reply on the wire. The
// official Socket.IO v5 suite waits for each message with a listener it adds only
// after the previous message was handled, so when both frames arrive in one TCP
// read it loses the second. Node's server writes the event in a later tick; the
// engine writes queued frames back to back, so the application waits a moment.
const authDelay = 5 * time.Millisecond

// emitAuth sends the `auth` event: the CONNECT payload as received.
func emitAuth(s *socketio.Socket) {
	auth := s.Handshake().Auth
	time.AfterFunc(authDelay, func() { _ = s.Emit("auth", auth) })
}

// setupSocketIO wires the namespaces of PROTOCOL_CONFORMANCE.md section 4.
func setupSocketIO(sio *socketio.Server) {
	sio.OnConnection(func(s *socketio.Socket) {
		emitAuth(s)
		s.On("message", func(s *socketio.Socket, args socketio.Args, _ socketio.Ack) {
			_ = s.Emit("message-back", args)
		})
		s.On("message-with-ack", func(_ *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			if ack != nil {
				_ = ack(args)
			}
		})
	})
	sio.Of("/custom").OnConnection(emitAuth)
}

// echoHandler is the raw Engine.IO application: every message goes back unchanged.
type echoHandler struct{}

// OnOpen gives every session an echoing handler.
func (echoHandler) OnOpen(s *engineio.Session) engineio.SessionHandler { return echoSession{s} }

// echoSession sends each message back on the session's current transport.
type echoSession struct{ s *engineio.Session }

// OnMessage echoes data unchanged (text or binary).
func (e echoSession) OnMessage(data []byte, binary bool) {
	_ = e.s.Send(engineio.NewFrame(data, binary))
}

// OnClose has nothing to release.
func (echoSession) OnClose(engineio.Reason) {}
