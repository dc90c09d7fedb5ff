package handlers_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"rtserver/handlers"
	"rtserver/socketio"
)

// silentNodeAdapter is a cluster of three nodes seen from this one: the second
// answers FetchSockets with one socket of carol (data as a Go node sends it, and
// one without user data, as a Node.js node's), the third never answers.
type silentNodeAdapter struct {
	*socketio.MemoryAdapter
	host socketio.AdapterHost
}

func (a *silentNodeAdapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]*socketio.RemoteSocket, error) {
	out, _ := a.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Local {
		return out, nil
	}
	rooms := []string{"r-carol", "user:carol"}
	if len(opts.Rooms) == 0 || slices.Contains(opts.Rooms, "user:carol") {
		out = append(out,
			a.host.RemoteSocket("r-carol", &socketio.Handshake{}, rooms, json.RawMessage(`{"userId":"carol","name":"Carol"}`)),
			a.host.RemoteSocket("r-node", &socketio.Handshake{}, []string{"r-node"}, json.RawMessage(`{"foo":1}`)))
	}
	return out, &socketio.PartialError{Answered: 2, Expected: 3, Err: context.DeadlineExceeded}
}

// TestAdminCountsPartialCluster: online and kick count the other nodes' sockets by
// their socket data, each user once, and say which nodes answered.
func TestAdminCountsPartialCluster(t *testing.T) {
	t.Parallel()
	cfg := socketio.Config{NewAdapter: func(h socketio.AdapterHost) socketio.Adapter {
		return &silentNodeAdapter{MemoryAdapter: socketio.NewMemoryAdapter(h), host: h}
	}}
	base := startSocketsWith(t, cfg, handlers.SocketDeps{})
	carol := dial(t, base)
	carol.connect("/chat", `{"token":"tok-carol"}`)
	adm := dial(t, base)
	adm.connect("/admin", `{"token":"tok-admin"}`)

	online := adm.call("/admin", "online")
	nodes := map[string]any{"answered": float64(2), "expected": float64(3)}
	if online["ok"] != true || online["partial"] != true || !equalJSON(online["nodes"], nodes) {
		t.Fatalf("online = %v", online)
	}
	sockets := map[string]float64{}
	for _, u := range online["users"].([]any) {
		u := u.(map[string]any)
		if _, twice := sockets[u["id"].(string)]; twice {
			t.Errorf("%v listed twice", u["id"])
		}
		sockets[u["id"].(string)] = u["sockets"].(float64)
		if u["id"] == "carol" && u["name"] != "Carol" {
			t.Errorf("carol's name: %v", u["name"])
		}
	}
	// carol: one socket here and one on the second node (once per namespace
	// fetched: four namespaces, so 1 + 4); admin: this node only.
	if sockets["carol"] != 5 || sockets["admin"] != 1 || len(sockets) != 2 {
		t.Errorf("online sockets = %v", sockets)
	}
	kick := adm.call("/admin", "kick", map[string]any{"user": "carol"})
	if kick["ok"] != true || kick["sockets"] != float64(5) || kick["partial"] != true {
		t.Errorf("kick = %v", kick)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
