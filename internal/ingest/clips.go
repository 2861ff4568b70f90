package ingest

import (
	"sync"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// evicted is a GOP on its way from the ring to the history on disk.
type evicted struct {
	params media.Params
	units  []media.AccessUnit
}

// startHistory opens the camera's history on disk and a writer goroutine
// fed by the ring's evictions; stop waits for it and deletes the files.
func (c *Camera) startHistory() (stop func(), err error) {
	h, err := OpenHistory(c.cfg.HistoryRoot, c.cfg.CameraID, c.cfg.HistoryBytes, c.cfg.HistoryDuration, c.deps.Now())
	if err != nil {
		return nil, err
	}
	queue := make(chan evicted, 64)
	c.ring.OnEvict(func(p media.Params, u []media.AccessUnit) {
		if c.deps.Source != nil {
			// A played source loses nothing and can wait (the writer
			// does not need the ring's lock).
			queue <- evicted{p, u}
			return
		}
		select {
		case queue <- evicted{p, u}:
		default:
			h.dropped.Add(1)
		}
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := range queue {
			if err := h.Append(e.params, e.units); err != nil {
				h.dropped.Add(1)
				c.log.Warn("history write failed", "err", err)
			}
		}
	}()
	c.histMu.Lock()
	c.hist = h
	c.histMu.Unlock()
	return func() {
		c.ring.OnEvict(nil)
		close(queue)
		wg.Wait()
		c.histMu.Lock()
		c.hist = nil
		c.histMu.Unlock()
		_ = h.Close()
	}, nil
}

// Clips returns the camera's history for evidence clips: the ring buffer,
// extended into the past by the history on disk when there is one.
func (c *Camera) Clips() interface {
	Range(from, to time.Time) (media.Params, []media.AccessUnit)
} {
	return clipSource{c}
}

type clipSource struct{ c *Camera }

// Range returns the units from the last key unit at or before from up to
// to: from disk for the part older than the ring, then from the ring.
func (s clipSource) Range(from, to time.Time) (media.Params, []media.AccessUnit) {
	params, units := s.c.ring.Range(from, to)
	first := s.c.ring.First()
	s.c.histMu.Lock()
	h := s.c.hist
	s.c.histMu.Unlock()
	if h == nil || (!first.IsZero() && !from.Before(first)) {
		return params, units
	}
	end := to
	if !first.IsZero() {
		end = first.Add(-time.Nanosecond)
	}
	hparams, older, err := h.Range(from, end)
	if err != nil || len(older) == 0 {
		return params, units
	}
	if first.IsZero() {
		return hparams, older // the ring is empty (just restarted)
	}
	var out []media.AccessUnit
	for _, u := range older {
		if u.Recv.Before(first) {
			out = append(out, u)
		}
	}
	return params, append(out, units...)
}
