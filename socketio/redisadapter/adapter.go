package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
	"rtserver/socketio/parser"
)

// nspAdapter is the adapter of one namespace: a MemoryAdapter for local delivery plus
// the Redis side. Calls from the namespace never wait on Redis except the requests
// whose answer comes from other nodes (FetchSockets, Sockets, ServerCount), which are
// bounded by their context and RequestsTimeout.
type nspAdapter struct {
	*socketio.MemoryAdapter
	c   *Cluster
	nsp socketio.AdapterHost
	ch  channels

	// remoteAckID numbers the acks of broadcasts from other nodes downwards from
	// parser.MaxID, away from the namespace's own ids that count up from 1, so the two
	// never meet in a socket's ack table.
	remoteAckID atomic.Int64
	// lastCount is the last server count: a broadcast with acks whose request could not
	// be published reports zero sockets for the nodes it was expecting.
	lastCount atomic.Int64

	requests *clusterwire.Requests
}

func newNspAdapter(c *Cluster, n socketio.AdapterHost) *nspAdapter {
	a := &nspAdapter{
		MemoryAdapter: socketio.NewMemoryAdapter(n),
		c:             c,
		nsp:           n,
		ch:            newChannels(c.cfg.Key, n.Name(), c.uid),
		requests:      clusterwire.NewRequests(c.cfg.RequestsTimeout, ErrUnavailable, ErrTimeout),
	}
	a.remoteAckID.Store(parser.MaxID + 1)
	a.lastCount.Store(1)
	return a
}

// Broadcast implements socketio.Adapter: the message for Redis is encoded once and
// queued without blocking, then the local sockets get the packet.
func (a *nspAdapter) Broadcast(p *parser.Packet, opts socketio.BroadcastOptions) error {
	if !opts.Local {
		if msg, err := encodeBroadcast(a.c.uid, p, opts); err != nil {
			a.c.cfg.Logger.Warn("redisadapter: broadcast not encodable", "nsp", a.nsp.Name(), "err", err)
		} else {
			a.c.enqueue(a.ch.broadcastChannel(opts), msg, nil)
		}
	}
	return a.MemoryAdapter.Broadcast(p, opts)
}

// BroadcastWithAck implements socketio.Adapter. Other nodes answer with their socket
// count and then each ack (its first argument only, as Node's adapter forwards; the
// socket id is not known, so AckResponse.SocketID is "").
func (a *nspAdapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts socketio.BroadcastOptions,
	onCount func(int), onAck func(string, socketio.Args)) error {
	if !opts.Local {
		reqID := newID(12)
		wo := clusterwire.ToOpts(opts)
		timeout := a.c.cfg.RequestsTimeout
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		wo.Flags.Timeout = math.Max(1, float64(timeout.Milliseconds()))
		msg, err := encodeBroadcastRequest(a.c.uid, reqID, p, wo)
		if err != nil {
			return err
		}
		expected := int(a.lastCount.Load()) - 1
		a.c.enqueue(a.ch.request, msg, a.requests.Broadcast(ctx, reqID, reqBroadcast, expected, onCount, onAck))
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, onCount, onAck)
}

// ServerCount implements socketio.Adapter with PUBSUB NUMSUB on the request channel.
// When Redis cannot be asked it returns 1 and no error: this node is all that can be
// reached, and a broadcast with acks must still complete with the local answers.
func (a *nspAdapter) ServerCount(ctx context.Context) (int, error) {
	if !a.c.subUp.Load() {
		a.lastCount.Store(1)
		return 1, nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.cfg.RequestsTimeout)
	defer cancel()
	res, err := a.c.cfg.Client.PubSubNumSub(ctx, a.ch.request).Result()
	n := int(res[a.ch.request])
	if err != nil || n < 1 {
		a.lastCount.Store(1)
		return 1, nil
	}
	a.lastCount.Store(int64(n))
	return n, nil
}

