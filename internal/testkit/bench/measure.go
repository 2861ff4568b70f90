package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/ingest"
)

// waitStreaming waits until every camera has received an access unit.
func waitStreaming(ctx context.Context, cams []*ingest.Camera, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		waiting := 0
		for _, c := range cams {
			if c.Stats().Units == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d cameras received nothing within %v", waiting, len(cams), timeout)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// totals are counters summed over cameras.
type totals struct {
	ingest.Stats
}

func snapshot(cams []*ingest.Camera) totals {
	var t totals
	for _, c := range cams {
		s := c.Stats()
		t.Units += s.Units
		t.Bytes += s.Bytes
		t.FramesDecoded += s.FramesDecoded
		t.FramesSent += s.FramesSent
		t.DecodeErrors += s.DecodeErrors
		t.Dropped += s.Dropped
		t.Reconnects += s.Reconnects
		t.Ring.Bytes += s.Ring.Bytes
	}
	return t
}

func (t totals) minus(o totals) ingest.Stats {
	return ingest.Stats{
		Units: t.Units - o.Units, Bytes: t.Bytes - o.Bytes,
		FramesDecoded: t.FramesDecoded - o.FramesDecoded, FramesSent: t.FramesSent - o.FramesSent,
		DecodeErrors: t.DecodeErrors - o.DecodeErrors, Dropped: t.Dropped - o.Dropped,
		Reconnects: t.Reconnects - o.Reconnects,
	}
}

// peakRSS tracks the largest RSS sampled.
type peakRSS struct{ v atomic.Int64 }

func (p *peakRSS) sample(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if v, err := rssBytes(); err == nil && v > p.v.Load() {
			p.v.Store(v)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *peakRSS) max() int64 { return p.v.Load() }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func mib[T int64 | uint64](b T) float64 { return float64(b) / (1 << 20) }

// orDefault sets *p to v when it is zero (the configs' defaults).
func orDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
