package socketio

import (
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// closeCountingAdapter records that Close was called.
type closeCountingAdapter struct {
	*MemoryAdapter
	closed *atomic.Int32
}

func (a *closeCountingAdapter) Close() error {
	a.closed.Add(1)
	return a.MemoryAdapter.Close()
}

// hasNamespace reports whether srv holds namespace name.
func hasNamespace(srv *Server, name string) bool {
	for _, n := range srv.Namespaces() {
		if n.Name() == name {
			return true
		}
	}
	return false
}

// waitNamespaceGone waits (bounded) until srv no longer holds name.
func waitNamespaceGone(t *testing.T, srv *Server, name string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for hasNamespace(srv, name) {
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s still there", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A child namespace of OfRegexp with no socket left is removed and its adapter
// closed; a later CONNECT creates it again, with the parent's setup run again.
func TestEmptyChildNamespaceRemoved(t *testing.T) {
	var closed, setups atomic.Int32
	var mu sync.Mutex
	var connected []string
	srv, base := newTestServer(t, Config{NewAdapter: func(n AdapterHost) Adapter {
		return &closeCountingAdapter{MemoryAdapter: NewMemoryAdapter(n), closed: &closed}
	}}, func(s *Server) {
		s.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`), func(n *Namespace) {
			setups.Add(1)
			n.Use(func(so *Socket) error {
				if string(so.Handshake().Auth) == `{"no":1}` {
					return &ConnectError{Message: "refused"}
				}
				return nil
			})
			n.OnConnection(func(so *Socket) {
				mu.Lock()
				connected = append(connected, so.ID())
				mu.Unlock()
			})
		})
	})
	c := dial(t, base, "websocket")
	c.connect("/", "")
	c.connect("/dyn-1", "")
	if !hasNamespace(srv, "/dyn-1") {
		t.Fatal("/dyn-1 not created")
	}
	c.send("1/dyn-1,")
	waitNamespaceGone(t, srv, "/dyn-1")
	if n := closed.Load(); n != 1 {
		t.Fatalf("adapter closed %d times", n)
	}
	if !hasNamespace(srv, "/") {
		t.Fatal("the main namespace was removed")
	}

	c.connect("/dyn-1", "")
	if s := setups.Load(); s != 2 {
		t.Fatalf("setup ran %d times, want 2", s)
	}
	mu.Lock()
	n := len(connected)
	mu.Unlock()
	if n != 2 {
		t.Fatalf("OnConnection ran %d times, want 2", n)
	}

	// A refused CONNECT leaves no namespace behind either.
	c.send("0/dyn-2," + `{"no":1}`)
	c.expectPrefix("4/dyn-2,")
	waitNamespaceGone(t, srv, "/dyn-2")

	// Closing the connection empties /dyn-1 again.
	c.close()
	waitNamespaceGone(t, srv, "/dyn-1")
}

// KeepEmptyChildNamespaces keeps them, as Node's server does by default.
func TestKeepEmptyChildNamespaces(t *testing.T) {
	srv, base := newTestServer(t, Config{KeepEmptyChildNamespaces: true}, func(s *Server) {
		s.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`), nil)
	})
	c := dial(t, base, "websocket")
	c.connect("/dyn-1", "")
	c.send("1/dyn-1,")
	c.connect("/", "") // the DISCONNECT has been handled
	if !hasNamespace(srv, "/dyn-1") {
		t.Fatal("/dyn-1 removed")
	}
}
