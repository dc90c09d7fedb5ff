//go:build e2e

package redise2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"rtserver/socketio"
	"rtserver/socketio/redisadapter"
)

// goNode is the Go side of the interop suite. Its application is the same as the Node
// node's in interop.test.mjs:
//
//	query rooms=a,b        the socket joins those rooms on connection
//	query user=x           the socket's data is {"user": x}
//	say ({room, text})     broadcast "said" (text, sender id, "go") to room
//	say bin ({room})       broadcast "said bin" (bytes 1 2 3) to room
//	serverSideEmit         recorded, listed by GET /ctl/sse; "ask-nodes" (q) is
//	                       answered "go answers "+q
//
// Control endpoints (JSON answers) let the Node suite drive the Go node:
//
//	GET /ctl/fetch?room=r        FetchSockets → [{id, rooms, data, query}]
//	GET /ctl/disconnect?room=r   In(r).DisconnectSockets(false)
//	GET /ctl/join?room=r&to=x    In(r).SocketsJoin(x)
//	GET /ctl/emit?room=r&event=e In(r).Emit(e, "from-go")
//	GET /ctl/ask?event=e         EmitWithAck(e, "go?") with 3s → [first arg of each]
//	GET /ctl/sse?event=e&arg=a   ServerSideEmit(e, a)
//	GET /ctl/sse-ack?event=e     ServerSideEmitWithAck(e, "go?") → [first arg of each]
//	GET /ctl/sse-received        events received from other nodes
//	GET /ctl/count               ServerCount
//	GET /ctl/rooms?id=s          rooms of local socket s
type goNode struct {
	url string
	srv *socketio.Server

	mu  sync.Mutex
	sse []any
}

func startGoNode(t *testing.T, redisAddr string) *goNode {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	cl, err := redisadapter.New(context.Background(), redisadapter.Config{Client: rdb})
	if err != nil {
		t.Fatal(err)
	}
	return startGoNodeWith(t, rdb, cl.NewAdapter, cl.Close)
}

// startGoNodeWith starts the Go node on the adapter newAdapter makes; closeAdapter and
// rdb are closed with the test.
func startGoNodeWith(t *testing.T, rdb *redis.Client, newAdapter func(socketio.AdapterHost) socketio.Adapter, closeAdapter func() error) *goNode {
	t.Helper()
	srv, err := socketio.NewServer(socketio.Config{NewAdapter: newAdapter})
	if err != nil {
		t.Fatal(err)
	}
	g := &goNode{srv: srv}
	srv.OnConnection(func(s *socketio.Socket) {
		q := s.Handshake().Query
		if r := q.Get("rooms"); r != "" {
			_ = s.Join(strings.Split(r, ",")...)
		}
		if u := q.Get("user"); u != "" {
			s.SetData(map[string]string{"user": u})
		}
		s.On("say", func(s *socketio.Socket, args socketio.Args, _ socketio.Ack) {
			var m struct{ Room, Text string }
			_ = args.Decode(0, &m)
			_ = srv.To(m.Room).Emit("said", m.Text, s.ID(), "go")
		})
		s.On("say bin", func(s *socketio.Socket, args socketio.Args, _ socketio.Ack) {
			var m struct{ Room string }
			_ = args.Decode(0, &m)
			_ = srv.To(m.Room).Emit("said bin", []byte{1, 2, 3}, "go")
		})
	})
	srv.Of("/").OnServerSideEmit(func(event string, args socketio.Args, ack socketio.Ack) {
		if event == "ask-nodes" && ack != nil {
			q, _ := args.String(0)
			_ = ack("go answers " + q)
			return
		}
		g.mu.Lock()
		g.sse = append(g.sse, map[string]any{"event": event, "args": args})
		g.mu.Unlock()
	})

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	mux.HandleFunc("/ctl/", g.control)
	ts := httptest.NewServer(mux)
	g.url = ts.URL
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
		_ = closeAdapter()
		_ = rdb.Close()
	})
	return g
}

func (g *goNode) control(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	q := r.URL.Query()
	var out any
	var err error
	switch strings.TrimPrefix(r.URL.Path, "/ctl/") {
	case "fetch":
		var socks []*socketio.RemoteSocket
		socks, err = g.srv.In(q.Get("room")).FetchSockets(ctx)
		list := []map[string]any{}
		for _, s := range socks {
			list = append(list, map[string]any{"id": s.ID, "rooms": s.Rooms, "data": s.Data, "query": s.Handshake.Query, "local": s.Local() != nil})
		}
		out = list
	case "disconnect":
		err = g.srv.In(q.Get("room")).DisconnectSockets(false)
	case "join":
		err = g.srv.In(q.Get("room")).SocketsJoin(q.Get("to"))
	case "emit":
		err = g.srv.In(q.Get("room")).Emit(q.Get("event"), "from-go")
	case "ask":
		var res []socketio.AckResponse
		res, err = g.srv.Timeout(3*time.Second).EmitWithAck(ctx, q.Get("event"), "go?")
		list := []json.RawMessage{}
		for _, a := range res {
			list = append(list, a.Args.Raw(0))
		}
		out = list
	case "sse":
		err = g.srv.Of("/").ServerSideEmit(q.Get("event"), q.Get("arg"))
	case "sse-ack":
		var res []socketio.Args
		res, err = g.srv.Of("/").ServerSideEmitWithAck(ctx, q.Get("event"), "go?")
		list := []json.RawMessage{}
		for _, a := range res {
			list = append(list, a.Raw(0))
		}
		out = list
	case "sse-received":
		g.mu.Lock()
		out = append([]any{}, g.sse...)
		g.mu.Unlock()
	case "count":
		out, err = g.srv.Of("/").Adapter().ServerCount(ctx)
	case "rooms":
		if s := g.srv.Of("/").Socket(q.Get("id")); s != nil {
			out = s.Rooms()
		} else {
			out = []string{}
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
}
