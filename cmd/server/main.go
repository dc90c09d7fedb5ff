// Command server runs the authenticated real-time server: the demo page,
// POST /login and /logout, health checks and Socket.IO at /socket.io/, and
// Prometheus metrics on a listener of their own (METRICS_ADDR).
// Configuration comes from the environment (see internal/config); it
// prints its URLs on start and shuts down in order on SIGINT/SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}
