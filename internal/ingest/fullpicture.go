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

// KeyPictures decodes, at full resolution, up to n key units received in
// (upTo-span, upTo], the latest first: each key unit alone, so a read
// costs one key-frame decode. Pictures the ring no longer holds, or that
// fail to decode, are skipped; none is not an error (the caller has the
// picture of the moment itself). Used to read a parked vehicle's plate on
// several pictures of its dwell. Safe to call from any goroutine.
func (c *Camera) KeyPictures(upTo time.Time, span time.Duration, n int) []*media.Image {
	_, units := c.ring.Range(upTo.Add(-span), upTo)
	var out []*media.Image
	for i := len(units) - 1; i >= 0 && len(out) < n; i-- {
		u := units[i]
		if !u.Key || !u.Recv.After(upTo.Add(-span)) {
			continue
		}
		if img, err := c.FullPicture(u.Recv); err == nil {
			out = append(out, img)
		}
	}
	return out
}
