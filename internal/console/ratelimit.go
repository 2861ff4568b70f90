package console

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Login rate limit: after loginMaxFailures failed logins within
// loginWindow for one user name or from one client address, further
// attempts are refused with 429 (even with the right password) until the
// oldest failure is a window old.
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

// blocked reports whether any key has reached the limit.
func (l *limiter) blocked(keys ...string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if len(l.recent(k, now)) >= loginMaxFailures {
			return true
		}
	}
	return false
}

// fail records a failed login for every key.
func (l *limiter) fail(keys ...string) {
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
	for _, k := range keys {
		fs := l.recent(k, now)
		if len(fs) >= loginMaxFailures {
			fs = fs[1:] // keep the window's newest failures only
		}
		l.failures[k] = append(fs, now)
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
