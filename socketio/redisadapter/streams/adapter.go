package streams

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"rtserver/socketio"
	"rtserver/socketio/internal/clusterwire"
	"rtserver/socketio/parser"
)

// nspAdapter is the adapter of one namespace: a MemoryAdapter for local delivery plus
// the Redis side.
type nspAdapter struct {
	*socketio.MemoryAdapter
	c          *Cluster
	nsp        socketio.AdapterHost
	channel    string // prefix#nsp#: requests to every node
	ownChannel string // prefix#nsp#uid#: answers to this node
	recovery   bool

	remoteAckID atomic.Int64
	lastCount   atomic.Int64

	requests *clusterwire.Requests

	mu    sync.Mutex
	live  map[string]string // socket id → pid of the live sessions written
	dirty map[string]struct{}
}

func newNspAdapter(c *Cluster, n socketio.AdapterHost) *nspAdapter {
	a := &nspAdapter{
		MemoryAdapter: socketio.NewMemoryAdapter(n),
		c:             c,
		nsp:           n,
		channel:       c.cfg.ChannelPrefix + "#" + n.Name() + "#",
		ownChannel:    c.cfg.ChannelPrefix + "#" + n.Name() + "#" + c.uid + "#",
		requests:      clusterwire.NewRequests(c.cfg.RequestsTimeout, ErrUnavailable, ErrTimeout),
		live:          make(map[string]string),
		dirty:         make(map[string]struct{}),
	}
	a.recovery = a.MemoryAdapter.Recovery() != nil
	a.remoteAckID.Store(parser.MaxID + 1)
	a.lastCount.Store(1)
	return a
}

// recoverable reports whether a broadcast is kept for recovery, which makes its local
// delivery wait for its stream id.
func (a *nspAdapter) recoverable(p *parser.Packet, opts socketio.BroadcastOptions) bool {
	return a.recovery && !opts.Volatile && !p.HasID() && (p.Type == parser.Event || p.Type == parser.BinaryEvent)
}

// Offset is the id of the last stream entry read: what a connecting socket has seen.
func (a *nspAdapter) Offset() string { return a.c.offset() }

// Broadcast implements socketio.Adapter. With recovery, the local sockets get the
// packet when it is read back from the stream, with its entry id as offset, in the
// same order as on every node; without, at once.
func (a *nspAdapter) Broadcast(p *parser.Packet, opts socketio.BroadcastOptions) error {
	if opts.Local {
		a.Deliver(p, opts)
		return nil
	}
	data := marshal(struct {
		Packet json.RawMessage  `json:"packet"`
		Opts   clusterwire.Opts `json:"opts"`
	}{packetJSON(p), clusterwire.ToOpts(opts)})
	a.xadd(typeBroadcast, data, p.Attachments)
	if !a.recoverable(p, opts) {
		a.Deliver(p, opts)
	}
	return nil
}

func (a *nspAdapter) xadd(typ int, data []byte, atts [][]byte) {
	v, err := entryValues(a.c.uid, a.nsp.Name(), a.c.seq.Add(1), typ, data, atts)
	if err != nil {
		a.c.cfg.Logger.Warn("streams: entry not encodable", "nsp", a.nsp.Name(), "err", err)
		return
	}
	a.c.enqueue(job{kind: jobXAdd, values: v})
}

func (a *nspAdapter) publish(channel string, typ int, data []byte, atts [][]byte, onErr func(error)) {
	msg, err := encodeMessage(a.c.uid, a.nsp.Name(), typ, data, atts)
	if err != nil {
		a.c.cfg.Logger.Warn("streams: message not encodable", "nsp", a.nsp.Name(), "err", err)
		if onErr != nil {
			onErr(err)
		}
		return
	}
	a.c.enqueue(job{kind: jobPublish, key: channel, payload: msg, onErr: onErr})
}

