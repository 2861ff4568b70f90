package ingest

import (
	"time"

	"github.com/patrol-city/patrol/ingest/media"
)

// sampler decides which access units reach the decoder. When key units come
// at least once per detection interval it passes only key units (a decoder
// can decode them alone); otherwise it passes every unit and the decode loop
// samples decoded pictures.
type sampler struct {
	interval time.Duration
	mode     string // auto, keyframes or all
	lastKey  time.Duration
	gop      time.Duration
	haveKey  bool
	needKey  bool
}

// keyOnly reports whether the current mode decodes key units only.
func (s *sampler) keyOnly() bool {
	switch s.mode {
	case "keyframes":
		return true
	case "all":
		return false
	}
	return s.gop == 0 || s.gop <= s.interval+s.interval/10
}

// admit reports whether au should be queued for decoding.
func (s *sampler) admit(au *media.AccessUnit) bool {
	if au.Key {
		if s.haveKey && au.PTS > s.lastKey {
			s.gop = au.PTS - s.lastKey
		}
		s.lastKey, s.haveKey = au.PTS, true
		s.needKey = false
		return true
	}
	if s.needKey || !s.haveKey {
		return false
	}
	return !s.keyOnly()
}

// offer queues au for the decoder without blocking; a full queue drops the
// unit and makes the decoder wait for the next key unit.
func (c *Camera) offer(units chan<- queued, au media.AccessUnit, codec media.Codec) {
	if !c.smp.admit(&au) {
		return
	}
	select {
	case units <- queued{au, codec}:
	default:
		c.stats.dropped.Add(1)
		c.smp.needKey = true
	}
}

// queued is an access unit waiting for the decoder.
type queued struct {
	au    media.AccessUnit
	codec media.Codec
}

func (c *Camera) decodeLoop(units <-chan queued) {
	var dec Decoder
	var codec media.Codec
	defer func() {
		if dec != nil {
			dec.Close()
		}
	}()
	var lastSent time.Duration
	sentAny := false
	tolerance := c.cfg.DetectInterval / 10
	for q := range units {
		au, want := q.au, q.codec
		if want != "" && (dec == nil || want != codec) {
			if dec != nil {
				dec.Close()
				dec = nil
			}
			d, err := c.deps.NewDecoder(want)
			if err != nil {
				c.stats.decodeErrors.Add(1)
				c.log.Error("decoder", "err", err)
				continue
			}
			dec, codec = d, want
		}
		if dec == nil {
			continue
		}
		if err := checkSPS(want, au.NALUs, c.cfg.MaxPixels); err != nil {
			c.stats.decodeErrors.Add(1)
			continue
		}
		img, err := dec.Decode(au.NALUs)
		if err != nil {
			c.stats.decodeErrors.Add(1)
			continue
		}
		if img == nil {
			continue
		}
		c.stats.decoded.Add(1)
		if sentAny && au.PTS-lastSent < c.cfg.DetectInterval-tolerance {
			continue
		}
		sentAny, lastSent = true, au.PTS
		c.stats.sent.Add(1)
		c.deps.OnFrame(media.Frame{Image: *img, PTS: au.PTS, Recv: au.Recv, CameraTime: au.CameraTime})
	}
}
