package socketio

import (
	"context"
	"time"

	"rtserver/socketio/parser"
)

// BroadcastOptions select the recipients of a broadcast, as socket.io's adapters do:
// the sockets in any of Rooms (every socket of the namespace when Rooms is empty) that
// are in none of Except. A socket id is also a room.
type BroadcastOptions struct {
	Rooms  []string `json:"rooms"`
	Except []string `json:"except"`
	// Local keeps the operation on this node (a cluster adapter does not forward it).
	Local bool `json:"local,omitempty"`
	// Volatile drops the packet for a recipient that cannot take it at once instead
	// of queueing it; a volatile packet is never kept for recovery.
	Volatile bool `json:"volatile,omitempty"`
	// Uncompressed marks the packet's frames as not to be compressed with
	// permessage-deflate (Operator.Compress(false); Node's flags.compress).
	Uncompressed bool `json:"uncompressed,omitempty"`
}

// PersistedSession is the state of an unexpectedly disconnected socket, kept for
// connection state recovery (Config.Recovery).
type PersistedSession struct {
	// SID is the socket id the client gets back.
	SID string `json:"sid"`
	// PID is the private session id the client proves itself with.
	PID string `json:"pid"`
	// Rooms are the socket's rooms at disconnection (its own id room included).
	Rooms []string `json:"rooms"`
	// Data is the socket's Data slot (Set/Get values are not kept).
	Data any `json:"data"`
	// Offset is the broadcast offset when the socket (re)connected: packets after it
	// are missed when the client reports no later offset.
	Offset string `json:"offset"`
	// DisconnectedAt is when the socket was lost.
	DisconnectedAt time.Time `json:"disconnectedAt"`
	// Owner is who the socket acted for (RecoveryConfig.Owner; "" without one). The
	// session is restored only to a handshake with the same owner, so a pid alone
	// does not hand a session to someone else. It is never a credential.
	Owner string `json:"owner,omitempty"`
}

// RestoredSession is a persisted session plus the broadcasts it missed, oldest
// first.
type RestoredSession struct {
	PersistedSession
	Missed []MissedPacket
}

// MissedPacket is a broadcast a disconnected session missed: the packet, already
// carrying its offset as the last argument, and the options that selected its
// recipients, so the namespace can drop the packets addressed only to rooms it
// does not restore (RecoveryConfig.KeepRoom).
type MissedPacket struct {
	Packet *parser.Packet
	Opts   BroadcastOptions
}

// Adapter keeps room membership and delivers broadcasts for one namespace. Its
// methods mirror socket.io's adapter (addAll, del, delAll, broadcast,
// broadcastWithAck, sockets, socketRooms, fetchSockets, addSockets, delSockets,
// disconnectSockets, serverSideEmit, serverCount, close) so that a cluster adapter
// speaking @socket.io/redis-adapter's protocol fits without touching the rest of
// the package: it embeds a *MemoryAdapter for the local part, forwards the rest to
// its peers, and hands what they send to its AdapterHost. Optional capabilities are
// interfaces of their own: SessionAdapter (connection state recovery, which
// MemoryAdapter brings to those that embed it) and ServerSideAcker.
//
// Methods are called from many goroutines. They must not block on the network while
// holding locks the namespace needs, and must never call back into the namespace
// with a lock held.
type Adapter interface {
	// AddAll puts socket id in rooms.
	AddAll(id string, rooms []string)
	// Del removes socket id from room.
	Del(id, room string)
	// DelAll removes socket id from every room.
	DelAll(id string)
	// Broadcast delivers p (EVENT or BINARY_EVENT without ack id) to the selected
	// sockets. It may rewrite a copy of p (recovery appends the offset).
	Broadcast(p *parser.Packet, opts BroadcastOptions) error
	// BroadcastWithAck delivers p, which carries an ack id, and registers onAck for
	// every recipient's reply until ctx ends. Each node calls onCount once with the
	// number of sockets it sent p to.
	BroadcastWithAck(ctx context.Context, p *parser.Packet, opts BroadcastOptions,
		onCount func(n int), onAck func(socketID string, args Args)) error
	// Sockets returns the ids of the sockets in any of rooms (all when empty).
	Sockets(ctx context.Context, rooms []string) ([]string, error)
	// SocketRooms returns the rooms of local socket id (nil when unknown).
	SocketRooms(id string) []string
	// FetchSockets returns the selected sockets, on every node unless opts.Local.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]*RemoteSocket, error)
	// AddSockets makes the selected sockets join rooms.
	AddSockets(opts BroadcastOptions, rooms []string) error
	// DelSockets makes the selected sockets leave rooms.
	DelSockets(opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the selected sockets (close: their whole
	// connection).
	DisconnectSockets(opts BroadcastOptions, close bool) error
	// ServerSideEmit sends an event to the other nodes' namespaces of the same name.
	ServerSideEmit(event string, args Args) error
	// ServerCount returns the number of nodes.
	ServerCount(ctx context.Context) (int, error)
	// Close releases the adapter.
	Close() error
}

// RemoteSocket describes a socket found by FetchSockets, local or on another node,
// and acts on it through the adapter.
type RemoteSocket struct {
	ID        string     `json:"id"`
	Handshake *Handshake `json:"handshake"`
	Rooms     []string   `json:"rooms"`
	Data      any        `json:"data"`

	nsp   *Namespace
	local *Socket
}

// Local returns the socket when it lives on this node, else nil.
func (r *RemoteSocket) Local() *Socket { return r.local }

// Emit sends an event to the socket, wherever it lives.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	if r.local != nil {
		return r.local.Emit(event, args...)
	}
	return r.nsp.To(r.ID).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(rooms ...string) error {
	if r.local != nil {
		return r.local.Join(rooms...)
	}
	return r.nsp.In(r.ID).SocketsJoin(rooms...)
}

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(rooms ...string) error {
	if r.local != nil {
		for _, room := range rooms {
			if err := r.local.Leave(room); err != nil {
				return err
			}
		}
		return nil
	}
	return r.nsp.In(r.ID).SocketsLeave(rooms...)
}

// Disconnect disconnects the socket (close: its whole connection).
func (r *RemoteSocket) Disconnect(close bool) error {
	if r.local != nil {
		r.local.Disconnect(close)
		return nil
	}
	return r.nsp.In(r.ID).DisconnectSockets(close)
}