// request publishes a request that every other node answers and waits for the answers,
// ctx and RequestsTimeout permitting. On a timeout the answers so far come with a
// *socketio.PartialError wrapping ErrTimeout.
func (a *nspAdapter) request(ctx context.Context, kind int, body map[string]any) (*clusterwire.Request, error) {
	nodes, _ := a.ServerCount(ctx)
	if nodes <= 1 {
		return &clusterwire.Request{Kind: kind}, nil
	}
	reqID := newID(12)
	body["uid"], body["requestId"], body["type"] = a.c.uid, reqID, kind
	msg, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return a.await(ctx, kind, reqID, msg, nodes)
}

// await publishes request msg, of id reqID, and waits for an answer from each of the
// other nodes (nodes counts this one too; see request).
func (a *nspAdapter) await(ctx context.Context, kind int, reqID string, msg []byte, nodes int) (*clusterwire.Request, error) {
	return a.requests.Await(ctx, reqID, kind, nodes, func(onErr func(error)) {
		a.c.enqueue(a.ch.request, msg, onErr)
	})
}

// FetchSockets implements socketio.Adapter: the local sockets plus those the other
// nodes report (their Data is the json.RawMessage the node sent).
func (a *nspAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	local, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	pd, err := a.request(ctx, reqRemoteFetch, map[string]any{"opts": clusterwire.ToOpts(opts)})
	if pd == nil {
		return local, err
	}
	return append(local, pd.Sockets...), err
}

// Sockets implements socketio.Adapter across nodes (the SOCKETS request).
func (a *nspAdapter) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	local, _ := a.MemoryAdapter.Sockets(ctx, rooms)
	if rooms == nil {
		rooms = []string{}
	}
	pd, err := a.request(ctx, reqSockets, map[string]any{"rooms": rooms})
	if pd == nil {
		return local, err
	}
	seen := make(map[string]struct{}, len(local))
	for _, id := range local {
		seen[id] = struct{}{}
	}
	for _, id := range pd.IDs {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			local = append(local, id)
		}
	}
	return local, err
}

// publishRequest queues a request that needs no answer.
func (a *nspAdapter) publishRequest(body map[string]any) {
	body["uid"] = a.c.uid
	msg, err := json.Marshal(body)
	if err != nil {
		a.c.cfg.Logger.Warn("redisadapter: request not encodable", "nsp", a.nsp.Name(), "err", err)
		return
	}
	a.c.enqueue(a.ch.request, msg, nil)
}

// AddSockets implements socketio.Adapter.
func (a *nspAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) error {
	if !opts.Local {
		a.publishRequest(map[string]any{"type": reqRemoteJoin, "opts": clusterwire.ToOpts(opts), "rooms": rooms})
	}
	return a.MemoryAdapter.AddSockets(opts, rooms)
}

// DelSockets implements socketio.Adapter.
func (a *nspAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) error {
	if !opts.Local {
		a.publishRequest(map[string]any{"type": reqRemoteLeave, "opts": clusterwire.ToOpts(opts), "rooms": rooms})
	}
	return a.MemoryAdapter.DelSockets(opts, rooms)
}

// DisconnectSockets implements socketio.Adapter.
func (a *nspAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) error {
	if !opts.Local {
		a.publishRequest(map[string]any{"type": reqRemoteDisconnect, "opts": clusterwire.ToOpts(opts), "close": close})
	}
	return a.MemoryAdapter.DisconnectSockets(opts, close)
}

// ServerSideEmit implements socketio.Adapter: the other nodes' namespaces of the same
// name get the event (not this one).
func (a *nspAdapter) ServerSideEmit(event string, args socketio.Args) error {
	msg, err := encodeServerSideEmit(a.c.uid, event, args)
	if err != nil {
		return err
	}
	a.c.enqueue(a.ch.request, msg, nil)
	return nil
}

