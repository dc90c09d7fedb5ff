package handlers_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"rtserver/handlers"
	"rtserver/socketio"
)

func TestTracker(t *testing.T) {
	tr := handlers.NewTracker()
	var ended sync.Map
	end := func(k string) func() { return func() { ended.Store(k, true); tr.Remove(k) } }
	tr.Add(tr.Begin(), "/#1", "u1", "alice", "j1", "s1", end("/#1"))
	tr.Add(tr.Begin(), "/chat#2", "u1", "alice", "", "s1", end("/chat#2"))
	tr.Add(tr.Begin(), "/#3", "u1", "alice", "j2", "s2", end("/#3"))
	tr.Add(tr.Begin(), "/#4", "u2", "bob", "j3", "s3", end("/#4"))

	online := tr.Online()
	if len(online) != 2 || online[0] != (handlers.OnlineUser{ID: "u1", Name: "alice", Sockets: 3}) || online[1].Sockets != 1 {
		t.Fatalf("Online = %+v", online)
	}
	if n := tr.DisconnectCredential("j1", "s1"); n != 2 {
		t.Errorf("DisconnectCredential = %d, want 2", n)
	}
	for _, k := range []string{"/#1", "/chat#2"} {
		if _, ok := ended.Load(k); !ok {
			t.Errorf("%s not ended", k)
		}
	}
	if _, ok := ended.Load("/#3"); ok {
		t.Error("other session ended")
	}
	if n := tr.DisconnectUser("u2"); n != 1 || tr.Len() != 1 {
		t.Errorf("DisconnectUser = %d, left %d", n, tr.Len())
	}
	if n := tr.DisconnectCredential("", ""); n != 0 {
		t.Errorf("empty credential matched %d", n)
	}
	tr.Remove("/#3")
	tr.Remove("/#3")
	if tr.Len() != 0 || len(tr.Online()) != 0 {
		t.Errorf("not empty: %d %v", tr.Len(), tr.Online())
	}
}

func TestTrackerConcurrent(t *testing.T) {
	tr := handlers.NewTracker()
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				k := fmt.Sprintf("/#%d-%d", i, j)
				tr.Add(tr.Begin(), k, fmt.Sprintf("u%d", j%5), "n", "j", "s", func() { calls.Add(1); tr.Remove(k) })
				if j%10 == 0 {
					tr.DisconnectUser(fmt.Sprintf("u%d", j%5))
				}
				tr.Online()
			}
		}()
	}
	wg.Wait()
	tr.DisconnectCredential("j", "s")
	if tr.Len() != 0 {
		t.Errorf("left %d", tr.Len())
	}
}

func ExampleTracker() {
	tr := handlers.NewTracker()
	tr.Add(tr.Begin(), "/chat#a", "u1", "alice", "jti-1", "sess-1", func() { fmt.Println("disconnect /chat#a") })
	tr.Add(tr.Begin(), "/#b", "u1", "alice", "jti-2", "sess-2", func() { fmt.Println("disconnect /#b") })
	fmt.Println(tr.Online())
	tr.DisconnectCredential("jti-1", "sess-1")
	// Output:
	// [{u1 alice 2}]
	// disconnect /chat#a
}

// cluster returns two trackers wired as two nodes: a, b's peer, hears
// b's sweeps through the same events as over the adapter.
func cluster(t *testing.T) (a, b *handlers.Tracker) {
	a, b = handlers.NewTracker(), handlers.NewTracker()
	b.SetPeers(func(event string, args ...any) error {
		raw, err := json.Marshal(args)
		if err != nil {
			return err
		}
		parsed, err := socketio.ParseArgs(raw, nil, 0)
		if err != nil {
			t.Error(err)
			return err
		}
		a.OnPeerEvent(event, parsed)
		return nil
	})
	return a, b
}

