package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// ErrNoPicture is returned by FullPicture when the buffer no longer (or
// not yet) holds the units of the requested picture.
var ErrNoPicture = errors.New("picture not in the buffer")

// FullPicture decodes, at full resolution, the picture of the last unit
// received at or before recv (the very unit for a picture of this stream;
// the main stream's picture of the same moment for a picture of a
// sub-stream): a fresh decoder decodes the ring from the last key unit at
// or before recv up to that unit (one unit when it is a key unit, as in
// key-only decoding), then drains, so that a stream with B-frames yields
// its picture too. Used for snapshots when the analysed pictures are
// scaled down (Config.AnalysisSize). Safe to call from any goroutine; the
// work is bounded by one GOP of units, each call by DecodeTimeout.
func (c *Camera) FullPicture(recv time.Time) (*media.Image, error) {
	params, units := c.ring.Range(recv, recv)
	if len(units) == 0 || !units[0].Key {
		return nil, ErrNoPicture
	}
	d, err := c.deps.NewDecoder(params.Codec)
	if err != nil {
		return nil, fmt.Errorf("full picture: %w", err)
	}
	// Under the watchdog like the decode loop: each call is bounded by
	// DecodeTimeout, and a hung decoder is abandoned.
	dec := newGuardedDecoder(d)
	defer dec.close()
	var img *media.Image
	for i, au := range units {
		nalus := au.NALUs
		if i == 0 {
			nalus = params.Prepend(nalus)
		}
		if err := checkSPS(params.Codec, nalus, c.cfg.MaxPixels); err != nil {
			return nil, fmt.Errorf("full picture: %w", err)
		}
		// The last unit drains the decoder: its picture comes out at once.
		p, err := dec.decode(nalus, i == len(units)-1, c.cfg.DecodeTimeout)
		if err != nil {
			return nil, fmt.Errorf("full picture: %w", err)
		}
		if p != nil {
			img = p
		}
	}
	if img == nil {
		return nil, ErrNoPicture
	}
	return img, nil
}
