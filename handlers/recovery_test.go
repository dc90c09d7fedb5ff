package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"rtserver/handlers"
	"rtserver/internal/identity"
	"rtserver/middleware"
	"rtserver/socketio"
)

// recoveryServer serves the namespaces with connection state recovery under
// the product's rules (handlers.NewRecovery over the real room policy).
func recoveryServer(t *testing.T) (*socketio.Server, string) {
	t.Helper()
	rec := handlers.NewRecovery(rulePolicy{})
	srv, err := socketio.NewServer(socketio.Config{Recovery: &socketio.RecoveryConfig{
		MaxDisconnectionDuration: 10 * time.Second,
		Owner:                    rec.Owner,
		KeepRoom:                 rec.KeepRoom,
	}})
	if err != nil {
		t.Fatal(err)
	}
	fs := newFakeStore()
	handlers.Namespaces(srv, handlers.SocketDeps{
		Verifier: tokenVerifier{}, Rooms: rulePolicy{}, Sockets: handlers.NewTracker(),
		Chat: fs, Inbox: fs, Users: fs,
		Auth: middleware.AuthOptions{Credentials: identity.NewCredentials(nil, middleware.NewOrigins(nil).HasAllowedOrigin, handlers.SessionCookie)},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return srv, ts.URL + "/socket.io/?EIO=4&transport=polling"
}

// session is the CONNECT reply of a recovery-enabled namespace.
type session struct{ SID, PID, Offset string }

// connectSession connects c to nsp with auth and returns the reply's ids.
func connectSession(t *testing.T, c *pollClient, nsp, auth string) session {
	t.Helper()
	reply := c.connect(nsp, auth)
	prefix := "0"
	if nsp != "/" {
		prefix += nsp + ","
	}
	var s session
	if !strings.HasPrefix(reply, prefix+"{") || json.Unmarshal([]byte(reply[len(prefix):]), &s) != nil || s.PID == "" {
		t.Fatalf("connect %s: %q", nsp, reply)
	}
	return s
}

// recoverAuth is a CONNECT auth payload with token and the session to recover.
func recoverAuth(token string, s session) string {
	b, _ := json.Marshal(map[string]string{"token": token, "pid": s.PID, "offset": s.Offset})
	return string(b)
}

// drop closes c's Engine.IO session as a lost transport does, and waits
// until nsp has let socket sid go (its session is then persisted).
func drop(t *testing.T, srv *socketio.Server, c *pollClient, nsp, sid string) {
	t.Helper()
	c.do(http.MethodPost, c.url, "1")
	deadline := time.Now().Add(5 * time.Second)
	for srv.Of(nsp).Socket(sid) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s socket still connected", nsp)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// missed returns the event packets c received in nsp between the CONNECT
// reply and the answer to a probe event (missed packets come first), but
// `unread`, which every /notifications socket gets on connect.
func missed(c *pollClient, nsp, probe string) []string {
	c.held = nil
	c.call(nsp, probe)
	var out []string
	for _, p := range c.held {
		if strings.HasPrefix(p, "2") && !strings.Contains(p, `["unread",`) {
			out = append(out, p)
		}
	}
	c.held = nil
	return out
}

// TestRecoveryTakeoverGetsFreshSession: on every namespace, a handshake
// with its own valid credential and another owner's pid/offset gets a
// fresh socket (new id, not recovered, none of the owner's rooms, none of
// the packets the owner missed). Another login of the same user is another
// owner. The session stays for its owner.
func TestRecoveryTakeoverGetsFreshSession(t *testing.T) {
	t.Parallel()
	srv, base := recoveryServer(t)
	tests := []struct {
		nsp, owner, thief, probe string
		room                     string // the owner's room a missed packet goes to
	}{
		{"/", "tok-alice", "tok-carol", "whoami", "user:alice"},
		{"/chat", "tok-alice", "tok-carol", "rooms", "team:red"},
		{"/notifications", "tok-alice", "tok-carol", "list", "user:alice"},
		{"/admin", "tok-admin", "tok-admin-2", "online", ""},
	}
	for _, tt := range tests {
		owner := dial(t, base)
		was := connectSession(t, owner, tt.nsp, `{"token":"`+tt.owner+`"}`)
		if tt.nsp == "/chat" {
			owner.call("/chat", "join", "team:red")
		}
		drop(t, srv, owner, tt.nsp, was.SID)
		if tt.room != "" {
			_ = srv.Of(tt.nsp).To(tt.room).Emit("for-owner", 1)
		}
		_ = srv.Of(tt.nsp).To(was.SID).Emit("for-owner", 2)

		thief := dial(t, base)
		got := connectSession(t, thief, tt.nsp, recoverAuth(tt.thief, was))
		if got.SID == was.SID || got.PID == was.PID {
			t.Errorf("%s: the takeover got the owner's session: %+v", tt.nsp, got)
			continue
		}
		s := srv.Of(tt.nsp).Socket(got.SID)
		if s == nil || s.Recovered() || (tt.room != "" && s.In(tt.room)) {
			t.Errorf("%s: fresh socket expected, got recovered %v rooms %v", tt.nsp, s.Recovered(), s.Rooms())
		}
		if m := missed(thief, tt.nsp, tt.probe); len(m) != 0 {
			t.Errorf("%s: the takeover received %q", tt.nsp, m)
		}

		back := dial(t, base)
		if again := connectSession(t, back, tt.nsp, recoverAuth(tt.owner, was)); again.SID != was.SID {
			t.Errorf("%s: the owner did not get the session back: %+v", tt.nsp, again)
			continue
		}
		// The owner's going offline is announced to team:red (presence) when
		// the drop is seen, which may come after the emits above: look for the
		// owner's packets, in order, whatever else was missed.
		m := missed(back, tt.nsp, tt.probe)
		want := []string{`"for-owner",2,`}
		if tt.room != "" {
			want = []string{`"for-owner",1,`, `"for-owner",2,`}
		}
		for _, p := range m {
			if len(want) > 0 && strings.Contains(p, want[0]) {
				want = want[1:]
			}
		}
		if len(want) != 0 {
			t.Errorf("%s: the owner's missed packets: %q", tt.nsp, m)
		}
	}
}

// TestRecoveryAppliesCurrentRules: a login that lost a team while away
// gets its session back without the team room and without the messages it
// missed there; its other rooms and their missed messages come back.
func TestRecoveryAppliesCurrentRules(t *testing.T) {
	t.Parallel()
	srv, base := recoveryServer(t)
	bob := chatClient(t, base, "bob")
	a := dial(t, base)
	was := connectSession(t, a, "/chat", `{"token":"tok-alice"}`)
	for _, room := range []string{"team:red", "lobby"} {
		a.call("/chat", "join", room)
		bob.call("/chat", "join", room)
	}
	drop(t, srv, a, "/chat", was.SID)
	bob.call("/chat", "message", map[string]any{"room": "team:red", "text": "red"})
	bob.call("/chat", "message", map[string]any{"room": "lobby", "text": "lobby"})

	back := dial(t, base)
	// tok-alice-noteam: the same login (session), no longer in team red.
	if got := connectSession(t, back, "/chat", recoverAuth("tok-alice-noteam", was)); got.SID != was.SID {
		t.Fatalf("same login not recovered: %+v", got)
	}
	var messages []string
	for _, p := range missed(back, "/chat", "rooms") {
		if strings.Contains(p, `"room":"team:red"`) {
			t.Errorf("missed packet of the lost room: %q", p)
		}
		if strings.HasPrefix(p, `2/chat,["message",`) {
			messages = append(messages, p)
		}
	}
	if len(messages) != 1 || !strings.Contains(messages[0], `"text":"lobby"`) {
		t.Errorf("missed messages %q, want the lobby one only", messages)
	}
	s := srv.Of("/chat").Socket(was.SID)
	if rooms := s.Rooms(); !s.Recovered() || slices.Contains(rooms, "team:red") || !slices.Contains(rooms, "lobby") || !slices.Contains(rooms, "user:alice") {
		t.Errorf("recovered %v rooms %v", s.Recovered(), rooms)
	}
}
