package handlers_test

import (
	"fmt"
	"testing"

	"rtserver/handlers"
	"rtserver/internal/identity"
	"rtserver/rooms"
)

// rulePolicy is the real room policy of rooms/ over middleware claims.
type rulePolicy struct{}

func (rulePolicy) CanJoin(c identity.Claims, room string) error {
	return rooms.NewPolicy().CanJoin(rooms.Principal{ID: c.UserID, Teams: c.Teams, Roles: c.Roles}, room)
}

// chatClient dials and connects user to /chat.
func chatClient(t *testing.T, base, user string) *pollClient {
	t.Helper()
	c := dial(t, base)
	if got := c.connect("/chat", `{"token":"tok-`+user+`"}`); got[:1] != "0" {
		t.Fatalf("connect /chat as %s: %q", user, got)
	}
	return c
}

type presenceEvent struct {
	Room   string           `json:"room"`
	User   handlers.UserRef `json:"user"`
	Online bool             `json:"online"`
}

func TestChatJoinAnswersHistoryAndMembers(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{})
	alice := chatClient(t, base, "alice")
	if res := alice.call("/chat", "join", "general"); res["ok"] != true {
		t.Fatalf("join = %v", res)
	}
	var ids []string
	for i := range 60 {
		res := alice.call("/chat", "message", map[string]any{"room": "general", "text": fmt.Sprint("m", i)})
		if res["ok"] != true || res["id"] == "" || res["ts"] == nil {
			t.Fatalf("message %d = %v", i, res)
		}
		ids = append(ids, res["id"].(string))
	}

	bob := chatClient(t, base, "bob")
	res := bob.call("/chat", "join", "general")
	hist, _ := res["history"].([]any)
	if res["ok"] != true || res["room"] != "general" || len(hist) != 50 {
		t.Fatalf("join: ok=%v room=%v history=%d", res["ok"], res["room"], len(hist))
	}
	first, last := hist[0].(map[string]any), hist[49].(map[string]any)
	if first["text"] != "m10" || last["text"] != "m59" || last["id"] != ids[59] {
		t.Errorf("history runs %v .. %v, want m10 .. m59 oldest first", first["text"], last["text"])
	}
	if from, _ := first["from"].(map[string]any); from["id"] != "alice" || from["name"] != "Alice" {
		t.Errorf("from = %v", first["from"])
	}
	members, _ := res["members"].([]any)
	if len(members) != 2 {
		t.Errorf("members = %v, want alice and bob", members)
	}
	if p := event[presenceEvent](alice, "/chat", "presence"); p.User.ID != "bob" || !p.Online || p.Room != "general" {
		t.Errorf("alice saw presence %+v", p)
	}

	// Paging back from the oldest message of the join answer.
	page := bob.call("/chat", "history", map[string]any{"room": "general", "before": first["id"], "limit": 7})
	msgs, _ := page["messages"].([]any)
	if page["ok"] != true || len(msgs) != 7 || page["more"] != true ||
		msgs[0].(map[string]any)["text"] != "m3" || msgs[6].(map[string]any)["text"] != "m9" {
		t.Errorf("history page = %v", page)
	}
	page = bob.call("/chat", "history", map[string]any{"room": "general", "before": ids[3], "limit": 500})
	if msgs, _ := page["messages"].([]any); len(msgs) != 3 || page["more"] != false {
		t.Errorf("last page = %v", page)
	}
	for _, tc := range []struct {
		args any
		code string
	}{
		{map[string]any{"room": "general", "before": "nope"}, "not_found"},
		{map[string]any{"room": "team:blue"}, "forbidden"},
		{map[string]any{"room": "general", "limit": -1}, "bad_request"},
		{map[string]any{"before": ids[3]}, "bad_request"},
		{"general", "bad_request"},
	} {
		if got := errCode(bob.call("/chat", "history", tc.args)); got != tc.code {
			t.Errorf("history %v: code %q, want %q", tc.args, got, tc.code)
		}
	}
}

func TestChatPresenceCountsUsers(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{})
	carol := chatClient(t, base, "carol")
	carol.call("/chat", "join", "general")
	tab1, tab2 := chatClient(t, base, "alice"), chatClient(t, base, "alice")
	tab1.call("/chat", "join", "general")
	if p := event[presenceEvent](carol, "/chat", "presence"); p.User.ID != "alice" || !p.Online {
		t.Fatalf("presence = %+v", p)
	}
	tab2.call("/chat", "join", "general")
	tab1.call("/chat", "leave", "general")
	// Alice's second tab is still there: carol hears nothing until it
	// leaves too. A message from carol proves the order.
	tab2.call("/chat", "leave", "general")
	p := event[presenceEvent](carol, "/chat", "presence")
	if p.User.ID != "alice" || p.Online || p.User.Name != "Alice" {
		t.Fatalf("after both tabs left: %+v", p)
	}
	if len(carol.held) != 0 {
		t.Errorf("carol got extra packets %q", carol.held)
	}
}

