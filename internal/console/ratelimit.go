package console

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Login rate limit: after loginMaxFailures failed logins within
// loginWindow on one key, further attempts on it are refused with 429
// (even with the right password) until the oldest failure is a window
// old. The keys (device.go): a client with a valid device cookie for the
// user counts on its cookie alone; other clients on the user name, on the
// user name and address, and on the address (addressMaxFailures).
const (
	loginMaxFailures = 10
	loginWindow      = time.Minute
	// limiterKeys bounds the keys remembered; beyond it the stale ones are
	// dropped first, then everything (an attacker spraying keys can at
	// worst reset the counts, not exhaust memory).
	limiterKeys = 100000
)

// limiter counts failed logins per key ("user:NAME", "ip:ADDR") in a
// sliding window.
type limiter struct {
	now func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, failures: map[string][]time.Time{}}
}

// recent returns key's failures within the window (pruning older ones);
// mu must be held.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= loginWindow {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = fs
	return fs
}

// blocked reports whether any key has reached its limit.
func (l *limiter) blocked(ls loginLimits) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range ls {
		if len(l.recent(k.key, now)) >= k.max {
			return true
		}
	}
	return false
}

// fail records a failed login on every key.
func (l *limiter) fail(ls loginLimits) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) >= limiterKeys {
		for k := range l.failures {
			l.recent(k, now)
		}
		if len(l.failures) >= limiterKeys {
			l.failures = map[string][]time.Time{}
		}
	}
	for _, k := range ls {
		fs := l.recent(k.key, now)
		if len(fs) >= k.max {
			fs = fs[1:] // keep the window's newest failures only
		}
		l.failures[k.key] = append(fs, now)
	}
}

// clientIP is the address the request came from. X-Forwarded-For is not
// trusted: the console serves its clients directly (docs/console.md).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
