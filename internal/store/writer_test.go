package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeBackend stores messages in memory; its trim reports busy a number
// of times before it trims.
type fakeBackend struct {
	mu     sync.Mutex
	ids    []string
	busy   int // trims left that report errTrimBusy
	trims  int
	rooms  []string // trimmed, in order
	insert error    // returned by insertMessages when set
}

func (f *fakeBackend) insertMessages(batch []*appendReq, errs []error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.insert != nil {
		return f.insert
	}
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		if slices.Contains(f.ids, r.m.ID) {
			errs[i] = ErrExists
			continue
		}
		f.ids = append(f.ids, r.m.ID)
	}
	return nil
}

func (f *fakeBackend) trim(dirty map[string]struct{}) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trims++
	if f.busy > 0 {
		f.busy--
		return errTrimBusy
	}
	for room := range dirty {
		f.rooms = append(f.rooms, room)
		delete(dirty, room)
	}
	return nil
}

// TestWriterPolicies checks the shared writer with each trim policy:
// appends are answered (a duplicate with ErrExists), the rooms they
// touched are trimmed, Close waits out a busy trim, and appends after
// close get ErrClosed.
func TestWriterPolicies(t *testing.T) {
	t.Parallel()
	for _, policy := range []trimPolicy{trimWhenDrained, trimOnCadence} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			t.Parallel()
			f := &fakeBackend{busy: 3}
			w := startWriter(f, time.Now, slog.New(slog.DiscardHandler), policy)
			for i, id := range []string{"a", "b", "a"} {
				err := w.append(t.Context(), Message{ID: id, Room: "r" + id})
				if want := i == 2; errors.Is(err, ErrExists) != want || (!want && err != nil) {
					t.Errorf("append %d (%s): %v", i, id, err)
				}
			}
			w.close()
			if err := w.append(t.Context(), Message{ID: "c", Room: "r"}); !errors.Is(err, ErrClosed) {
				t.Errorf("append after close: %v", err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			slices.Sort(f.rooms)
			if !slices.Equal(f.ids, []string{"a", "b"}) || !slices.Equal(slices.Compact(f.rooms), []string{"ra", "rb"}) || f.busy != 0 {
				t.Errorf("stored %v, trimmed %v after %d trims (%d busy left)", f.ids, f.rooms, f.trims, f.busy)
			}
		})
	}
}

// TestWriterBatchFailure checks that an insert failure fails every live
// request of the batch, and that a canceled one keeps its own error.
func TestWriterBatchFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	w := newWriter(&fakeBackend{insert: boom}, time.Now, slog.New(slog.DiscardHandler), trimWhenDrained)
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	batch := []*appendReq{
		{ctx: t.Context(), m: Message{ID: "a", Room: "r"}, done: make(chan error, 1)},
		{ctx: canceled, m: Message{ID: "b", Room: "r"}, done: make(chan error, 1)},
	}
	dirty := map[string]struct{}{}
	w.writeBatch(batch, dirty)
	if err := <-batch[0].done; !errors.Is(err, boom) {
		t.Errorf("live request: %v", err)
	}
	if err := <-batch[1].done; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled request: %v", err)
	}
	if len(dirty) != 0 {
		t.Errorf("dirty = %v", dirty)
	}
}

// testBatchOrderAndDuplicates hands one batch to the writer of st (an
// open store), so that the batching is known: the rows keep the batch
// order, a duplicate within the batch fails all but its first request
// (whose message is the one stored), a stored id fails, and a canceled
// request is skipped.
func testBatchOrderAndDuplicates(t *testing.T, st Store, w *appendWriter) {
	if err := st.AppendMessage(t.Context(), Message{ID: "old", Room: "r", Text: "old"}); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	req := func(ctx context.Context, id, text string) *appendReq {
		return &appendReq{ctx: ctx, m: Message{ID: id, Room: "r", Text: text, TS: time.Now()}, done: make(chan error, 1)}
	}
	batch := []*appendReq{
		req(t.Context(), "m5", "first m5"),
		req(t.Context(), "m3", ""),
		req(t.Context(), "old", "again"),
		req(canceled, "gone", ""),
		req(t.Context(), "m5", "second m5"),
		req(t.Context(), "m1", ""),
	}
	dirty := map[string]struct{}{}
	w.writeBatch(batch, dirty)
	want := []error{nil, nil, ErrExists, context.Canceled, ErrExists, nil}
	for i, r := range batch {
		if err := <-r.done; !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("request %d (%s): %v; want %v", i, r.m.ID, err, want[i])
		}
	}
	if _, ok := dirty["r"]; !ok || len(dirty) != 1 {
		t.Errorf("dirty = %v", dirty)
	}
	page, _, err := st.History(t.Context(), "r", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range page {
		got = append(got, m.ID+"/"+m.Text)
	}
	if want := []string{"old/old", "m5/first m5", "m3/", "m1/"}; !slices.Equal(got, want) {
		t.Fatalf("history %v; want %v", got, want)
	}
}

// Retention fixture of the trim tests: fillBeyondRetention appends more
// than trimOptions keep, and roomCountsQuery, run on the reopened
// database after Close, must find trimmedRooms.
var (
	trimNow     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	trimOptions = Options{HistoryLimit: 5, HistoryMaxAge: time.Hour, Now: func() time.Time { return trimNow }}
)

const (
	roomCountsQuery = `SELECT room, count(*), min(id) FROM messages GROUP BY room ORDER BY room`
	trimmedRooms    = "[a:5:a15 b:1:b3]"
)

// fillBeyondRetention appends 20 messages to room a (15 beyond the
// limit), and to room b 3 too old and 1 new, then closes st, which
// finishes trimming.
func fillBeyondRetention(t *testing.T, st Store) {
	t.Helper()
	add := func(room string, i int, ts time.Time) {
		t.Helper()
		if err := st.AppendMessage(t.Context(), Message{ID: fmt.Sprintf("%s%d", room, i), Room: room, TS: ts}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		add("a", i, trimNow)
	}
	for i := range 3 {
		add("b", i, trimNow.Add(-2*time.Hour))
	}
	add("b", 3, trimNow)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// wantTrimmedRooms checks the rows of roomCountsQuery against
// trimmedRooms.
func wantTrimmedRooms(t *testing.T, rs rowSet) {
	t.Helper()
	got, err := collectRows("count", rs, 0, func(row scanner) (string, error) {
		var (
			room, oldest string
			n            int
		)
		err := row.Scan(&room, &n, &oldest)
		return fmt.Sprintf("%s:%d:%s", room, n, oldest), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != trimmedRooms {
		t.Fatalf("rows per room %v; want %s", got, trimmedRooms)
	}
}
