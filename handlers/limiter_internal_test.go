package handlers

import (
	"strconv"
	"testing"
	"time"
)

// TestLoginLimiterTables checks the eviction policy on small tables: both
// stay bounded, fresh keys never evict a blocked one, and only as many
// other blocked keys as the table holds can push it out.
func TestLoginLimiterTables(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLoginLimiter(3, time.Minute, 10, func() time.Time { return now })
	block := func(user string) {
		for range 3 {
			l.Fail(user, "192.0.2.1")
		}
	}
	block("victim")
	for i := range 1000 {
		l.Fail("u"+strconv.Itoa(i), "192.0.2.1")
	}
	if l.counting.Len() > 10 || l.blocked.Len() > 10 {
		t.Fatalf("tables grew: %d counting, %d blocked", l.counting.Len(), l.blocked.Len())
	}
	if _, ok := l.Allow("victim", "192.0.2.1"); ok {
		t.Fatal("a flood of fresh keys lifted the block")
	}
	for i := range 9 {
		block("b" + strconv.Itoa(i))
	}
	if _, ok := l.Allow("victim", "192.0.2.1"); ok {
		t.Fatal("evicted with room left in the blocked table")
	}
	for i := 9; i < 20; i++ { // victim was touched last by Allow: 10 more push it out
		block("b" + strconv.Itoa(i))
	}
	if _, ok := l.Allow("victim", "192.0.2.1"); !ok {
		t.Error("the blocked table is not bounded (victim still there after 10 newer blocked keys)")
	}
	now = now.Add(time.Minute)
	if _, ok := l.Allow("b19", "192.0.2.1"); !ok || l.blocked.Contains(limiterKey("b19", "192.0.2.1")) {
		t.Error("an expired block is kept")
	}
}
