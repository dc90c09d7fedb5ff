// Command goserver is the Go side of the load comparison (test/load/run.sh): the rtserver
// Socket.IO engine with the same handlers as the Node reference server
// test/load/nodeserver.mjs:
//
//	auth middleware    handshake auth {token} must equal LOAD_TOKEN (default "load-token"),
//	                   otherwise ConnectError{"unauthorized", {"code":"invalid_token"}}
//	"join" (room, ack)          join the room, ack(true)
//	"broadcast" (room, payload) emit "msg" with payload to the room, sender excluded
//	"echo" (...args, ack)       ack with the same arguments
//
// With REDIS_URL set it joins a cluster through the Redis adapter, and a broadcast
// reaches the room on every node: test/cluster/bench.sh runs two of it.
//
// Engine settings are the engine's defaults, which match socket.io's (pingInterval 25 s,
// pingTimeout 20 s, maxPayload 1e6, polling + websocket). It prints one line
// "listening http://ADDR" when ready and shuts down on SIGTERM/SIGINT.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
	"rtserver/socketio/redisadapter/streams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts the engine and the HTTP server down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	token := getenv("LOAD_TOKEN")
	if token == "" {
		token = "load-token"
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	cfg := socketio.Config{Logger: log}
	if u := getenv("REDIS_URL"); u != "" {
		opts, err := redis.ParseURL(u)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		// REDIS_ADAPTER=streams: the streams adapter (test/cluster TestBench go-streams).
		if getenv("REDIS_ADAPTER") == "streams" {
			cl, err := streams.New(ctx, streams.Config{Client: rdb, Logger: log})
			if err != nil {
				return err
			}
			defer cl.Close()
			cfg.NewAdapter = cl.NewAdapter
		} else {
			cl, err := redisadapter.New(ctx, redisadapter.Config{Client: rdb, Logger: log})
			if err != nil {
				return err
			}
			defer cl.Close()
			cfg.NewAdapter = cl.NewAdapter
		}
	}
	srv, err := socketio.NewServer(cfg)
	if err != nil {
		return err
	}
	root := srv.Of("/")
	root.Use(func(s *socketio.Socket) error {
		var a struct {
			Token string `json:"token"`
		}
		if auth := s.Handshake().Auth; len(auth) > 0 {
			_ = json.Unmarshal(auth, &a)
		}
		if a.Token != token {
			return &socketio.ConnectError{Message: "unauthorized", Data: map[string]string{"code": "invalid_token"}}
		}
		return nil
	})
	root.OnConnection(func(s *socketio.Socket) {
		s.On("join", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			room, ok := args.String(0)
			if !ok {
				return
			}
			if err := s.Join(room); err != nil {
				return
			}
			if ack != nil {
				_ = ack(true)
			}
		})
		s.On("broadcast", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			room, ok := args.String(0)
			if !ok || args.Len() < 2 {
				return
			}
			_ = s.To(room).Emit("msg", args.Raw(1))
		})
		s.On("echo", func(s *socketio.Socket, args socketio.Args, ack socketio.Ack) {
			if ack != nil {
				_ = ack(args)
			}
		})
	})

	if a := getenv("LOAD_PPROF_ADDR"); a != "" {
		// Profiling for the engine's developers: heap, goroutine and CPU profiles while a
		// scenario runs. Never set by run.sh.
		pm := http.NewServeMux()
		pm.HandleFunc("/debug/pprof/", pprof.Index)
		pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pln, err := net.Listen("tcp", a)
		if err != nil {
			return err
		}
		defer pln.Close()
		go func() { _ = http.Serve(pln, pm) }()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if herr := hs.Shutdown(sctx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		err = errors.Join(err, herr)
	}
	return err
}
