package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// Source hands a camera its access units instead of an RTSP session: a
// recorded file played through the same ring, sampler, decoder and clip
// cutting as a live stream (patrol replay). Deps.Source sets it.
type Source interface {
	// Next returns the next access unit in decoding order with the
	// stream's parameter sets, and io.EOF after the last one. The unit's
	// Recv is its time on the replay's clock (a zero Recv takes
	// Deps.Now()); it must not go backwards.
	Next(ctx context.Context) (media.AccessUnit, media.Params, error)
}

// sourceDecodeQueue is a played camera's decode queue: a recorded file is
// read at most a few sampled pictures ahead of the analysis, so that the
// clock the file drives stays close to the pictures analysed.
const sourceDecodeQueue = 2

// DefaultSourceLead is how far (in stream time) a played source may be
// read ahead of the last unit the decoder has finished, while the decoder
// has units to work on (Config.SourceLead). A ring buffer of pre-roll +
// lead + a GOP keeps every clip's units.
const DefaultSourceLead = 10 * time.Second

// leadGate holds a played source back while it is more than the lead
// ahead of the decoder.
type leadGate struct {
	inFlight atomic.Int64 // units queued for the decoder and not finished
	doneAt   atomic.Int64 // Recv (Unix ns) of the last unit finished
	progress chan struct{}
}

// queued notes a unit handed to the decoder.
func (g *leadGate) queued() { g.inFlight.Add(1) }

// done notes a unit the decoder finished (decode goroutine).
func (g *leadGate) done(recv time.Time) {
	g.doneAt.Store(recv.UnixNano())
	g.inFlight.Add(-1)
	select {
	case g.progress <- struct{}{}:
	default:
	}
}

// wait returns once the decoder has nothing queued or the unit at t is
// within lead of the last finished one.
func (g *leadGate) wait(ctx context.Context, t time.Time, lead time.Duration) error {
	for g.inFlight.Load() > 0 && t.Sub(time.Unix(0, g.doneAt.Load())) > lead {
		select {
		case <-g.progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// play feeds the camera from its Source until the source ends (nil) or
// fails, or ctx ends. Nothing is dropped: a full decode queue makes the
// source wait.
func (c *Camera) play(ctx context.Context, units chan<- queued) error {
	src := c.deps.Source
	var codec media.Codec
	for {
		au, params, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.setState(StateOffline, err.Error())
			return fmt.Errorf("ingest: camera %s: %w", c.cfg.CameraID, err)
		}
		if codec == "" || params.Codec != codec {
			codec = params.Codec
			c.setState(StateStreaming, string(codec))
		}
		if au.Recv.IsZero() {
			au.Recv = c.deps.Now()
		}
		if err := c.lead.wait(ctx, au.Recv, c.cfg.SourceLead); err != nil {
			return err
		}
		c.take(au, params)
		if c.cfg.DecodeMode == "none" {
			continue
		}
		q, ok := c.admit(au, params)
		if !ok {
			continue
		}
		c.lead.queued()
		select {
		case units <- q:
		case <-ctx.Done():
			c.lead.inFlight.Add(-1)
			return ctx.Err()
		}
	}
}
