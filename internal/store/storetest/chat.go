package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rtserver/internal/store"
)

// message returns a message of room with a distinct id, text and TS.
func message(room string, i int) store.Message {
	return store.Message{
		ID: fmt.Sprintf("%s-%d", room, i), Room: room, UserID: "alice", UserName: "Alice",
		Text: fmt.Sprintf("hello %d", i), TS: t0().Add(time.Duration(i) * time.Millisecond),
	}
}

func appendAll(t *testing.T, st store.Store, ms ...store.Message) {
	t.Helper()
	for _, m := range ms {
		if err := st.AppendMessage(ctx(t), m); err != nil {
			t.Fatalf("append %s: %v", m.ID, err)
		}
	}
}

func messageIDs(ms []store.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// history returns the whole history of room, oldest first, paging back
// with MaxPage.
func history(t *testing.T, st store.Store, room string) []store.Message {
	t.Helper()
	var all []store.Message
	before := ""
	for {
		page, more, err := st.History(ctx(t), room, before, store.MaxPage)
		if err != nil {
			t.Fatalf("history %s before %q: %v", room, before, err)
		}
		all = append(page, all...)
		if !more {
			return all
		}
		if len(page) == 0 {
			t.Fatalf("history %s before %q: empty page with more", room, before)
		}
		before = page[0].ID
	}
}

// wantHistory waits until the whole history of room is want (ids, oldest
// first).
func wantHistory(t *testing.T, st store.Store, room string, want []string) {
	t.Helper()
	eventually(t, func() error {
		if got := messageIDs(history(t, st, room)); !slices.Equal(got, want) {
			return fmt.Errorf("history %s = %v; want %v", room, got, want)
		}
		return nil
	})
}

func testHistoryOrderAndPaging(t *testing.T, e *env) {
	st := e.store(store.Options{})
	var want []store.Message
	for i := range 7 {
		m := message("r", i)
		// Later appends are newer whatever their TS.
		m.TS = t0().Add(-time.Duration(i) * time.Minute)
		appendAll(t, st, m, message("other", i))
		want = append(want, m)
	}
	page, more, err := st.History(ctx(t), "r", "", 3)
	if err != nil || !more || !slices.Equal(messageIDs(page), messageIDs(want[4:])) {
		t.Fatalf("newest page = %v, %v, %v; want %v, more", messageIDs(page), more, err, messageIDs(want[4:]))
	}
	for i, m := range page {
		w := want[4+i]
		if m.Room != w.Room || m.UserID != w.UserID || m.UserName != w.UserName || m.Text != w.Text || !m.TS.Equal(w.TS) {
			t.Errorf("got %+v; want %+v", m, w)
		}
	}
	page, more, err = st.History(ctx(t), "r", want[4].ID, 3)
	if err != nil || !more || !slices.Equal(messageIDs(page), messageIDs(want[1:4])) {
		t.Fatalf("second page = %v, %v, %v; want %v, more", messageIDs(page), more, err, messageIDs(want[1:4]))
	}
	page, more, err = st.History(ctx(t), "r", want[1].ID, 3)
	if err != nil || more || !slices.Equal(messageIDs(page), messageIDs(want[:1])) {
		t.Fatalf("last page = %v, %v, %v; want %v, no more", messageIDs(page), more, err, messageIDs(want[:1]))
	}
	page, more, err = st.History(ctx(t), "r", want[0].ID, 3)
	if err != nil || more || len(page) != 0 {
		t.Fatalf("before the oldest = %v, %v, %v; want nothing", messageIDs(page), more, err)
	}
	page, more, err = st.History(ctx(t), "r", "", 7)
	if err != nil || more || len(page) != 7 {
		t.Fatalf("exactly all = %v, %v, %v", messageIDs(page), more, err)
	}
	page, more, err = st.History(ctx(t), "empty", "", 10)
	if err != nil || more || len(page) != 0 {
		t.Fatalf("empty room = %v, %v, %v", page, more, err)
	}
	for _, before := range []string{"nope", "other-3"} {
		if _, _, err := st.History(ctx(t), "r", before, 3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("before %q: %v; want ErrNotFound", before, err)
		}
	}
	// The millisecond precision of TS is kept, in UTC.
	m := store.Message{ID: "ms", Room: "ms", UserID: "u", TS: time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("x", 3600))}
	appendAll(t, st, m)
	page, _, _ = st.History(ctx(t), "ms", "", 1)
	if len(page) != 1 || !page[0].TS.Equal(m.TS.Truncate(time.Millisecond)) {
		t.Fatalf("TS round trip: %+v", page)
	}
}