// TestTrackerConnectsRacingASweep runs each interleaving of one connect
// (ticket, then Add) with one sweep, on the sweeping node and on its peer.
func TestTrackerConnectsRacingASweep(t *testing.T) {
	sweeps := []struct {
		name  string
		sweep func(*handlers.Tracker)
		// hits reports whether the sweep concerns a socket of (user,
		// token, session).
		hits func(user, token, session string) bool
	}{
		{"kick u1", func(tr *handlers.Tracker) { tr.DisconnectUser("u1") },
			func(u, _, _ string) bool { return u == "u1" }},
		{"logout j1+s1", func(tr *handlers.Tracker) { tr.DisconnectCredential("j1", "s1") },
			func(_, j, s string) bool { return j == "j1" || s == "s1" }},
		{"logout by cookie s1", func(tr *handlers.Tracker) { tr.DisconnectCredential("", "s1") },
			func(_, _, s string) bool { return s == "s1" }},
	}
	connects := []struct{ user, token, session string }{
		{"u1", "j1", "s1"},
		{"u1", "", "s1"},   // by cookie
		{"u1", "j9", "s1"}, // a refreshed token of the same session
		{"u1", "j9", "s9"}, // another session of the user
		{"u2", "j2", "s2"}, // someone else
		{"u2", "", ""},     // a token minted elsewhere, no jti, no session
	}
	for _, sw := range sweeps {
		for _, on := range []string{"this node", "peer node"} {
			for _, c := range connects {
				name := fmt.Sprintf("%s on %s/%s,%s,%s", sw.name, on, c.user, c.token, c.session)
				t.Run(name, func(t *testing.T) {
					at := handlers.NewTracker()
					sweeper := at
					if on == "peer node" {
						at, sweeper = cluster(t)
					}
					hit := sw.hits(c.user, c.token, c.session)
					var ended atomic.Int32
					add := func(k *handlers.Ticket, key string) bool {
						return at.Add(k, key, c.user, "n", c.token, c.session, func() { ended.Add(1); at.Remove(key) })
					}

					// Ticket and Add both before the sweep: the sweep ends it.
					if !add(at.Begin(), "/#before") {
						t.Fatal("refused with no sweep")
					}
					// Ticket before the sweep, Add after: refused if hit.
					k := at.Begin()
					sw.sweep(sweeper)
					if got := add(k, "/#straddle"); got == hit {
						t.Errorf("Add of a ticket taken before the sweep = %v, want %v", got, !hit)
					}
					want := int32(0)
					if hit {
						want = 1
					}
					if got := ended.Load(); got != want {
						t.Errorf("the sweep ended %d sockets registered before it, want %d", got, want)
					}
					// Ticket after the sweep: admitted (for logout and
					// revoke the verification refuses it; kick is no ban).
					if !add(at.Begin(), "/#after") {
						t.Error("Add of a ticket taken after the sweep refused")
					}
				})
			}
		}
	}
}

func TestTrackerTickets(t *testing.T) {
	tr := handlers.NewTracker()
	nop := func() {}
	if tr.Add(nil, "/#a", "u1", "n", "j1", "s1", nop) {
		t.Error("Add with no ticket registered")
	}
	if tr.Add(handlers.NewTracker().Begin(), "/#a", "u1", "n", "j1", "s1", nop) {
		t.Error("Add with another tracker's ticket registered")
	}
	k := tr.Begin()
	k.Release()
	k.Release()
	if tr.Add(k, "/#a", "u1", "n", "j1", "s1", nop) {
		t.Error("Add with a released ticket registered")
	}
	k = tr.Begin()
	if !tr.Add(k, "/#a", "u1", "n", "j1", "s1", nop) || tr.Add(k, "/#b", "u1", "n", "j1", "s1", nop) {
		t.Error("a ticket must register exactly once")
	}
	k.Release() // spent: no-op
	if tr.Len() != 1 {
		t.Errorf("Len = %d", tr.Len())
	}
}

// TestTrackerRefusedRefreshKeepsTheEntry: auth:refresh re-adds a socket's
// key with its new credential; refused, the old entry stays, so a logout
// of the socket's current login still finds it.
func TestTrackerRefusedRefreshKeepsTheEntry(t *testing.T) {
	tr := handlers.NewTracker()
	var ended atomic.Int32
	end := func() { ended.Add(1); tr.Remove("/chat#a") }
	tr.Add(tr.Begin(), "/chat#a", "u1", "n", "j1", "s1", end)
	k := tr.Begin()
	tr.DisconnectCredential("j2", "s2")
	if tr.Add(k, "/chat#a", "u1", "n", "j2", "s2", end) {
		t.Fatal("refresh to a logged-out session accepted")
	}
	if n := tr.DisconnectCredential("j1", "s1"); n != 1 || ended.Load() != 1 {
		t.Errorf("logout of the socket's own login ended %d (%d)", n, ended.Load())
	}
}

// TestTrackerRacingConnectsNeverSurvive: connects verify against a
// revocation flag set before the sweep, as the identity service does with
// the store, while a sweep runs; whatever the interleaving, no socket of
// the user is left. Run with -race.
func TestTrackerRacingConnectsNeverSurvive(t *testing.T) {
	for round := range 50 {
		tr := handlers.NewTracker()
		var revoked atomic.Bool
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("/#%d", i)
				k := tr.Begin()
				if revoked.Load() { // the verification sees the revocation
					k.Release()
					return
				}
				runtime.Gosched() // the rest of the handshake
				tr.Add(k, key, "u1", "n", "j1", "s1", func() { tr.Remove(key) })
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.Gosched()
			revoked.Store(true) // the store first
			if round%2 == 0 {
				tr.DisconnectCredential("j1", "s1")
			} else {
				tr.DisconnectUser("u1")
			}
		}()
		wg.Wait()
		if n := tr.UserSockets("u1"); n != 0 {
			t.Fatalf("round %d: %d sockets survived the sweep", round, n)
		}
	}
}
