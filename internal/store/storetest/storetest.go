// Package storetest is the conformance suite of [store.Store]: every
// implementation runs it from its own tests, so that SQLite and a later
// PostgreSQL store keep the same semantics.
//
// The suite uses only the Store interface and [store.Options]. It passes
// its own clock (Options.Now) and retention options to the Opener, and
// tolerates retention that runs in the background: it waits, bounded, for
// dropped messages to disappear.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"rtserver/internal/store"
)

// Opener opens a store on one database with opts. Called again after the
// store it returned was closed, it must reopen the same data: that is how
// the suite checks that Close flushes pending appends.
type Opener func(opts store.Options) (store.Store, error)

// Run runs the suite as parallel subtests of t. newDB is called once per
// subtest, with the subtest's t, and returns an Opener on a new, empty
// database (a temporary directory, a fresh schema); it may register
// cleanups on that t. Run closes every store it opens.
func Run(t *testing.T, newDB func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"RevokedTokens", testRevokedTokens},
		{"RevokeUserSessions", testRevokeUserSessions},
		{"ConcurrentSessionWriters", testConcurrentSessionWriters},
		{"HistoryOrderAndPaging", testHistoryOrderAndPaging},
		{"HistoryLimits", testHistoryLimits},
		{"MessageDuplicateIDs", testMessageDuplicateIDs},
		{"ConcurrentAppends", testConcurrentAppends},
		{"AppendCanceled", testAppendCanceled},
		{"RetentionByCount", testRetentionByCount},
		{"RetentionByAge", testRetentionByAge},
		{"CloseFlushesAppends", testCloseFlushesAppends},
		{"Notifications", testNotifications},
		{"NotificationDuplicateIDs", testNotificationDuplicateIDs},
		{"MarkRead", testMarkRead},
		{"NotificationLimits", testNotificationLimits},
		{"NotificationRetention", testNotificationRetention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, &env{t: t, clock: &clock{now: t0()}, open: newDB(t)})
		})
	}
}

// t0 is where the suite clock starts.
func t0() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// clock is the settable clock the suite passes as Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one subtest's database and clock.
type env struct {
	t     *testing.T
	clock *clock
	open  Opener
}

// store opens a store with opts and the env clock, and closes it at the
// end of the test (Close may have been called already: it is idempotent).
func (e *env) store(opts store.Options) store.Store {
	e.t.Helper()
	opts.Now = e.clock.Now
	st, err := e.open(opts)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	e.t.Cleanup(func() {
		if err := st.Close(); err != nil {
			e.t.Errorf("close: %v", err)
		}
	})
	return st
}

func ctx(t *testing.T) context.Context { return t.Context() }

// eventually calls check until it returns nil, failing the test with its
// last error after a few seconds. Retention may run in the background.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