// ServerSideEmitWithAck implements socketio.ServerSideAcker: the SERVER_SIDE_EMIT
// request with a requestId, answered by each other node once, within ctx and
// RequestsTimeout.
func (a *nspAdapter) ServerSideEmitWithAck(ctx context.Context, event string, args socketio.Args) ([]socketio.Args, error) {
	nodes, _ := a.ServerCount(ctx)
	if nodes <= 1 {
		return []socketio.Args{}, nil
	}
	reqID := newID(12)
	msg, err := encodeServerSideEmitRequest(a.c.uid, reqID, event, args)
	if err != nil {
		return nil, err
	}
	pd, err := a.await(ctx, reqServerSideEmit, reqID, msg, nodes)
	replies := append([]socketio.Args{}, pd.Replies...)
	if errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w: %d of %d nodes answered: %w", socketio.ErrAckTimeout, len(replies), nodes-1, err)
	}
	return replies, err
}

// Close implements socketio.Adapter: the namespace's channels are unsubscribed and its
// waiting requests end.
func (a *nspAdapter) Close() error {
	a.c.remove(a)
	a.requests.FailAll()
	return a.MemoryAdapter.Close()
}

// onBroadcast delivers a broadcast from another node (or an emitter) locally.
func (a *nspAdapter) onBroadcast(b []byte) error {
	uid, wp, wo, err := decodeBroadcast(b)
	if err != nil {
		return err
	}
	if uid == a.c.uid {
		return nil
	}
	if wp.Nsp != "" && wp.Nsp != a.nsp.Name() {
		return nil
	}
	p, err := wp.toPacket(a.nsp.Name())
	if err != nil {
		return err
	}
	opts := wo.Options()
	return a.MemoryAdapter.Broadcast(p, opts)
}

// onRequest answers or carries out a request from another node.
func (a *nspAdapter) onRequest(b []byte) error {
	r, err := decodeRequest(b)
	if err != nil {
		return err
	}
	if r.UID == a.c.uid {
		return nil
	}
	switch r.Type {
	case reqSockets:
		ids, _ := a.MemoryAdapter.Sockets(context.Background(), r.Rooms)
		if ids == nil {
			ids = []string{}
		}
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": ids})
	case reqAllRooms:
		a.respond(r, map[string]any{"requestId": r.RequestID, "rooms": a.localRooms()})
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		a.onSocketsRequest(r)
	case reqRemoteFetch:
		socks, _ := a.MemoryAdapter.FetchSockets(context.Background(), r.Opts.Options())
		out := make([]clusterwire.Socket, len(socks))
		for i, s := range socks {
			out[i] = clusterwire.ToSocket(s)
		}
		a.respond(r, map[string]any{"requestId": r.RequestID, "sockets": out})
	case reqServerSideEmit:
		event, args, err := r.eventData()
		if err != nil {
			return err
		}
		// An ack was asked for (serverSideEmitWithAck) when RequestID is set: the
		// first answer of this node's handlers goes back to the sender.
		var reply func(socketio.Args)
		if r.RequestID != "" {
			reply = func(args socketio.Args) {
				msg, err := encodeServerSideResponse(r.RequestID, args)
				if err != nil {
					a.c.cfg.Logger.Warn("redisadapter: serverSideEmit answer not encodable", "nsp", a.nsp.Name(), "err", err)
					return
				}
				a.c.enqueue(a.responseChannel(r), msg, nil)
			}
		}
		a.nsp.ReceiveServerSideEmit(event, args, reply)
	case reqBroadcast:
		return a.onBroadcastRequest(r)
	}
	return nil
}

// onSocketsRequest runs socketsJoin/socketsLeave/disconnectSockets locally, in the
// 8.x form (opts) or the legacy one (sid, answered once done).
func (a *nspAdapter) onSocketsRequest(r *request) {
	if r.Opts == nil && r.SID != "" {
		s := a.nsp.Socket(r.SID)
		if s == nil {
			return
		}
		switch r.Type {
		case reqRemoteJoin:
			_ = s.Join(r.Room)
		case reqRemoteLeave:
			_ = s.Leave(r.Room)
		case reqRemoteDisconnect:
			s.Disconnect(r.Close)
		}
		a.respond(r, map[string]any{"requestId": r.RequestID})
		return
	}
	opts := r.Opts.Options()
	switch r.Type {
	case reqRemoteJoin:
		_ = a.MemoryAdapter.AddSockets(opts, r.Rooms)
	case reqRemoteLeave:
		_ = a.MemoryAdapter.DelSockets(opts, r.Rooms)
	case reqRemoteDisconnect:
		_ = a.MemoryAdapter.DisconnectSockets(opts, r.Close)
	}
}

