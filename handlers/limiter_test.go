package handlers_test

import (
	"strconv"
	"testing"
	"time"

	"rtserver/handlers"
)

func TestLoginLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := handlers.NewLoginLimiter(0, 0, func() time.Time { return now }) // defaults 5 / 1 min
	for i := range 5 {
		if _, ok := l.Allow("Alice", "1.2.3.4"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		l.Fail("alice", "1.2.3.4")
		now = now.Add(10 * time.Second)
	}
	wait, ok := l.Allow("ALICE", "1.2.3.4")
	if ok || wait != 10*time.Second {
		t.Fatalf("6th: ok=%v wait=%v", ok, wait)
	}
	if _, ok := l.Allow("alice", "5.6.7.8"); !ok {
		t.Error("other IP limited")
	}
	if _, ok := l.Allow("bob", "1.2.3.4"); !ok {
		t.Error("other user limited")
	}
	now = now.Add(10 * time.Second)
	if _, ok := l.Allow("alice", "1.2.3.4"); !ok {
		t.Error("still limited after the oldest failure left the window")
	}
	l.Reset("alice", "1.2.3.4")
	for range 4 {
		l.Fail("alice", "1.2.3.4")
	}
	if _, ok := l.Allow("alice", "1.2.3.4"); !ok {
		t.Error("limited after reset + 4 failures")
	}
}

// TestLoginLimiterFloodKeepsAttackedAccount: an attacker who has spent the
// budget of one account fills the limiter's table with other keys (twice
// its size, some of them blocked too); the attacked account must still be
// refused, and keep being refused until its failures leave the window.
func TestLoginLimiterFloodKeepsAttackedAccount(t *testing.T) {
	now := time.Unix(1000, 0)
	l := handlers.NewLoginLimiter(5, time.Minute, func() time.Time { return now })
	for range 5 {
		if _, ok := l.Allow("alice", "198.51.100.7"); !ok {
			t.Fatal("refused before 5 failures")
		}
		l.Fail("alice", "198.51.100.7")
	}
	for i := range 2 * handlers.LoginLimiterKeys {
		user := "flood" + strconv.Itoa(i)
		l.Fail(user, "203.0.113."+strconv.Itoa(i%250))
		if i%1000 == 0 { // a few flood keys reach their own limit
			for range 4 {
				l.Fail(user, "203.0.113."+strconv.Itoa(i%250))
			}
		}
	}
	now = now.Add(30 * time.Second)
	wait, ok := l.Allow("alice", "198.51.100.7")
	if ok {
		t.Fatal("6th attempt allowed after the table was flooded: the attacked account's budget was reset")
	}
	if wait != 30*time.Second {
		t.Errorf("Retry-After %v, want 30s", wait)
	}
	now = now.Add(30 * time.Second)
	if _, ok := l.Allow("alice", "198.51.100.7"); !ok {
		t.Error("still refused after the window")
	}
}
