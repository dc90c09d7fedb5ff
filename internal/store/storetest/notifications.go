package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"rtserver/internal/store"
)

// notification returns notification i of user, i milliseconds after t0.
func notification(user string, i int) store.Notification {
	return store.Notification{
		ID: fmt.Sprintf("%s-n%d", user, i), UserID: user, Type: "info",
		Title: fmt.Sprintf("title %d", i), Body: "body", TS: t0().Add(time.Duration(i) * time.Millisecond),
	}
}

func notificationIDs(ns []store.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// addNotifications stores n notifications of user, in calls of 100.
func addNotifications(t *testing.T, st store.Store, user string, n int) []store.Notification {
	t.Helper()
	var all []store.Notification
	for i := range n {
		all = append(all, notification(user, i))
	}
	for chunk := range slices.Chunk(all, 100) {
		if err := st.AddNotifications(ctx(t), chunk); err != nil {
			t.Fatal(err)
		}
	}
	return all
}

func testNotifications(t *testing.T, e *env) {
	st := e.store(store.Options{})
	var alice []store.Notification
	for i := range 5 {
		n := notification("alice", i)
		// Later adds are newer whatever their TS.
		n.TS = t0().Add(-time.Duration(i) * time.Minute)
		alice = append(alice, n)
	}
	alice[1].Data = json.RawMessage(`{"room":"red","n":1}`)
	alice[2].Data = json.RawMessage(`[1,"two"]`)
	bob := []store.Notification{notification("bob", 0), notification("bob", 1)}
	// One call may mix recipients.
	if err := st.AddNotifications(ctx(t), []store.Notification{alice[0], alice[1], bob[0], alice[2]}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddNotifications(ctx(t), []store.Notification{alice[3], bob[1], alice[4]}); err != nil {
		t.Fatal(err)
	}
	if err := st.AddNotifications(ctx(t), nil); err != nil {
		t.Fatalf("no notifications: %v", err)
	}

	unread, err := st.Unread(ctx(t), "alice", 10)
	if err != nil || !slices.Equal(notificationIDs(unread), notificationIDs(alice)) {
		t.Fatalf("Unread = %v, %v; want %v", notificationIDs(unread), err, notificationIDs(alice))
	}
	for i, n := range unread {
		w := alice[i]
		if n.UserID != w.UserID || n.Type != w.Type || n.Title != w.Title || n.Body != w.Body ||
			!n.TS.Equal(w.TS) || n.Read() || string(n.Data) != string(w.Data) || (w.Data == nil) != (n.Data == nil) {
			t.Errorf("got %+v; want %+v", n, w)
		}
	}
	if unread, _ := st.Unread(ctx(t), "alice", 2); !slices.Equal(notificationIDs(unread), notificationIDs(alice[:2])) {
		t.Fatalf("Unread limit 2 = %v", notificationIDs(unread))
	}
	if unread, err := st.Unread(ctx(t), "nobody", 10); err != nil || len(unread) != 0 {
		t.Fatalf("Unread of nobody = %v, %v", unread, err)
	}

	// Newest first, paging back.
	for _, tc := range []struct {
		before string
		want   []store.Notification
		more   bool
	}{
		{"", []store.Notification{alice[4], alice[3]}, true},
		{alice[3].ID, []store.Notification{alice[2], alice[1]}, true},
		{alice[1].ID, []store.Notification{alice[0]}, false},
		{alice[0].ID, nil, false},
	} {
		got, more, err := st.ListNotifications(ctx(t), "alice", tc.before, 2)
		if err != nil || more != tc.more || !slices.Equal(notificationIDs(got), notificationIDs(tc.want)) {
			t.Fatalf("before %q: %v, more %v, %v; want %v, more %v", tc.before, notificationIDs(got), more, err, notificationIDs(tc.want), tc.more)
		}
	}
	if got, more, err := st.ListNotifications(ctx(t), "bob", "", 10); err != nil || more || !slices.Equal(notificationIDs(got), []string{bob[1].ID, bob[0].ID}) {
		t.Fatalf("bob's list: %v, %v, %v", notificationIDs(got), more, err)
	}
	for _, before := range []string{"nope", bob[0].ID} {
		if _, _, err := st.ListNotifications(ctx(t), "alice", before, 2); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("before %q: %v; want ErrNotFound", before, err)
		}
	}

	// Invalid input stores nothing and is not ErrExists.
	for name, n := range map[string]store.Notification{
		"no id":        {UserID: "alice"},
		"no recipient": {ID: "x"},
		"bad data":     {ID: "x", UserID: "alice", Data: json.RawMessage(`{`)},
	} {
		if err := st.AddNotifications(ctx(t), []store.Notification{n}); err == nil || errors.Is(err, store.ErrExists) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func testNotificationDuplicateIDs(t *testing.T, e *env) {
	st := e.store(store.Options{})
	first := notification("alice", 0)
	if err := st.AddNotifications(ctx(t), []store.Notification{first}); err != nil {
		t.Fatal(err)
	}
	fresh := notification("alice", 1)
	for name, ns := range map[string][]store.Notification{
		"stored id":            {fresh, first},
		"stored id, bob":       {fresh, {ID: first.ID, UserID: "bob"}},
		"twice in one call":    {fresh, fresh},
		"first of a new batch": {first, fresh},
	} {
		if err := st.AddNotifications(ctx(t), ns); !errors.Is(err, store.ErrExists) {
			t.Errorf("%s: %v; want ErrExists", name, err)
		}
	}
	// Each failed call stored nothing.
	got, _, err := st.ListNotifications(ctx(t), "alice", "", 10)
	if err != nil || !slices.Equal(notificationIDs(got), []string{first.ID}) {
		t.Fatalf("alice's list: %v, %v", notificationIDs(got), err)
	}
	if got, _, _ := st.ListNotifications(ctx(t), "bob", "", 10); len(got) != 0 {
		t.Fatalf("bob's list: %v", notificationIDs(got))
	}
}

func testMarkRead(t *testing.T, e *env) {
	st := e.store(store.Options{})
	alice := addNotifications(t, st, "alice", 5)
	bob := addNotifications(t, st, "bob", 1)
	at := t0().Add(time.Minute + 123*time.Millisecond)

	// Other users' ids, unknown ids and repeats are skipped; the order
	// given is kept.
	changed, err := st.MarkRead(ctx(t), "alice", []string{alice[3].ID, bob[0].ID, "nope", alice[1].ID, alice[3].ID}, at)
	if err != nil || !slices.Equal(changed, []string{alice[3].ID, alice[1].ID}) {
		t.Fatalf("MarkRead = %v, %v", changed, err)
	}
	// Ids read already are skipped and keep their first ReadAt.
	changed, err = st.MarkRead(ctx(t), "alice", []string{alice[1].ID, alice[0].ID}, at.Add(time.Hour))
	if err != nil || !slices.Equal(changed, []string{alice[0].ID}) {
		t.Fatalf("second MarkRead = %v, %v", changed, err)
	}
	if changed, err := st.MarkRead(ctx(t), "alice", nil, at); err != nil || len(changed) != 0 {
		t.Fatalf("MarkRead of nothing = %v, %v", changed, err)
	}

	unread, err := st.Unread(ctx(t), "alice", 10)
	if err != nil || !slices.Equal(notificationIDs(unread), []string{alice[2].ID, alice[4].ID}) {
		t.Fatalf("Unread = %v, %v", notificationIDs(unread), err)
	}
	list, _, err := st.ListNotifications(ctx(t), "alice", "", 10)
	if err != nil || len(list) != 5 {
		t.Fatalf("list = %v, %v", notificationIDs(list), err)
	}
	wantRead := map[string]time.Time{alice[3].ID: at, alice[1].ID: at, alice[0].ID: at.Add(time.Hour)}
	for _, n := range list {
		if w, ok := wantRead[n.ID]; n.Read() != ok || !n.ReadAt.Equal(w) {
			t.Errorf("%s: ReadAt %v; want %v", n.ID, n.ReadAt, w)
		}
	}
	if unread, _ := st.Unread(ctx(t), "bob", 10); len(unread) != 1 {
		t.Fatalf("bob's notification was marked by alice: %v", notificationIDs(unread))
	}
}

func testNotificationLimits(t *testing.T, e *env) {
	st := e.store(store.Options{})
	all := addNotifications(t, st, "alice", 250)
	for _, tc := range []struct{ limit, want int }{
		{0, store.DefaultPage}, {-1, store.DefaultPage}, {1000, 250},
	} {
		if got, err := st.Unread(ctx(t), "alice", tc.limit); err != nil || len(got) != tc.want {
			t.Errorf("Unread limit %d: %d, %v; want %d", tc.limit, len(got), err, tc.want)
		}
	}
	for _, tc := range []struct{ limit, want int }{
		{0, store.DefaultPage}, {-1, store.DefaultPage}, {1000, store.MaxPage},
	} {
		if got, more, err := st.ListNotifications(ctx(t), "alice", "", tc.limit); err != nil || !more || len(got) != tc.want {
			t.Errorf("ListNotifications limit %d: %d, more %v, %v; want %d, more", tc.limit, len(got), more, err, tc.want)
		}
	}
	got, more, err := st.ListNotifications(ctx(t), "alice", all[50].ID, store.MaxPage)
	if err != nil || more || len(got) != 50 || got[0].ID != all[49].ID {
		t.Fatalf("last page: %d, more %v, %v", len(got), more, err)
	}
}

// testNotificationRetention: TrimNotifications drops notifications older
// than NotificationRetention and, per user, all but the newest
// NotificationLimit; nobody else's inbox changes.
func testNotificationRetention(t *testing.T, e *env) {
	e.clock.Add(48 * time.Hour)
	now := e.clock.Now()
	st := e.store(store.Options{NotificationRetention: 24 * time.Hour, NotificationLimit: 3})
	// alice: 6 notifications, the first two older than a day.
	var alice []store.Notification
	for i := range 6 {
		n := notification("alice", i)
		n.TS = now.Add(-time.Duration(6-i) * time.Hour)
		if i < 2 {
			n.TS = now.Add(-25*time.Hour - time.Duration(i)*time.Minute)
		}
		alice = append(alice, n)
	}
	// bob: 2, one of them old; carol: 3, all recent (at the cap).
	bob := []store.Notification{notification("bob", 0), notification("bob", 1)}
	bob[0].TS, bob[1].TS = now.Add(-30*time.Hour), now.Add(-time.Hour)
	carol := []store.Notification{notification("carol", 0), notification("carol", 1), notification("carol", 2)}
	for i := range carol {
		carol[i].TS = now.Add(-time.Duration(i+1) * time.Minute)
	}
	for _, batch := range [][]store.Notification{alice, bob, carol} {
		if err := st.AddNotifications(ctx(t), batch); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.TrimNotifications(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 { // alice's two old ones and the oldest recent one over the cap; bob's old one
		t.Errorf("trimmed %d rows, want 4", n)
	}
	want := map[string][]string{
		"alice": {"alice-n5", "alice-n4", "alice-n3"},
		"bob":   {"bob-n1"},
		"carol": {"carol-n2", "carol-n1", "carol-n0"},
	}
	for user, ids := range want {
		got, _, err := st.ListNotifications(ctx(t), user, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(notificationIDs(got), ids) {
			t.Errorf("%s keeps %v, want %v", user, notificationIDs(got), ids)
		}
	}
	// A second pass has nothing left to do.
	if n, err := st.TrimNotifications(ctx(t)); err != nil || n != 0 {
		t.Errorf("second trim: %d, %v", n, err)
	}
}
