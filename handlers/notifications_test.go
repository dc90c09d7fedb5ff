package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"rtserver/handlers"
	"rtserver/internal/store"
)

// notesClient dials and connects user to /notifications, returning the
// client and the `unread` it got on connect.
func notesClient(t *testing.T, base, user string) (*pollClient, []handlers.NotificationOut) {
	t.Helper()
	c := dial(t, base)
	if got := c.connect("/notifications", `{"token":"tok-`+user+`"}`); got[:1] != "0" {
		t.Fatalf("connect /notifications as %s: %q", user, got)
	}
	return c, event[[]handlers.NotificationOut](c, "/notifications", "unread")
}

func TestNotificationsUnreadReadAndList(t *testing.T) {
	t.Parallel()
	fs := newFakeStore()
	t0 := time.UnixMilli(1_700_000_000_000)
	for i := range 5 {
		_ = fs.AddNotifications(t.Context(), []store.Notification{{
			ID: fmt.Sprint("n", i), UserID: "alice", Type: "t", Title: fmt.Sprint("title ", i), TS: t0.Add(time.Duration(i) * time.Second),
		}})
	}
	_ = fs.AddNotifications(t.Context(), []store.Notification{{ID: "other", UserID: "carol", Type: "t", Title: "x", TS: t0}})
	base := newSocketServer(t, handlers.SocketDeps{Chat: fs, Inbox: fs, Users: fs})

	tab1, unread := notesClient(t, base, "alice")
	if len(unread) != 5 || unread[0].ID != "n0" || unread[4].ID != "n4" || unread[0].Read || string(unread[0].Data) != "null" {
		t.Fatalf("unread = %+v", unread)
	}
	tab2, _ := notesClient(t, base, "alice")
	res := tab1.call("/notifications", "read", map[string]any{"ids": []string{"n1", "n3", "other", "nope"}})
	if res["ok"] != true || fmt.Sprint(res["ids"]) != "[n1 n3]" {
		t.Fatalf("read = %v", res)
	}
	if ev := event[struct{ IDs []string }](tab2, "/notifications", "read"); fmt.Sprint(ev.IDs) != "[n1 n3]" {
		t.Errorf("other tab got read %v", ev.IDs)
	}
	if res := tab1.call("/notifications", "read", map[string]any{"ids": []string{"n1"}}); fmt.Sprint(res["ids"]) != "[]" {
		t.Errorf("read again = %v", res)
	}
	_, unread = notesClient(t, base, "alice")
	if len(unread) != 3 {
		t.Errorf("unread after read = %d, want 3", len(unread))
	}

	page := tab1.call("/notifications", "list", map[string]any{"limit": 2})
	ns, _ := page["notifications"].([]any)
	if len(ns) != 2 || ns[0].(map[string]any)["id"] != "n4" || page["more"] != true {
		t.Fatalf("list = %v", page)
	}
	page = tab1.call("/notifications", "list", map[string]any{"before": "n3", "limit": 10})
	ns, _ = page["notifications"].([]any)
	if len(ns) != 3 || ns[0].(map[string]any)["id"] != "n2" || ns[1].(map[string]any)["read"] != true || page["more"] != false {
		t.Errorf("list before n3 = %v", page)
	}
	for _, args := range []any{map[string]any{"ids": "n1"}, map[string]any{}, "x"} {
		if got := errCode(tab1.call("/notifications", "read", args)); got != "bad_request" {
			t.Errorf("read %v: %q", args, got)
		}
	}
	if got := errCode(tab1.call("/notifications", "list", map[string]any{"before": "other"})); got != "not_found" {
		t.Errorf("list before another user's id: %q", got)
	}
}

// publishServer serves the socket namespaces and the publish API over
// one fake store.
func publishServer(t *testing.T) (base, publishURL string, fs *fakeStore) {
	t.Helper()
	fs = newFakeStore()
	io, d, base := startSockets(t, handlers.SocketDeps{Chat: fs, Inbox: fs, Users: fs})
	r := gin.New()
	r.POST("/api/v1/notifications", handlers.Publish(handlers.PublishDeps{
		Keys: []string{"service-key-0123456789"}, Verifier: tokenVerifier{},
		Users: fs, Inbox: fs, Sockets: d.Sockets, IO: io,
	}))
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	return base, ts.URL + "/api/v1/notifications", fs
}