// onBroadcastRequest delivers a broadcast with acks from another node and sends back
// the local count, then each ack, until the sender's timeout.
func (a *nspAdapter) onBroadcastRequest(r *request) error {
	if r.Packet == nil {
		return errors.New("redisadapter: broadcast request without packet")
	}
	p, err := r.Packet.toPacket(a.nsp.Name())
	if err != nil {
		return err
	}
	p.ID = a.remoteAckID.Add(-1)
	timeout := a.c.cfg.RequestsTimeout
	var opts socketio.BroadcastOptions
	if r.Opts != nil {
		opts = r.Opts.Options()
		if t := r.Opts.Flags.Timeout; t > 0 && t < float64(time.Hour/time.Millisecond) {
			timeout = time.Duration(t * float64(time.Millisecond))
		}
	}
	ctx, cancel := context.WithTimeout(a.c.ctx, timeout)
	context.AfterFunc(ctx, cancel)
	reqID := r.RequestID
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts,
		func(n int) {
			a.respond(r, map[string]any{"type": resBroadcastCount, "requestId": reqID, "clientCount": n})
		},
		func(_ string, args socketio.Args) {
			msg, err := encodeAckResponse(reqID, args)
			if err != nil {
				return
			}
			a.c.enqueue(a.responseChannel(r), msg, nil)
		})
}

// responseChannel is where the answer to r goes.
func (a *nspAdapter) responseChannel(r *request) string {
	if a.c.cfg.PublishOnSpecificResponseChannel && r.UID != "" {
		return a.c.cfg.Key + "-response#" + a.nsp.Name() + "#" + r.UID + "#"
	}
	return a.ch.response
}

// respond queues a JSON answer to r; requests without id (emitters) get none.
func (a *nspAdapter) respond(r *request, body map[string]any) {
	if r.RequestID == "" {
		return
	}
	msg, err := json.Marshal(body)
	if err != nil {
		return
	}
	a.c.enqueue(a.responseChannel(r), msg, nil)
}

// localRooms lists the rooms of the local sockets (their own id rooms included).
func (a *nspAdapter) localRooms() []string {
	seen := make(map[string]struct{})
	out := []string{}
	for _, s := range a.nsp.Sockets() {
		for _, r := range s.Rooms() {
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				out = append(out, r)
			}
		}
	}
	return out
}

// onResponse feeds an answer to the request waiting for it.
func (a *nspAdapter) onResponse(b []byte) error {
	r, err := decodeResponse(b)
	if err != nil {
		return err
	}
	pd := a.requests.Get(r.RequestID)
	if pd == nil {
		return nil
	}
	switch {
	case r.Type == resBroadcastCount && pd.Kind == reqBroadcast:
		pd.OnCount(r.ClientCount)
	case r.Type == resBroadcastAck && pd.Kind == reqBroadcast:
		args, err := r.ackArgs()
		if err != nil {
			return err
		}
		pd.OnAck("", args)
	case pd.Kind == reqRemoteFetch:
		var socks []clusterwire.Socket
		if err := json.Unmarshal(r.Sockets, &socks); err != nil {
			return err
		}
		a.requests.Answer(r.RequestID, pd, func() {
			for i := range socks {
				w := &socks[i]
				pd.Sockets = append(pd.Sockets, w.Remote(a.nsp))
			}
		})
	case pd.Kind == reqServerSideEmit:
		args, err := r.valueArgs(r.Data, r.MsgData)
		if err != nil {
			return err
		}
		a.requests.Answer(r.RequestID, pd, func() { pd.Replies = append(pd.Replies, args) })
	case pd.Kind == reqSockets:
		var ids []string
		if err := json.Unmarshal(r.Sockets, &ids); err != nil {
			return err
		}
		a.requests.Answer(r.RequestID, pd, func() { pd.IDs = append(pd.IDs, ids...) })
	}
	return nil
}