func TestChatPresenceEndsOnDisconnect(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{})
	carol := chatClient(t, base, "carol")
	carol.call("/chat", "join", "general")
	alice := chatClient(t, base, "alice")
	alice.call("/chat", "join", "general")
	event[presenceEvent](carol, "/chat", "presence")
	alice.send("1/chat,")
	if p := event[presenceEvent](carol, "/chat", "presence"); p.User.ID != "alice" || p.Online {
		t.Fatalf("presence after disconnect = %+v", p)
	}
}

func TestChatTyping(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{})
	alice, carol := chatClient(t, base, "alice"), chatClient(t, base, "carol")
	alice.call("/chat", "join", "general")
	carol.call("/chat", "join", "general")
	if res := alice.call("/chat", "typing", map[string]any{"room": "general"}); res["ok"] != true {
		t.Fatalf("typing = %v", res)
	}
	typing := event[struct {
		Room string           `json:"room"`
		From handlers.UserRef `json:"from"`
	}](carol, "/chat", "typing")
	if typing.Room != "general" || typing.From.ID != "alice" || typing.From.Name != "Alice" {
		t.Errorf("typing = %+v", typing)
	}
	if got := errCode(alice.call("/chat", "typing", map[string]any{"room": "random"})); got != "bad_request" {
		t.Errorf("typing in a room not joined: %q", got)
	}
	// Past the burst, typing events are dropped: no ack, no relay.
	for range 10 {
		alice.send(`2/chat,["typing",{"room":"general"}]`)
	}
	if res := alice.call("/chat", "message", map[string]any{"room": "general", "text": "done"}); res["ok"] != true {
		t.Fatalf("message = %v", res)
	}
	relayed := 0
	for {
		p := carol.recv()
		if p[:len(`2/chat,["typing"`)] == `2/chat,["typing"` {
			relayed++
			continue
		}
		break // the message
	}
	if relayed < 1 || relayed > 3 {
		t.Errorf("relayed %d of 10 typing events, want the burst (at most 3)", relayed)
	}
}

func TestChatDirectMessages(t *testing.T) {
	t.Parallel()
	base := newSocketServer(t, handlers.SocketDeps{Rooms: rulePolicy{}})
	alice, bob, carol := chatClient(t, base, "alice"), chatClient(t, base, "bob"), chatClient(t, base, "carol")
	if got := errCode(carol.call("/chat", "join", "dm:alice:bob")); got != "forbidden" {
		t.Errorf("carol joins alice and bob's DM: %q", got)
	}
	if got := errCode(alice.call("/chat", "join", "dm:bob:alice")); got != "bad_request" {
		t.Errorf("unsorted DM name: %q", got)
	}
	if res := alice.call("/chat", "join", "dm:alice:bob"); res["ok"] != true {
		t.Fatalf("join DM = %v", res)
	}
	if res := alice.call("/chat", "message", map[string]any{"room": "dm:alice:bob", "text": "psst"}); res["ok"] != true {
		t.Fatalf("DM = %v", res)
	}
	// Bob has not joined the DM room: the DM reaches him anyway.
	m := event[handlers.ChatOut](bob, "/chat", "message")
	if m.Room != "dm:alice:bob" || m.Text != "psst" || m.From.ID != "alice" {
		t.Errorf("bob got %+v", m)
	}
	if hist := bob.call("/chat", "history", map[string]any{"room": "dm:alice:bob"}); len(hist["messages"].([]any)) != 1 {
		t.Errorf("bob's DM history = %v", hist)
	}
	if got := errCode(carol.call("/chat", "history", map[string]any{"room": "dm:alice:bob"})); got != "forbidden" {
		t.Errorf("carol reads the DM history: %q", got)
	}
	rs := bob.call("/chat", "rooms")
	var names []string
	for _, r := range rs["rooms"].([]any) {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	if fmt.Sprint(names) != "[team:red dm:admin:bob dm:alice:bob dm:bob:carol]" {
		t.Errorf("rooms = %v", names)
	}
	us := bob.call("/chat", "users")
	online := map[string]bool{}
	for _, u := range us["users"].([]any) {
		u := u.(map[string]any)
		online[u["id"].(string)] = u["online"].(bool)
	}
	if !online["alice"] || !online["carol"] || online["admin"] || len(online) != 4 {
		t.Errorf("users = %v", us)
	}
}

func TestChatRetryWithClientID(t *testing.T) {
	t.Parallel()
	fs := newFakeStore()
	base := newSocketServer(t, handlers.SocketDeps{Chat: fs, Inbox: fs, Users: fs})
	alice := chatClient(t, base, "alice")
	alice.call("/chat", "join", "general")
	first := alice.call("/chat", "message", map[string]any{"room": "general", "text": "once", "cid": "c-1"})
	again := alice.call("/chat", "message", map[string]any{"room": "general", "text": "once", "cid": "c-1"})
	if first["ok"] != true || again["ok"] != true || first["id"] != again["id"] || again["duplicate"] != true {
		t.Fatalf("first %v, retry %v", first, again)
	}
	if n := len(fs.msgs); n != 1 {
		t.Errorf("stored %d messages, want 1", n)
	}
}
