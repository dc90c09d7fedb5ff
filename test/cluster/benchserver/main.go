// Command benchserver is the Go node of the cluster benchmark (test/cluster/bench.sh):
// the rtserver Socket.IO engine with the Redis adapter (REDIS_URL) and the handlers of
// test/cluster/benchnode.mjs, its Node.js counterpart (both copied from test/load):
//
//	auth middleware    handshake auth {token} must equal LOAD_TOKEN (default "load-token")
//	"join" (room, ack)          join the room, ack(true)
//	"broadcast" (room, payload) emit "msg" with payload to the room, sender excluded,
//	                            on every node
//
// It prints one line "listening http://ADDR" when ready and shuts down on SIGTERM.
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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts the engine, the adapter and the HTTP server down.
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

	opts, err := redis.ParseURL(getenv("REDIS_URL"))
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	cl, err := redisadapter.New(ctx, redisadapter.Config{Client: rdb, Logger: log})
	if err != nil {
		return err
	}
	defer cl.Close()

	srv, err := socketio.NewServer(socketio.Config{Logger: log, NewAdapter: cl.NewAdapter})
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
			if !ok || s.Join(room) != nil {
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
	})

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
