package handlers

import (
	"strings"
	"sync"
	"time"
)

// LoginLimiter counts failed logins per (username, client IP) in a sliding
// window. After Max failures within Window the next attempt is refused,
// whatever the password, until the oldest failure leaves the window.
// It is safe for concurrent use; memory is bounded by MaxKeys.
type LoginLimiter struct {
	max     int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // each slice sorted, at most max long
}

// NewLoginLimiter returns a limiter allowing max failures per window. now
// is the clock (nil: time.Now). Defaults: max 5, window 1 minute.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	if max <= 0 {
		max = 5
	}
	if window <= 0 {
		window = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{max: max, window: window, maxKeys: 100_000, now: now, failures: make(map[string][]time.Time)}
}

// limiterKey joins the two parts so no username can collide with another
// (username, IP) pair. Usernames are case-folded so "Alice" and "alice"
// share one budget.
func limiterKey(username, ip string) string {
	return strings.ToLower(username) + "\x00" + ip
}

// Allow reports whether an attempt may proceed; when it may not, it returns
// how long until it may.
func (l *LoginLimiter) Allow(username, ip string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.live(limiterKey(username, ip), now)
	if len(f) < l.max {
		return 0, true
	}
	return f[0].Add(l.window).Sub(now), false
}

// Fail records a failed attempt.
func (l *LoginLimiter) Fail(username, ip string) {
	now := l.now()
	key := limiterKey(username, ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.live(key, now)
	if len(f) >= l.max {
		f = f[1:]
	}
	if _, ok := l.failures[key]; !ok && len(l.failures) >= l.maxKeys {
		l.sweep(now)
	}
	l.failures[key] = append(f, now)
}

// Reset forgets the failures of a (username, IP) after a successful login.
func (l *LoginLimiter) Reset(username, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, limiterKey(username, ip))
}

// live drops the failures of key that left the window. Caller holds mu.
func (l *LoginLimiter) live(key string, now time.Time) []time.Time {
	f := l.failures[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	if i == len(f) {
		delete(l.failures, key)
		return nil
	}
	f = f[i:]
	l.failures[key] = f
	return f
}

// sweep drops every key whose failures all left the window; if the map is
// still full, it is cleared rather than grown (an attacker flooding keys
// then only resets budgets, never exhausts memory). Caller holds mu.
func (l *LoginLimiter) sweep(now time.Time) {
	for k, f := range l.failures {
		if len(f) == 0 || now.Sub(f[len(f)-1]) >= l.window {
			delete(l.failures, k)
		}
	}
	if len(l.failures) >= l.maxKeys {
		clear(l.failures)
	}
}