// BroadcastWithAck implements socketio.Adapter over pub/sub, as Node does: each other
// node answers its socket count, then each ack (its first argument only;
// AckResponse.SocketID is "").
func (a *nspAdapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts socketio.BroadcastOptions,
	onCount func(int), onAck func(string, socketio.Args)) error {
	if !opts.Local {
		reqID := newID()
		wo := clusterwire.ToOpts(opts)
		timeout := a.c.cfg.RequestsTimeout
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		wo.Flags.Timeout = math.Max(1, float64(timeout.Milliseconds()))
		cp := *p
		cp.ID = parser.NoID
		data := marshal(struct {
			Packet    json.RawMessage  `json:"packet"`
			RequestID string           `json:"requestId"`
			Opts      clusterwire.Opts `json:"opts"`
		}{packetJSON(&cp), reqID, wo})
		expected := int(a.lastCount.Load()) - 1
		a.publish(a.channel, typeBroadcast, data, p.Attachments,
			a.requests.Broadcast(ctx, reqID, typeBroadcast, expected, onCount, onAck))
	}
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, opts, onCount, onAck)
}

// ServerCount implements socketio.Adapter: the subscribers of the namespace's request
// channel (1 when Redis cannot be asked).
func (a *nspAdapter) ServerCount(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, a.c.cfg.RequestsTimeout)
	defer cancel()
	res, err := a.c.cfg.Client.PubSubNumSub(ctx, a.channel).Result()
	n := int(res[a.channel])
	if err != nil || n < 1 {
		n = 1
	}
	a.lastCount.Store(int64(n))
	return n, nil
}

// request publishes a request every other node answers and waits for the answers,
// ctx and RequestsTimeout permitting; on a timeout the answers so far come with an
// error wrapping ErrTimeout that says how many nodes answered.
func (a *nspAdapter) request(ctx context.Context, typ int, fill func(reqID string) []byte, atts [][]byte) (*clusterwire.Request, error) {
	nodes, _ := a.ServerCount(ctx)
	reqID := newID()
	return a.requests.Await(ctx, reqID, typ, nodes, func(onErr func(error)) {
		a.publish(a.channel, typ, fill(reqID), atts, onErr)
	})
}

// FetchSockets implements socketio.Adapter: the local sockets plus those the other
// nodes report (their Data is the json.RawMessage the node sent). When a node does
// not answer in time, the answers so far come with a *socketio.PartialError wrapping
// ErrTimeout.
func (a *nspAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	local, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return local, nil
	}
	pd, err := a.request(ctx, typeFetchSockets, func(reqID string) []byte {
		return marshal(struct {
			Opts      clusterwire.Opts `json:"opts"`
			RequestID string           `json:"requestId"`
		}{clusterwire.ToOpts(opts), reqID})
	}, nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	return append(local, pd.Sockets...), err
}

// Sockets implements socketio.Adapter across nodes (through fetchSockets, as Node's
// cluster adapter has no request of its own for it).
func (a *nspAdapter) Sockets(ctx context.Context, rooms []string) ([]string, error) {
	socks, err := a.FetchSockets(ctx, socketio.BroadcastOptions{Rooms: rooms})
	ids := make([]string, 0, len(socks))
	seen := make(map[string]struct{}, len(socks))
	for _, s := range socks {
		if _, dup := seen[s.ID]; !dup {
			seen[s.ID] = struct{}{}
			ids = append(ids, s.ID)
		}
	}
	return ids, err
}

// AddSockets implements socketio.Adapter (a stream entry, as Node writes it).
func (a *nspAdapter) AddSockets(opts socketio.BroadcastOptions, rooms []string) error {
	if !opts.Local {
		a.xadd(typeSocketsJoin, marshal(struct {
			Opts  clusterwire.Opts `json:"opts"`
			Rooms []string         `json:"rooms"`
		}{clusterwire.ToOpts(opts), rooms}), nil)
	}
	return a.MemoryAdapter.AddSockets(opts, rooms)
}

