// Command conformance serves exactly the server that the Engine.IO v4 and Socket.IO
// v5 conformance suites expect (see PROTOCOL_CONFORMANCE.md): a raw Engine.IO echo
// server at /engine.io/ and a Socket.IO server at /socket.io/ with the namespaces
// "/" and "/custom".
//
//	go run ./cmd/conformance -addr 127.0.0.1:3000
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
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
