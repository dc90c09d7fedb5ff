package engineio

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSessionTableRebuiltAfterBurst: once a burst of sessions has closed, the session
// table is rebuilt (a Go map never shrinks) and the sessions left are still found.
func TestSessionTableRebuiltAfterBurst(t *testing.T) {
	const total, kept = 2000, 40
	h := newTestHandler()
	h.echo = false
	h.closed = make(chan Reason, total)
	srv, err := NewServer(Config{KeepMemoryAfterBurst: true}, h)
	if err != nil {
		t.Fatal(err)
	}
	for range total {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?EIO=4&transport=polling", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("handshake: %d %s", w.Code, w.Body)
		}
	}
	h.mu.Lock()
	sessions := h.sessions
	h.mu.Unlock()
	if len(sessions) != total {
		t.Fatalf("%d sessions, want %d", len(sessions), total)
	}
	for _, s := range sessions[kept:] {
		s.destroy(ReasonServerShutdown, 0)
	}
	srv.mu.RLock()
	rebuilds, n := srv.peak.Rebuilds(), len(srv.sessions)
	srv.mu.RUnlock()
	if rebuilds != 1 {
		t.Errorf("session table rebuilt %d times, want 1", rebuilds)
	}
	if n != kept {
		t.Errorf("session table holds %d, want %d", n, kept)
	}
	for _, s := range sessions[:kept] {
		if srv.lookup(s.ID()) != s {
			t.Fatalf("session %s lost by the rebuild", LogID(s.ID()))
		}
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}