// DelSockets implements socketio.Adapter.
func (a *nspAdapter) DelSockets(opts socketio.BroadcastOptions, rooms []string) error {
	if !opts.Local {
		a.xadd(typeSocketsLeave, marshal(struct {
			Opts  clusterwire.Opts `json:"opts"`
			Rooms []string         `json:"rooms"`
		}{clusterwire.ToOpts(opts), rooms}), nil)
	}
	return a.MemoryAdapter.DelSockets(opts, rooms)
}

// DisconnectSockets implements socketio.Adapter.
func (a *nspAdapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) error {
	if !opts.Local {
		a.xadd(typeDisconnectSockets, marshal(struct {
			Opts  clusterwire.Opts `json:"opts"`
			Close bool             `json:"close"`
		}{clusterwire.ToOpts(opts), close}), nil)
	}
	return a.MemoryAdapter.DisconnectSockets(opts, close)
}

// sseData is {packet: [event, ...args]} (plus requestId when acks are wanted).
func sseData(event string, args socketio.Args, reqID string) []byte {
	raw, _ := args.MarshalJSON()
	pk := parser.AppendString([]byte{'['}, event)
	if args.Len() > 0 {
		pk = append(pk, ',')
	}
	pk = append(pk, raw[1:]...)
	return marshal(struct {
		Packet    json.RawMessage `json:"packet"`
		RequestID string          `json:"requestId,omitempty"`
	}{pk, reqID})
}

// ServerSideEmit implements socketio.Adapter: the other nodes' namespaces of the same
// name get the event.
func (a *nspAdapter) ServerSideEmit(event string, args socketio.Args) error {
	a.publish(a.channel, typeServerSideEmit, sseData(event, args, ""), args.Attachments(), nil)
	return nil
}

// ServerSideEmitWithAck sends the event to the other nodes and returns one answer per
// node that answered (the first argument of its ack, as Node forwards); on a timeout
// the answers so far come with an error wrapping ErrTimeout.
func (a *nspAdapter) ServerSideEmitWithAck(ctx context.Context, event string, args socketio.Args) ([]socketio.Args, error) {
	pd, err := a.request(ctx, typeServerSideEmit, func(reqID string) []byte {
		return sseData(event, args, reqID)
	}, args.Attachments())
	return append([]socketio.Args{}, pd.Replies...), err
}

// Close implements socketio.Adapter.
func (a *nspAdapter) Close() error {
	a.c.remove(a)
	a.requests.FailAll()
	return a.MemoryAdapter.Close()
}

// onEntry handles a stream entry, in stream order.
func (a *nspAdapter) onEntry(id string, m *message) error {
	own := m.UID == a.c.uid
	b, err := m.body()
	if err != nil {
		return err
	}
	switch m.Type {
	case typeBroadcast:
		p, err := toPacket(b.Packet, m.atts, a.nsp.Name())
		if err != nil {
			return err
		}
		opts := b.Opts.Options()
		if a.recoverable(p, opts) {
			a.Deliver(socketio.WithOffset(p, id), opts)
		} else if !own {
			a.Deliver(p, opts)
		}
	case typeSocketsJoin:
		if !own {
			_ = a.MemoryAdapter.AddSockets(b.Opts.Options(), b.Rooms)
		}
	case typeSocketsLeave:
		if !own {
			_ = a.MemoryAdapter.DelSockets(b.Opts.Options(), b.Rooms)
		}
	case typeDisconnectSockets:
		if !own {
			_ = a.MemoryAdapter.DisconnectSockets(b.Opts.Options(), b.Close)
		}
	}
	return nil
}

