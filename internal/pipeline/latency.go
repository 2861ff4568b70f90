package pipeline

import (
	"slices"
	"sync"
	"time"
)

// latencyWindow keeps the last latencyKeep detection latencies of a camera
// (frame receipt to the end of rule evaluation) for percentiles.
type latencyWindow struct {
	mu   sync.Mutex
	vals []time.Duration
	next int
}

const latencyKeep = 512

func (l *latencyWindow) add(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.vals) < latencyKeep {
		l.vals = append(l.vals, d)
		return
	}
	l.vals[l.next] = d
	l.next = (l.next + 1) % latencyKeep
}

// percentiles returns the p50 and p95 of the window (zero when empty).
func (l *latencyWindow) percentiles() (p50, p95 time.Duration) {
	l.mu.Lock()
	v := slices.Clone(l.vals)
	l.mu.Unlock()
	if len(v) == 0 {
		return 0, 0
	}
	slices.Sort(v)
	return v[len(v)/2], v[len(v)*95/100]
}
