package handlers

import (
	"testing"
	"time"
)

func TestExpiringAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name            string
		issued, expires time.Time
		want            time.Time
	}{
		{"15 min token: a minute ahead", now, now.Add(15 * time.Minute), now.Add(14 * time.Minute)},
		{"2 min token: 80% is later than a minute ahead", now, now.Add(2 * time.Minute), now.Add(96 * time.Second)},
		{"10 s token: at 8 s", now, now.Add(10 * time.Second), now.Add(8 * time.Second)},
		{"unknown iat counts from now", time.Time{}, now.Add(10 * time.Second), now.Add(8 * time.Second)},
		{"iat in the future counts from now", now.Add(time.Hour), now.Add(10 * time.Second), now.Add(8 * time.Second)},
		// The time is already past: the timer fires at once.
		{"issued long ago: a minute before exp", now.Add(-time.Hour), now.Add(10 * time.Second), now.Add(-50 * time.Second)},
	} {
		if got := expiringAt(tc.issued, tc.expires, now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got.Sub(now), tc.want.Sub(now))
		}
	}
}