// onMessage handles a pub/sub request or answer.
func (a *nspAdapter) onMessage(raw []byte) error {
	m, err := decodeMessage(raw)
	if err != nil {
		return err
	}
	if m.UID == a.c.uid || (m.Nsp != "" && m.Nsp != a.nsp.Name()) {
		return nil
	}
	b, err := m.body()
	if err != nil {
		return err
	}
	reply := a.c.cfg.ChannelPrefix + "#" + a.nsp.Name() + "#" + m.UID + "#"
	switch m.Type {
	case typeBroadcast:
		return a.onBroadcastRequest(m, b, reply)
	case typeFetchSockets:
		socks, _ := a.MemoryAdapter.FetchSockets(context.Background(), b.Opts.Options())
		out := make([]clusterwire.Socket, len(socks))
		for i, s := range socks {
			out[i] = clusterwire.ToSocket(s)
		}
		a.publish(reply, typeFetchResponse, marshal(struct {
			RequestID string               `json:"requestId"`
			Sockets   []clusterwire.Socket `json:"sockets"`
		}{b.RequestID, out}), nil, nil)
	case typeServerSideEmit:
		event, args, err := eventData(b.Packet, m.atts)
		if err != nil {
			return err
		}
		// With a requestId the sender wants an ack (serverSideEmitWithAck): the
		// first answer of this node's handlers goes back to it.
		var answer func(socketio.Args)
		if b.RequestID != "" {
			answer = func(res socketio.Args) {
				first := res.Raw(0)
				if first == nil {
					first = json.RawMessage("null")
				}
				a.publish(reply, typeServerSideResp, marshal(struct {
					RequestID string          `json:"requestId"`
					Packet    json.RawMessage `json:"packet"`
				}{b.RequestID, first}), res.Attachments(), nil)
			}
		}
		a.nsp.ReceiveServerSideEmit(event, args, answer)
	case typeFetchResponse, typeServerSideResp, typeBroadcastCount, typeBroadcastAck:
		return a.onResponse(m, b)
	}
	return nil
}

func (a *nspAdapter) onBroadcastRequest(m *message, b *body, reply string) error {
	p, err := toPacket(b.Packet, m.atts, a.nsp.Name())
	if err != nil {
		return err
	}
	if b.RequestID == "" {
		a.Deliver(p, b.Opts.Options())
		return nil
	}
	p.ID = a.remoteAckID.Add(-1)
	timeout := a.c.cfg.RequestsTimeout
	if b.Opts != nil {
		if t := b.Opts.Flags.Timeout; t > 0 && t < float64(time.Hour/time.Millisecond) {
			timeout = time.Duration(t * float64(time.Millisecond))
		}
	}
	ctx, cancel := context.WithTimeout(a.c.ctx, timeout)
	context.AfterFunc(ctx, cancel)
	reqID := b.RequestID
	return a.MemoryAdapter.BroadcastWithAck(ctx, p, b.Opts.Options(),
		func(n int) {
			a.publish(reply, typeBroadcastCount, marshal(struct {
				RequestID   string `json:"requestId"`
				ClientCount int    `json:"clientCount"`
			}{reqID, n}), nil, nil)
		},
		func(_ string, args socketio.Args) {
			a.publish(reply, typeBroadcastAck, marshal(struct {
				RequestID string          `json:"requestId"`
				Packet    json.RawMessage `json:"packet"`
			}{reqID, firstArg(args)}), args.Attachments(), nil)
		})
}

func (a *nspAdapter) onResponse(m *message, b *body) error {
	pd := a.requests.Get(b.RequestID)
	if pd == nil {
		return nil
	}
	switch {
	case m.Type == typeBroadcastCount && pd.Kind == typeBroadcast:
		pd.OnCount(b.ClientCount)
	case m.Type == typeBroadcastAck && pd.Kind == typeBroadcast:
		args, err := valueArgs(b.Packet, m.atts)
		if err != nil {
			return err
		}
		pd.OnAck("", args)
	case m.Type == typeFetchResponse && pd.Kind == typeFetchSockets:
		a.requests.Answer(b.RequestID, pd, func() {
			for i := range b.Sockets {
				w := &b.Sockets[i]
				pd.Sockets = append(pd.Sockets, w.Remote(a.nsp))
			}
		})
	case m.Type == typeServerSideResp && pd.Kind == typeServerSideEmit:
		args, err := valueArgs(b.Packet, m.atts)
		if err != nil {
			return err
		}
		a.requests.Answer(b.RequestID, pd, func() { pd.Replies = append(pd.Replies, args) })
	}
	return nil
}
