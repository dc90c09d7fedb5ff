package admin

import (
	"encoding/json"
	"sync"
	"time"

	"rtserver/socketio"
)

// serializedSocket is a socket as the UI reads it (SerializedSocket in the
// UI's typings): transport and clientId let it group a client's sockets.
type serializedSocket struct {
	ID        string          `json:"id"`
	ClientID  string          `json:"clientId"`
	Transport string          `json:"transport"`
	Nsp       string          `json:"nsp"`
	Data      any             `json:"data"`
	Handshake json.RawMessage `json:"handshake"`
	Rooms     []string        `json:"rooms"`
}

func (a *Admin) serialize(s *socketio.Socket) serializedSocket {
	return serializedSocket{
		ID: s.ID(), ClientID: s.ClientID(), Transport: s.Transport(), Nsp: s.Namespace().Name(),
		Data: dataOf(s.Data()), Handshake: a.handshake(s.Handshake()), Rooms: nonNil(s.Rooms()),
	}
}

// serializeRemote describes a socket FetchSockets found, maybe on another node,
// whose connection this node cannot see: its transport is the handshake's and
// its client is named by its id.
func (a *Admin) serializeRemote(n *socketio.Namespace, r *socketio.RemoteSocket) serializedSocket {
	if s := r.Local(); s != nil {
		return a.serialize(s)
	}
	transport := "polling"
	if r.Handshake != nil && r.Handshake.Query.Get("transport") != "" {
		transport = r.Handshake.Query.Get("transport")
	}
	return serializedSocket{
		ID: r.ID, ClientID: r.ID, Transport: transport, Nsp: n.Name(),
		Data: dataOf(r.Data), Handshake: a.handshake(r.Handshake), Rooms: nonNil(r.Rooms),
	}
}

// handshake is hs as Node's socket.handshake, less what would hand the UI a
// credential: the auth payload, the Cookie and Authorization headers and the
// query parameters of Config.RedactQuery.
func (a *Admin) handshake(hs *socketio.Handshake) json.RawMessage {
	if hs == nil {
		return json.RawMessage(`{}`)
	}
	b, err := json.Marshal(hs)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return json.RawMessage(`{}`)
	}
	delete(m, "auth")
	var headers map[string]json.RawMessage
	if json.Unmarshal(m["headers"], &headers) == nil && headers != nil {
		delete(headers, "cookie")
		delete(headers, "authorization")
		m["headers"], _ = json.Marshal(headers)
	}
	if len(a.cfg.RedactQuery) > 0 {
		var q map[string]json.RawMessage
		if json.Unmarshal(m["query"], &q) == nil && q != nil {
			for _, k := range a.cfg.RedactQuery {
				if _, ok := q[k]; ok {
					q[k] = json.RawMessage(`"[redacted]"`)
				}
			}
			m["query"], _ = json.Marshal(q)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}

// dataOf is socket.data as Node shows it: {} when unset.
func dataOf(v any) any {
	if v == nil {
		return struct{}{}
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AggregateEvent is one counter of server_stats' aggregatedEvents: how many
// things of Type (and SubType) happened in the second starting at Timestamp
// (Unix milliseconds).
type AggregateEvent struct {
	Timestamp int64  `json:"timestamp"`
	Type      string `json:"type"`
	SubType   string `json:"subType,omitempty"`
	Count     int    `json:"count"`
}

// eventBuffer counts events per second until the next server_stats takes them.
type eventBuffer struct {
	mu    sync.Mutex
	order []aggKey
	m     map[aggKey]int
}

type aggKey struct {
	ts           int64
	typ, subType string
}

func newEventBuffer() *eventBuffer {
	return &eventBuffer{m: make(map[aggKey]int)}
}

// maxAggKeys bounds the buffer should server_stats stop being sent.
const maxAggKeys = 10_000

func (b *eventBuffer) add(now time.Time, typ, subType string, n int) {
	k := aggKey{ts: now.Truncate(time.Second).UnixMilli(), typ: typ, subType: subType}
	b.mu.Lock()
	if _, ok := b.m[k]; !ok {
		if len(b.order) >= maxAggKeys {
			b.mu.Unlock()
			return
		}
		b.order = append(b.order, k)
	}
	b.m[k] += n
	b.mu.Unlock()
}

func (b *eventBuffer) takeAll() []AggregateEvent {
	b.mu.Lock()
	order, m := b.order, b.m
	b.order, b.m = nil, make(map[aggKey]int)
	b.mu.Unlock()
	out := make([]AggregateEvent, 0, len(order))
	for _, k := range order {
		out = append(out, AggregateEvent{Timestamp: k.ts, Type: k.typ, SubType: k.subType, Count: m[k]})
	}
	return out
}
