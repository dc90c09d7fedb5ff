package socketio

import (
	"context"
	"sync/atomic"
)

// AdapterHost is what a namespace offers its adapter: the local sockets, and the
// entry points for what other nodes send. Config.NewAdapter receives it; cluster
// adapters keep it and pass it to NewMemoryAdapter for their local part. It is the
// adapter's view of the namespace, kept off Namespace so users do not see it.
type AdapterHost interface {
	// Name returns the namespace name.
	Name() string
	// Socket returns the local socket with id, or nil.
	Socket(id string) *Socket
	// Sockets returns a snapshot of the local sockets.
	Sockets() []*Socket
	// RemoteSocket describes a socket of the namespace that lives on another node,
	// for answers to FetchSockets.
	RemoteSocket(id string, hs *Handshake, rooms []string, data any) *RemoteSocket
	// ReceiveServerSideEmit runs the namespace's OnServerSideEmit handlers for an
	// event another node sent. reply is nil when the sender wants no answer; else it
	// is called at most once, with the first answer a handler gives, encoded.
	ReceiveServerSideEmit(event string, args Args, reply func(Args))
}

// SessionAdapter is an Adapter that keeps what connection state recovery needs
// (Config.Recovery); MemoryAdapter is one. With an adapter that is not, sockets
// are never restored.
type SessionAdapter interface {
	// PersistSession keeps a disconnected socket's state for recovery.
	PersistSession(s PersistedSession)
	// RestoreSession takes session pid, persisted for owner, with the packets after
	// offset that were addressed to it, or returns nil when it cannot be recovered
	// (unknown, expired, or the packets are gone). A session of another owner is
	// left in place for its own client and nil is returned. Taking is atomic: of
	// two handshakes for one session, at most one gets it.
	RestoreSession(pid, offset, owner string) (*RestoredSession, error)
	// Offset returns the offset of the latest kept broadcast, which a CONNECT reply
	// carries.
	Offset() string
}

// ServerSideAcker is an Adapter that can collect other nodes' answers to a
// server-side event (Namespace.ServerSideEmitWithAck). MemoryAdapter is one, with
// no other node to ask.
type ServerSideAcker interface {
	// ServerSideEmitWithAck sends an event to the other nodes and waits, until ctx
	// or the adapter's own request timeout ends, for one answer from each. When
	// some did not answer it returns those that did with an error wrapping
	// ErrAckTimeout.
	ServerSideEmitWithAck(ctx context.Context, event string, args Args) ([]Args, error)
}

// namespaceHost is the AdapterHost of a namespace.
type namespaceHost struct{ n *Namespace }

func (h namespaceHost) Name() string             { return h.n.name }
func (h namespaceHost) Socket(id string) *Socket { return h.n.Socket(id) }
func (h namespaceHost) Sockets() []*Socket       { return h.n.Sockets() }

func (h namespaceHost) RemoteSocket(id string, hs *Handshake, rooms []string, data any) *RemoteSocket {
	return &RemoteSocket{ID: id, Handshake: hs, Rooms: rooms, Data: data, nsp: h.n}
}

func (h namespaceHost) ReceiveServerSideEmit(event string, args Args, reply func(Args)) {
	var ack Ack
	if reply != nil {
		var sent atomic.Bool
		ack = func(args ...any) error {
			a, err := argsOf(args)
			if err != nil {
				return err
			}
			if !sent.CompareAndSwap(false, true) {
				return ErrAckSent
			}
			reply(a)
			return nil
		}
	}
	h.n.mu.RLock()
	fns := h.n.onServerEmit
	h.n.mu.RUnlock()
	for _, fn := range fns {
		h.n.callServerSide(fn, event, args, ack)
	}
}

// hostNamespace returns the namespace behind h, which must come from this package.
func hostNamespace(h AdapterHost) *Namespace {
	nh, ok := h.(namespaceHost)
	if !ok {
		panic("socketio: AdapterHost not made by a Server")
	}
	return nh.n
}
