package handlers_test

import (
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
