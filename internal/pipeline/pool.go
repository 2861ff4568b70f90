package pipeline

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// pool schedules detection for every camera of a worker on one shared
// detector. Each camera has a single slot holding its newest picture: a
// newer picture replaces a waiting one (counted as dropped), and pictures
// arriving faster than the camera's sampling interval are dropped
// (counted) before they take a slot. Workers serve cameras round-robin, so
// a busy camera cannot starve the others, and a camera is never processed
// by two workers at once (its tracker and rules are sequential).
//
// Several workers may serve the pool, each with a detector of its own
// (model.workers). Batching is not offered: the YOLOX-Nano export has a
// fixed batch dimension of 1 (input [1,3,416,416]).
type pool struct {
	mu      sync.Mutex
	cond    *sync.Cond
	slots   []*slot // by camera index; nil: a removed camera's free index
	next    int
	closed  bool
	maxWait time.Duration // a waiting picture older than this is served first
	process func(worker, cam int, f media.Frame)
	now     func() time.Time // the pipeline's clock (time.Now by default)
}

type slot struct {
	urgent       bool          // the camera has an open case or an object in a zone
	waitingSince time.Time     // when the slot last went from empty to pending
	minGap       time.Duration // 90 % of the camera's sampling interval
	pending      *media.Frame
	pendingAt    time.Time // when the pending picture was offered
	waitNanos    atomic.Int64
	taken        atomic.Uint64
	busy         bool
	lastTake     time.Time // receive time of the last accepted picture
	replaced     atomic.Uint64
	tooSoon      atomic.Uint64
	// lossless: offer waits for the slot instead of replacing its
	// picture (a recorded camera, whose source can wait).
	lossless bool
}

// newPool returns a pool for one camera per interval (its sampling
// interval); a picture that waited maxWait is served first (0: never).
func newPool(intervals []time.Duration, maxWait time.Duration, process func(worker, cam int, f media.Frame)) *pool {
	p := &pool{maxWait: maxWait, process: process, now: time.Now}
	for _, iv := range intervals {
		p.slots = append(p.slots, &slot{minGap: iv * 9 / 10})
	}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// add makes room for one more camera with the given sampling interval and
// returns its index (a removed camera's index is reused). A lossless
// camera's offer waits while its slot holds a picture.
func (p *pool) add(interval time.Duration, lossless bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &slot{minGap: interval * 9 / 10, lossless: lossless}
	for i, old := range p.slots {
		if old == nil {
			p.slots[i] = s
			return i
		}
	}
	p.slots = append(p.slots, s)
	return len(p.slots) - 1
}

// remove waits until camera cam's picture in analysis (if any) is done,
// drops its waiting picture and frees its index. The camera must no
// longer offer pictures.
func (p *pool) remove(cam int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.slots[cam] != nil && p.slots[cam].busy {
		p.cond.Wait()
	}
	p.slots[cam] = nil
	p.cond.Broadcast() // a lossless offer may wait on the slot
}

// slot returns camera cam's slot (nil when removed).
func (p *pool) slot(cam int) *slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cam < 0 || cam >= len(p.slots) {
		return nil
	}
	return p.slots[cam]
}

// offer hands camera cam's newest picture to the pool; it never blocks,
// but for a lossless camera, whose offer waits until its slot is empty.
func (p *pool) offer(cam int, f media.Frame) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slots[cam]
	if s == nil {
		return
	}
	if !s.lastTake.IsZero() && f.Recv.Sub(s.lastTake) < s.minGap {
		s.tooSoon.Add(1)
		return
	}
	for s.lossless && s.pending != nil && !p.closed && p.slots[cam] == s {
		p.cond.Wait()
	}
	if p.closed || p.slots[cam] != s {
		return
	}
	now := p.now()
	if s.pending != nil {
		s.replaced.Add(1)
	} else {
		s.waitingSince = now
	}
	s.lastTake = f.Recv
	s.pending, s.pendingAt = &f, now
	// Broadcast: a lossless offer may wait on the same condition as the
	// workers.
	p.cond.Broadcast()
}

// idle waits until camera cam has no picture waiting or in analysis (or
// the pool is closed).
func (p *pool) idle(cam int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		s := p.slots[cam]
		if p.closed || s == nil || (s.pending == nil && !s.busy) {
			return
		}
		p.cond.Wait()
	}
}

// take waits for the next camera to analyse: first a camera whose picture
// has waited maxWait or longer (the oldest), then, round-robin, cameras
// marked urgent (an open case or an object in a zone), then the others.
// When the detector keeps up, every waiting picture is taken at once and
// the order does not matter; when it falls behind, the cameras where
// something happens keep their rate and quiet ones still get a picture
// at least every maxWait.
func (p *pool) take() (int, media.Frame, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return 0, media.Frame{}, false
		}
		if cam := p.pick(); cam >= 0 {
			s := p.slots[cam]
			f := *s.pending
			s.waitNanos.Add(int64(p.now().Sub(s.pendingAt)))
			s.taken.Add(1)
			s.pending, s.busy = nil, true
			p.next = (cam + 1) % len(p.slots)
			if s.lossless {
				p.cond.Broadcast() // its offer may be waiting
			}
			return cam, f, true
		}
		p.cond.Wait()
	}
}

// pick returns the camera take serves next, or -1 when none is ready.
func (p *pool) pick() int {
	n := len(p.slots)
	now := p.now()
	oldest, urgent, other := -1, -1, -1
	for i := 0; i < n; i++ {
		cam := (p.next + i) % n
		s := p.slots[cam]
		if s == nil || s.pending == nil || s.busy {
			continue
		}
		if p.maxWait > 0 && now.Sub(s.waitingSince) >= p.maxWait &&
			(oldest < 0 || s.waitingSince.Before(p.slots[oldest].waitingSince)) {
			oldest = cam
		}
		if s.urgent && urgent < 0 {
			urgent = cam
		}
		if other < 0 {
			other = cam
		}
	}
	switch {
	case oldest >= 0:
		return oldest
	case urgent >= 0:
		return urgent
	}
	return other
}

// setUrgent marks camera cam as one whose pictures go first.
func (p *pool) setUrgent(cam int, urgent bool) {
	p.mu.Lock()
	if s := p.slots[cam]; s != nil {
		s.urgent = urgent
	}
	p.mu.Unlock()
}

func (p *pool) done(cam int) {
	p.mu.Lock()
	if s := p.slots[cam]; s != nil {
		s.busy = false
	}
	p.mu.Unlock()
	p.cond.Broadcast()
}

// run serves until close; call it from each worker goroutine, numbered
// from 0 (process learns which worker, hence which detector, runs).
func (p *pool) run(worker int) {
	for {
		cam, f, ok := p.take()
		if !ok {
			return
		}
		p.process(worker, cam, f)
		p.done(cam)
	}
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
}

// dropped returns the pictures of camera cam dropped by the pool: replaced
// while waiting, and arrived sooner than the detection interval.
func (p *pool) dropped(cam int) (replaced, tooSoon uint64) {
	s := p.slot(cam)
	if s == nil {
		return 0, 0
	}
	return s.replaced.Load(), s.tooSoon.Load()
}

// wait returns how long camera cam's pictures waited in the pool in total,
// and how many were taken.
func (p *pool) wait(cam int) (time.Duration, uint64) {
	s := p.slot(cam)
	if s == nil {
		return 0, 0
	}
	return time.Duration(s.waitNanos.Load()), s.taken.Load()
}

// backlog returns how many cameras have a picture waiting.
func (p *pool) backlog() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.slots {
		if s != nil && s.pending != nil {
			n++
		}
	}
	return n
}
