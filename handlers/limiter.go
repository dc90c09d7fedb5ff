package handlers

import (
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// LoginLimiterKeys is the size of each of the LoginLimiter's two tables:
// at most twice that many (username, IP) keys are kept, a few hundred
// bytes each.
const LoginLimiterKeys = 100_000

// LoginLimiter counts failed logins per (username, client IP) in a sliding
// window. After Max failures within Window the next attempt is refused,
// whatever the password, until the oldest failure leaves the window.
//
// Memory is bounded by two LRU tables: keys still under the limit and keys
// at it (blocked). A new key only ever evicts the least recently used key
// under the limit, so flooding the limiter with other usernames or
// addresses never lifts the block of an account under attack; evicting a
// blocked key takes LoginLimiterKeys other blocked keys, Max failures each,
// inside one window. A flood can make the limiter forget a key under the
// limit, which wins the attacker at most Max-1 guesses per LoginLimiterKeys
// requests. It is safe for concurrent use.
type LoginLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu sync.Mutex
	// counting and blocked hold each key's failures still in the window,
	// oldest first: fewer than max in counting, exactly max in blocked. A
	// key is in at most one of them.
	counting *simplelru.LRU[string, []time.Time]
	blocked  *simplelru.LRU[string, []time.Time]
}

// NewLoginLimiter returns a limiter allowing max failures per window. now
// is the clock (nil: time.Now). Defaults: max 5, window 1 minute.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	return newLoginLimiter(max, window, LoginLimiterKeys, now)
}

// newLoginLimiter is NewLoginLimiter with tables of keys entries each.
func newLoginLimiter(max int, window time.Duration, keys int, now func() time.Time) *LoginLimiter {
	if max <= 0 {
		max = 5
	}
	if window <= 0 {
		window = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	// NewLRU fails only for a size below 1.
	counting, _ := simplelru.NewLRU[string, []time.Time](keys, nil)
	blocked, _ := simplelru.NewLRU[string, []time.Time](keys, nil)
	return &LoginLimiter{max: max, window: window, now: now, counting: counting, blocked: blocked}
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
		f = f[len(f)-l.max+1:]
	}
	l.store(key, append(f, now))
}

// Reset forgets the failures of a (username, IP) after a successful login.
func (l *LoginLimiter) Reset(username, ip string) {
	key := limiterKey(username, ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counting.Remove(key)
	l.blocked.Remove(key)
}

// live returns the failures of key still inside the window and files the
// key again without the others. Caller holds mu.
func (l *LoginLimiter) live(key string, now time.Time) []time.Time {
	f, ok := l.blocked.Get(key)
	if !ok {
		if f, ok = l.counting.Get(key); !ok {
			return nil
		}
	}
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	if i > 0 {
		f = f[i:]
		l.store(key, f)
	}
	return f
}

// store files key with failures f in the table their number calls for, or
// drops it when f is empty. Caller holds mu.
func (l *LoginLimiter) store(key string, f []time.Time) {
	switch {
	case len(f) >= l.max:
		l.counting.Remove(key)
		l.blocked.Add(key, f)
	case len(f) == 0:
		l.counting.Remove(key)
		l.blocked.Remove(key)
	default:
		l.blocked.Remove(key)
		l.counting.Add(key, f)
	}
}
