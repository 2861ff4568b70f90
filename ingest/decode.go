package ingest

import (
	"errors"
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
	var dec *guardedDecoder
	var codec media.Codec
	defer func() {
		if dec != nil {
			dec.close()
			// A live decoder's goroutine ends at once; a stuck one was
			// abandoned already.
			dec.wait(time.Second)
		}
	}()
	var lastSent time.Duration
	sentAny, waitKey, stuck := false, false, false
	var dh decodeHealth
	tolerance := c.cfg.DetectInterval / 10
	for q := range units {
		au, want := q.au, q.codec
		if want != "" && (dec == nil || want != codec) {
			if dec != nil {
				dec.close()
				dec = nil
			}
			d, err := c.deps.NewDecoder(want)
			if err != nil {
				c.stats.decodeErrors.Add(1)
				c.log.Error("decoder", "err", err)
				continue
			}
			dec, codec = newGuardedDecoder(d), want
		}
		if dec == nil {
			continue
		}
		if waitKey && !au.Key {
			continue // a fresh decoder starts at a key unit
		}
		waitKey = false
		if err := checkSPS(want, au.NALUs, c.cfg.MaxPixels); err != nil {
			c.stats.decodeErrors.Add(1)
			c.decoderObserve(&dh, err, stuck)
			continue
		}
		img, err := dec.decode(au.NALUs, c.cfg.DecodeTimeout)
		if errors.Is(err, errDecodeTimeout) {
			c.stats.decoderStuck.Add(1)
			c.setDecoderState(DecoderStuck, err.Error()+"; decoder replaced")
			stuck = true
			dec.close() // abandoned: its goroutine ends if the call ever returns
			dec, waitKey = nil, true
			codec = ""
			if d, nerr := c.deps.NewDecoder(want); nerr == nil {
				dec, codec = newGuardedDecoder(d), want
			}
			continue
		}
		c.decoderObserve(&dh, err, stuck)
		if err != nil {
			c.stats.decodeErrors.Add(1)
			continue
		}
		if img == nil {
			continue
		}
		if stuck {
			stuck = false
			c.setDecoderState(DecoderOK, "the new decoder decodes")
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

// decoderObserve feeds the degraded-stream judgement (a stuck decoder's
// state stands until its replacement decodes).
func (c *Camera) decoderObserve(dh *decodeHealth, err error, stuck bool) {
	if st, reason, changed := dh.observe(err); changed && !stuck {
		c.setDecoderState(st, reason)
	}
}

// DecoderState returns the health of the camera's decoding.
func (c *Camera) DecoderState() DecoderState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.decState == "" {
		return DecoderOK
	}
	return c.decState
}

func (c *Camera) setDecoderState(s DecoderState, reason string) {
	c.mu.Lock()
	prev := c.decState
	if prev == "" {
		prev = DecoderOK
	}
	c.decState = s
	c.mu.Unlock()
	if s == prev {
		return
	}
	if s == DecoderOK {
		c.log.Info("decoder recovered", "reason", reason)
	} else {
		c.log.Warn("decoder "+string(s), "reason", reason)
	}
	if c.deps.OnDecoder != nil {
		c.deps.OnDecoder(s, reason)
	}
}