func testHistoryLimits(t *testing.T, e *env) {
	st := e.store(store.Options{})
	appendConcurrently(t, st, "r", 250)
	for _, tc := range []struct{ limit, want int }{
		{0, store.DefaultPage}, {-1, store.DefaultPage}, {1, 1}, {1000, store.MaxPage},
	} {
		page, more, err := st.History(ctx(t), "r", "", tc.limit)
		if err != nil || !more || len(page) != tc.want {
			t.Errorf("limit %d: %d messages, more %v, %v; want %d, more", tc.limit, len(page), more, err, tc.want)
		}
	}
}

// appendConcurrently appends n messages to room from 16 goroutines.
func appendConcurrently(t *testing.T, st store.Store, room string, n int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := st.AppendMessage(ctx(t), message(room, i)); err != nil {
					t.Errorf("append %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

func testMessageDuplicateIDs(t *testing.T, e *env) {
	st := e.store(store.Options{})
	first := message("r", 0)
	appendAll(t, st, first)
	dup := first
	dup.Text = "again"
	if err := st.AppendMessage(ctx(t), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate: %v; want ErrExists", err)
	}
	dup.Room = "elsewhere"
	if err := st.AppendMessage(ctx(t), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate in another room: %v; want ErrExists", err)
	}
	if err := st.AppendMessage(ctx(t), store.Message{Room: "r", Text: "no id"}); err == nil || errors.Is(err, store.ErrExists) {
		t.Fatalf("no id: %v", err)
	}

	// Concurrent appends, some of them duplicates of each other or of a
	// stored message: only the duplicates fail, whatever the batching.
	var (
		wg      sync.WaitGroup
		okDup   atomic.Int64
		badErrs = make(chan error, 64)
	)
	for i := range 32 {
		wg.Go(func() {
			if err := st.AppendMessage(ctx(t), message("r", 100+i)); err != nil {
				badErrs <- fmt.Errorf("distinct %d: %w", i, err)
			}
		})
		wg.Go(func() {
			m := message("r", 1) // the same new id, 32 times
			switch err := st.AppendMessage(ctx(t), m); {
			case err == nil:
				okDup.Add(1)
			case !errors.Is(err, store.ErrExists):
				badErrs <- fmt.Errorf("new duplicate: %w", err)
			}
		})
		wg.Go(func() {
			if err := st.AppendMessage(ctx(t), dup); !errors.Is(err, store.ErrExists) {
				badErrs <- fmt.Errorf("old duplicate: %v; want ErrExists", err)
			}
		})
	}
	wg.Wait()
	close(badErrs)
	for err := range badErrs {
		t.Error(err)
	}
	if n := okDup.Load(); n != 1 {
		t.Errorf("an id appended 32 times concurrently was stored %d times", n)
	}
	all := history(t, st, "r")
	if len(all) != 1+1+32 || all[0].Text != first.Text {
		t.Fatalf("history: %d messages, first %+v", len(all), all[0])
	}
	if page, _, _ := st.History(ctx(t), "elsewhere", "", 10); len(page) != 0 {
		t.Fatalf("duplicate stored in another room: %v", messageIDs(page))
	}
}

func testConcurrentAppends(t *testing.T, e *env) {
	st := e.store(store.Options{})
	const writers, each, rooms = 16, 40, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			room := fmt.Sprintf("room%d", w%rooms)
			for i := range each {
				m := store.Message{ID: fmt.Sprintf("w%d-%d", w, i), Room: room, UserID: fmt.Sprint(w), Text: fmt.Sprint(i), TS: t0()}
				if err := st.AppendMessage(ctx(t), m); err != nil {
					t.Errorf("%s: %v", m.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	total := 0
	for r := range rooms {
		room := fmt.Sprintf("room%d", r)
		next := map[string]int{} // writer → its next expected index
		for _, m := range history(t, st, room) {
			total++
			if m.Room != room || m.Text != fmt.Sprint(next[m.UserID]) {
				t.Fatalf("%s: %s (%q) out of order; want index %d of writer %s", room, m.ID, m.Text, next[m.UserID], m.UserID)
			}
			next[m.UserID]++
		}
	}
	if total != writers*each {
		t.Fatalf("%d messages stored; want %d", total, writers*each)
	}
}

func testAppendCanceled(t *testing.T, e *env) {
	st := e.store(store.Options{})
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := st.AppendMessage(c, message("r", 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled ctx: %v; want context.Canceled", err)
	}
	// The store still works for others.
	appendAll(t, st, message("r", 1))
}

func testRetentionByCount(t *testing.T, e *env) {
	st := e.store(store.Options{HistoryLimit: 5})
	var want []string
	for i := range 8 {
		appendAll(t, st, message("a", i))
		want = append(want, message("a", i).ID)
	}
	appendAll(t, st, message("b", 0), message("b", 1))
	wantHistory(t, st, "a", want[3:])
	wantHistory(t, st, "b", []string{"b-0", "b-1"})
	// Many appends at once keep the newest too.
	appendConcurrently(t, st, "c", 40)
	eventually(t, func() error {
		if page, more, err := st.History(ctx(t), "c", "", 50); err != nil || more || len(page) != 5 {
			return fmt.Errorf("room c: %v, more %v, %v; want 5 messages", messageIDs(page), more, err)
		}
		return nil
	})
}

func testRetentionByAge(t *testing.T, e *env) {
	st := e.store(store.Options{HistoryMaxAge: time.Hour})
	at := func(id string, d time.Duration) store.Message {
		return store.Message{ID: id, Room: "r", UserID: "u", TS: t0().Add(d)}
	}
	appendAll(t, st, at("old", -2*time.Hour), at("recent", -30*time.Minute), at("new", 0))
	wantHistory(t, st, "r", []string{"recent", "new"})
	// An hour after "recent" was sent, the next append finds it too old.
	e.clock.Add(45 * time.Minute)
	appendAll(t, st, at("later", 45*time.Minute))
	wantHistory(t, st, "r", []string{"new", "later"})
}

func testCloseFlushesAppends(t *testing.T, e *env) {
	st := e.store(store.Options{})
	// Each writer appends to its own room until Close stops it, and at
	// most maxEach times, so that no room reaches the history limit.
	const writers, maxEach = 32, 200
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		stored   []string // appends that returned nil
		accepted atomic.Int64
	)
	for w := range writers {
		wg.Go(func() {
			for i := range maxEach {
				m := message(fmt.Sprintf("room%d", w), i)
				err := st.AppendMessage(ctx(t), m)
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("append %s: %v", m.ID, err)
					return
				}
				mu.Lock()
				stored = append(stored, m.ID)
				mu.Unlock()
				accepted.Add(1)
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); accepted.Load() < 2*writers; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d appends in 10s", accepted.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := st.AppendMessage(ctx(t), message("r", 0)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("append after Close: %v; want ErrClosed", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	// Every append that returned nil is in the reopened store, and no
	// other.
	st = e.store(store.Options{})
	var got []string
	for w := range writers {
		got = append(got, messageIDs(history(t, st, fmt.Sprintf("room%d", w)))...)
	}
	slices.Sort(got)
	slices.Sort(stored)
	if !slices.Equal(got, stored) {
		t.Fatalf("after reopen %d messages; want the %d appended", len(got), len(stored))
	}
	t.Logf("%d appends stored before Close", len(stored))
}
