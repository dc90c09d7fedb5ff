package handlers

import (
	"testing"
	"time"
)

func TestEventBucket(t *testing.T) {
	now := time.Unix(0, 0)
	b := newEventBucket(2, 3, func() time.Time { return now })
	for i := range 3 {
		if !b.allow() {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if b.allow() {
		t.Fatal("event past the burst allowed")
	}
	now = now.Add(500 * time.Millisecond) // one token at 2/s
	if !b.allow() {
		t.Fatal("refill not applied")
	}
	if b.allow() {
		t.Fatal("more than the refill allowed")
	}
	now = now.Add(time.Hour)
	for i := range 3 {
		if !b.allow() {
			t.Fatalf("after a long pause, event %d refused", i)
		}
	}
	if b.allow() {
		t.Fatal("refill exceeded the burst")
	}
}
