package socketio

import (
	"context"
	"errors"
	"fmt"

	"rtserver/socketio/parser"
)

// ServerSideEmitWithAck sends an event to the namespaces of the same name on the
// other nodes of a cluster and returns their answers, one per node that answered
// (the Args its OnServerSideEmit handler acked with; with the Redis adapter, the
// first argument only, as Node's adapter forwards). It waits until every other node
// answered, or until ctx or the adapter's request timeout ends: then the answers
// so far come with an error wrapping ErrAckTimeout. On a single node it returns no
// answers at once. An adapter that is not a ServerSideAcker returns an error
// wrapping errors.ErrUnsupported.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	if parser.IsReservedEvent(event) {
		return nil, ErrReservedEvent
	}
	acker, ok := n.adapter.(ServerSideAcker)
	if !ok {
		return nil, fmt.Errorf("socketio: adapter %T cannot collect server-side acks: %w", n.adapter, errors.ErrUnsupported)
	}
	a, err := argsOf(args)
	if err != nil {
		return nil, err
	}
	return acker.ServerSideEmitWithAck(ctx, event, a)
}

// ServerSideEmitWithAck implements ServerSideAcker: there is no other node, so
// there are no answers.
func (a *MemoryAdapter) ServerSideEmitWithAck(context.Context, string, Args) ([]Args, error) {
	return []Args{}, nil
}

// argsOf encodes Emit-style arguments as Args.
func argsOf(args []any) (Args, error) {
	e := newEncoder(64)
	if err := e.encodeArgs(args); err != nil {
		return Args{}, err
	}
	e.buf = append(e.buf, ']')
	return ParseArgs(e.buf, e.atts, 0)
}
