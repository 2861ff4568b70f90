package ingest

import (
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// Ring is a bounded buffer of compressed access units that always starts at
// a key unit, so any range cut from it can be decoded and muxed without
// re-encoding. It is bounded both by bytes and by the time span between its
// first and last unit (receive time); it evicts whole GOPs from the front.
// Ring is safe for concurrent use.
type Ring struct {
	maxBytes int64
	maxDur   time.Duration

	mu      sync.Mutex
	units   []media.AccessUnit
	head    int
	bytes   int64
	params  media.Params
	dropped uint64
	// onEvict, when set, receives every evicted GOP (under the ring's lock:
	// it must not block).
	onEvict func(media.Params, []media.AccessUnit)
}

// OnEvict sets a function that receives every GOP the ring evicts; it is
// called with the ring locked and must not block.
func (r *Ring) OnEvict(f func(media.Params, []media.AccessUnit)) {
	r.mu.Lock()
	r.onEvict = f
	r.mu.Unlock()
}

// First returns the receive time of the oldest unit (zero when empty).
func (r *Ring) First() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.len() == 0 {
		return time.Time{}
	}
	return r.units[r.head].Recv
}

// NewRing returns a ring holding at most maxDur of stream and maxBytes of
// payload (the newest GOP is kept even if it alone exceeds maxBytes).
func NewRing(maxDur time.Duration, maxBytes int64) *Ring {
	return &Ring{maxDur: maxDur, maxBytes: maxBytes}
}

// Params returns the stream's current parameter sets.
func (r *Ring) Params() media.Params {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.params
}

// SetParams records the stream's current parameter sets.
func (r *Ring) SetParams(p media.Params) {
	r.mu.Lock()
	r.params = p
	r.mu.Unlock()
}

// Push appends a unit. Units before the first key unit are dropped.
func (r *Ring) Push(au media.AccessUnit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.len() == 0 && !au.Key {
		r.dropped++
		return
	}
	r.units = append(r.units, au)
	r.bytes += int64(au.Size())
	for r.overLimit() {
		if !r.evictGOP() {
			break
		}
	}
	if r.head > 1024 && r.head*2 > len(r.units) {
		n := copy(r.units, r.units[r.head:])
		clear(r.units[n:])
		r.units = r.units[:n]
		r.head = 0
	}
}

func (r *Ring) len() int { return len(r.units) - r.head }

func (r *Ring) overLimit() bool {
	if r.len() < 2 {
		return false
	}
	first, last := r.units[r.head], r.units[len(r.units)-1]
	return r.bytes > r.maxBytes || last.Recv.Sub(first.Recv) > r.maxDur
}

// evictGOP removes the first GOP, unless it is the only one.
func (r *Ring) evictGOP() bool {
	next := -1
	for i := r.head + 1; i < len(r.units); i++ {
		if r.units[i].Key {
			next = i
			break
		}
	}
	if next < 0 {
		return false
	}
	if r.onEvict != nil {
		gop := make([]media.AccessUnit, next-r.head)
		copy(gop, r.units[r.head:next])
		r.onEvict(r.params, gop)
	}
	for i := r.head; i < next; i++ {
		r.bytes -= int64(r.units[i].Size())
		r.units[i] = media.AccessUnit{}
	}
	r.head = next
	return true
}

// Range returns the parameter sets and the units from the last key unit
// received at or before from, up to the last unit received at or before to.
// When from is older than the buffer, the range starts at the oldest unit.
func (r *Ring) Range(from, to time.Time) (media.Params, []media.AccessUnit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	units := r.units[r.head:]
	start := -1
	for i, u := range units {
		if u.Recv.After(from) {
			break
		}
		if u.Key {
			start = i
		}
	}
	if start < 0 {
		start = 0
	}
	end := start
	for end < len(units) && !units[end].Recv.After(to) {
		end++
	}
	out := make([]media.AccessUnit, end-start)
	copy(out, units[start:end])
	return r.params, out
}

// RingStats describes the ring's content.
type RingStats struct {
	Units   int
	Bytes   int64
	Span    time.Duration
	Dropped uint64
}

// Stats returns the ring's current size.
func (r *Ring) Stats() RingStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RingStats{Units: r.len(), Bytes: r.bytes, Dropped: r.dropped}
	if s.Units > 1 {
		s.Span = r.units[len(r.units)-1].Recv.Sub(r.units[r.head].Recv)
	}
	return s
}