func publish(t *testing.T, url, auth, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestPublishAPI(t *testing.T) {
	t.Parallel()
	base, url, fs := publishServer(t)
	const key = "Bearer service-key-0123456789"
	body := `{"to":{"users":["alice","bob"]},"type":"deploy","title":"Deployed","body":"v2 is live","data":{"v":2}}`
	for _, tc := range []struct {
		auth   string
		status int
		code   string
	}{
		{"", 401, "unauthenticated"},
		{"Bearer wrong-key-0123456789", 401, "unauthenticated"},
		{"Basic c2VydmljZQ==", 401, "unauthenticated"},
		{"Bearer tok-alice", 401, "unauthenticated"}, // not a JWT shape
	} {
		if status, out := publish(t, url, tc.auth, body); status != tc.status || fmt.Sprint(out["error"].(map[string]any)["code"]) != tc.code {
			t.Errorf("auth %q: %d %v", tc.auth, status, out)
		}
	}
	if n := len(fs.notes); n != 0 {
		t.Fatalf("refused publishes stored %d notifications", n)
	}

	alice, _ := notesClient(t, base, "alice")
	status, out := publish(t, url, key, body)
	ids, _ := out["ids"].([]any)
	if status != 202 || len(ids) != 2 || out["online"] != 1.0 || out["stored"] != 2.0 {
		t.Fatalf("publish: %d %v", status, out)
	}
	n := event[handlers.NotificationOut](alice, "/notifications", "notification")
	if n.ID != ids[0] || n.Type != "deploy" || n.Title != "Deployed" || n.Body != "v2 is live" || string(n.Data) != `{"v":2}` || n.Read || n.TS == 0 {
		t.Errorf("alice got %+v", n)
	}
	// Bob was offline: the notification waits in his unread.
	if _, unread := notesClient(t, base, "bob"); len(unread) != 1 || unread[0].ID != ids[1] {
		t.Errorf("bob's unread = %+v", unread)
	}

	status, out = publish(t, url, key, `{"to":{"room":"team:red"},"type":"t","title":"team"}`)
	if status != 202 || out["stored"] != 2.0 {
		t.Errorf("team publish: %d %v", status, out)
	}
	status, out = publish(t, url, key, `{"to":{"all":true},"type":"t","title":"all"}`)
	if status != 202 || out["stored"] != 4.0 {
		t.Errorf("all publish: %d %v", status, out)
	}
}

func TestPublishAPIBadBodies(t *testing.T) {
	t.Parallel()
	_, url, fs := publishServer(t)
	const key = "Bearer service-key-0123456789"
	for _, tc := range []struct{ body, field string }{
		{`nope`, ""},
		{`[]`, ""},
		{`{"to":{"users":["bob"]},"type":"t","title":"x"} {}`, ""},
		{`{"type":"t","title":"x"}`, "to"},
		{`{"to":{"users":["bob"],"all":true},"type":"t","title":"x"}`, "to"},
		{`{"to":{"users":[]},"type":"t","title":"x"}`, "to.users"},
		{`{"to":{"users":["bob","no body"]},"type":"t","title":"x"}`, "to.users"},
		{`{"to":{"users":["bob","ghost"]},"type":"t","title":"x"}`, "to.users"},
		{`{"to":{"room":"general"},"type":"t","title":"x"}`, "to.room"},
		{`{"to":{"room":"dm:bob:ghost"},"type":"t","title":"x"}`, "to.room"},
		{`{"to":{"all":false},"type":"t","title":"x"}`, "to.all"},
		{`{"to":{"all":true},"type":"Bad Type","title":"x"}`, "type"},
		{`{"to":{"all":true},"title":"x"}`, "type"},
		{`{"to":{"all":true},"type":"t"}`, "title"},
		{`{"to":{"all":true},"type":"t","title":"` + strings.Repeat("x", 201) + `"}`, "title"},
		{`{"to":{"all":true},"type":"t","title":"x","body":5}`, "body"},
		{`{"to":{"all":true},"type":"t","title":"x","body":"a\u0000b"}`, "body"},
		{`{"to":{"all":true},"type":"t","title":"x","data":"` + strings.Repeat("x", 17<<10) + `"}`, "data"},
		{`{"to":{"all":true},"type":"t","title":"x","extra":1}`, "extra"},
	} {
		status, out := publish(t, url, key, tc.body)
		e, _ := out["error"].(map[string]any)
		if status != 400 || e["code"] != "bad_request" || e["field"] != tc.field || e["message"] == "" {
			t.Errorf("%.60s: %d %v, want 400 field %q", tc.body, status, out, tc.field)
		}
	}
	if n := len(fs.notes); n != 0 {
		t.Errorf("bad publishes stored %d notifications", n)
	}
}
