package handlers_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"rtserver/internal/store"
)

// fakeStore is an in-memory ChatStore, Inbox and Directory for handler
// tests; internal/store has the real ones and their own tests.
type fakeStore struct {
	mu    sync.Mutex
	msgs  []store.Message
	notes []store.Notification
	users []store.User
}

func newFakeStore() *fakeStore {
	return &fakeStore{users: []store.User{
		{ID: "admin", DisplayName: "Admin", Roles: []string{"admin"}},
		{ID: "alice", DisplayName: "Alice", Teams: []string{"red"}},
		{ID: "bob", DisplayName: "Bob", Teams: []string{"red"}},
		{ID: "carol", DisplayName: "Carol", Teams: []string{"blue"}},
	}}
}

func (f *fakeStore) AppendMessage(_ context.Context, m store.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, have := range f.msgs {
		if have.ID == m.ID {
			return store.ErrExists
		}
	}
	f.msgs = append(f.msgs, m)
	return nil
}

func (f *fakeStore) History(_ context.Context, room, before string, limit int) ([]store.Message, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var in []store.Message
	for _, m := range f.msgs {
		if m.Room == room {
			in = append(in, m)
		}
	}
	end := len(in)
	if before != "" {
		end = slices.IndexFunc(in, func(m store.Message) bool { return m.ID == before })
		if end < 0 {
			return nil, false, store.ErrNotFound
		}
	}
	start := max(0, end-limit)
	return slices.Clone(in[start:end]), start > 0, nil
}

func (f *fakeStore) AddNotifications(_ context.Context, ns []store.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, ns...)
	return nil
}

func (f *fakeStore) Unread(_ context.Context, user string, limit int) ([]store.Notification, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Notification
	for _, n := range f.notes {
		if n.UserID == user && !n.Read() && len(out) < limit {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fakeStore) ListNotifications(_ context.Context, user, before string, limit int) ([]store.Notification, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var mine []store.Notification
	for _, n := range f.notes {
		if n.UserID == user {
			mine = append(mine, n)
		}
	}
	slices.Reverse(mine)
	start := 0
	if before != "" {
		start = slices.IndexFunc(mine, func(n store.Notification) bool { return n.ID == before })
		if start < 0 {
			return nil, false, store.ErrNotFound
		}
		start++
	}
	end := min(len(mine), start+limit)
	return mine[start:end], end < len(mine), nil
}

func (f *fakeStore) MarkRead(_ context.Context, user string, ids []string, at time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var changed []string
	for _, id := range ids {
		for i := range f.notes {
			if n := &f.notes[i]; n.ID == id && n.UserID == user && !n.Read() {
				n.ReadAt = at
				changed = append(changed, id)
			}
		}
	}
	return changed, nil
}

func (f *fakeStore) ListUsers(context.Context) ([]store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.users), nil
}

func (f *fakeStore) UserByID(_ context.Context, id string) (store.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.ID == id {
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}
