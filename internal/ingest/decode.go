package ingest

import (
	"errors"
	"math"
	"time"

	"github.com/patrol-city/patrol/internal/media"
)

// sampler decides which access units reach the decoder and which of them
// are sample points (their picture goes to detection), so that the decoder
// decodes only what the sampling interval needs. With a GOP (key-to-key
// time, measured) within 1.1 x the interval it passes key units alone, and
// of those only as many as the interval needs (every n-th key unit when
// several GOPs fit in it). With a longer GOP it passes each GOP from its
// key unit up to the GOP's last sample point and skips the rest until the
// next key unit. The first GOP, whose length is known only at the next
// key unit, is passed and sampled by time like a long one. Mode
// "keyframes" always passes key units only; "all" passes every unit and
// samples decoded pictures by time.
type sampler struct {
	interval time.Duration
	mode     string // auto, keyframes or all
	gop      time.Duration
	lastKey  time.Duration
	haveKey  bool
	needKey  bool // a unit was dropped: wait for the next key unit

	lastSample time.Duration // PTS of the last sample point
	sampled    bool          // a sample point was chosen already
	gopOpen    bool          // passing the current GOP's units
	limit      time.Duration // last offset from lastKey passed in this GOP
	nextTarget time.Duration // offset from lastKey of the next sample point
}

// tolerance is the slack of every time comparison: a tenth of the interval.
func (s *sampler) tolerance() time.Duration { return s.interval / 10 }

// keyOnly reports whether the current GOP is decoded from its key unit only.
func (s *sampler) keyOnly() bool {
	switch s.mode {
	case "keyframes":
		return true
	case "all":
		return false
	}
	return s.gop != 0 && s.gop <= s.interval+s.tolerance()
}

// keyDue reports whether the key unit at pts is needed: skipping it would
// leave the next sample point more than the interval (plus tolerance) after
// the last one.
func (s *sampler) keyDue(pts time.Duration) bool {
	return !s.sampled || s.gop == 0 || pts+s.gop-s.lastSample > s.interval+s.tolerance()
}

// admit reports whether au should be queued for decoding, and whether its
// picture is a sample point for detection.
func (s *sampler) admit(au *media.AccessUnit) (decode, sample bool) {
	if s.mode == "all" {
		if au.Key {
			s.noteKey(au.PTS)
		} else if s.needKey || !s.haveKey {
			return false, false
		}
		// Sample points on a grid of the interval, so that the tolerance
		// absorbs jitter without raising the rate.
		if !s.sampled || au.PTS >= s.lastSample+s.interval-s.tolerance() {
			next := s.lastSample + s.interval
			if !s.sampled || au.PTS > next+s.tolerance() {
				next = au.PTS
			}
			s.lastSample, s.sampled = next, true
			return true, true
		}
		return true, false
	}
	if au.Key {
		s.noteKey(au.PTS)
		s.gopOpen = false
		if !s.keyDue(au.PTS) {
			return false, false
		}
		s.lastSample, s.sampled = au.PTS, true
		if s.gop == 0 && s.mode != "keyframes" {
			// The first GOP: its length is known at the next key unit,
			// so its units are sampled by time until then, like those of
			// a long GOP (key units alone would leave the start of a
			// recording or a stream, often several seconds, a single
			// picture).
			s.gopOpen = true
			s.limit = time.Duration(math.MaxInt64)
			s.nextTarget = s.interval
		} else if !s.keyOnly() {
			if k := int64((s.gop - s.tolerance()) / s.interval); k > 0 {
				s.gopOpen = true
				s.limit = time.Duration(k)*s.interval + s.tolerance()
				s.nextTarget = s.interval
			}
		}
		return true, true
	}
	if s.needKey || !s.haveKey || !s.gopOpen {
		return false, false
	}
	off := au.PTS - s.lastKey
	if off > s.limit {
		s.gopOpen = false // the rest of the GOP serves no sample point
		return false, false
	}
	if off >= s.nextTarget-s.tolerance() {
		if off > s.nextTarget+s.tolerance() {
			s.nextTarget = off // a gap in the stream: restart the grid here
		}
		s.nextTarget += s.interval
		s.lastSample = au.PTS
		return true, true
	}
	return true, false
}

// noteKey measures the GOP and ends a wait for a key unit.
func (s *sampler) noteKey(pts time.Duration) {
	if s.haveKey && pts > s.lastKey {
		s.gop = pts - s.lastKey
	}
	s.lastKey, s.haveKey = pts, true
	s.needKey = false
}

// offer queues au for the decoder without blocking; a full queue drops the
// unit and makes the decoder wait for the next key unit.
func (c *Camera) offer(units chan<- queued, au media.AccessUnit, params media.Params) {
	q, ok := c.admit(au, params)
	if !ok {
		return
	}
	select {
	case units <- q:
	default:
		c.stats.dropped.Add(1)
		c.smp.needKey = true
	}
}

// admit asks the sampler whether au is decoded; key units get the
// stream's parameter sets when they do not carry them.
func (c *Camera) admit(au media.AccessUnit, params media.Params) (queued, bool) {
	decode, sample := c.smp.admit(&au)
	if !decode {
		return queued{}, false
	}
	if au.Key {
		au.NALUs = params.Prepend(au.NALUs)
	}
	return queued{au: au, codec: params.Codec, sample: sample, intra: c.smp.keyOnly()}, true
}

// queued is an access unit waiting for the decoder.
type queued struct {
	au    media.AccessUnit
	codec media.Codec
	// sample marks a sample point: its picture goes to detection.
	sample bool
	// intra marks key-only decoding: the decoder drains its reorder queue
	// after the unit, so that a stream with B-frames yields the key
	// unit's own picture at once instead of one or two key units later.
	intra bool
}

func (c *Camera) decodeLoop(units <-chan queued) {
	var st decodeState
	defer func() {
		if st.dec != nil {
			st.dec.close()
			// A live decoder's goroutine ends at once; a stuck one was
			// abandoned already.
			st.dec.wait(time.Second)
		}
	}()
	for q := range units {
		c.decodeOne(&st, q)
		if c.deps.Source != nil {
			c.lead.done(q.au.Recv)
		}
	}
}

// decodeState is the decode goroutine's decoder and its health.
type decodeState struct {
	dec            *guardedDecoder
	codec          media.Codec
	waitKey, stuck bool
	dh             decodeHealth
}

// decodeOne decodes one queued unit and hands a sampled picture to
// OnFrame.
func (c *Camera) decodeOne(st *decodeState, q queued) {
	au, want := q.au, q.codec
	if want != "" && (st.dec == nil || want != st.codec) {
		if st.dec != nil {
			st.dec.close()
			st.dec = nil
		}
		d, err := c.deps.NewDecoder(want)
		if err != nil {
			c.stats.decodeErrors.Add(1)
			c.log.Error("decoder", "err", err)
			return
		}
		c.scale(d)
		st.dec, st.codec = newGuardedDecoder(d), want
	}
	if st.dec == nil {
		return
	}
	if st.waitKey && !au.Key {
		return // a fresh decoder starts at a key unit
	}
	st.waitKey = false
	if err := checkSPS(want, au.NALUs, c.cfg.MaxPixels); err != nil {
		c.stats.decodeErrors.Add(1)
		c.decoderObserve(&st.dh, err, st.stuck)
		return
	}
	img, err := st.dec.decode(au.NALUs, q.intra, c.cfg.DecodeTimeout)
	if errors.Is(err, errDecodeTimeout) {
		c.stats.decoderStuck.Add(1)
		c.setDecoderState(DecoderStuck, err.Error()+"; decoder replaced")
		st.stuck = true
		st.dec.close() // abandoned: its goroutine ends if the call ever returns
		st.dec, st.waitKey = nil, true
		st.codec = ""
		if d, nerr := c.deps.NewDecoder(want); nerr == nil {
			c.scale(d)
			st.dec, st.codec = newGuardedDecoder(d), want
		}
		return
	}
	c.decoderObserve(&st.dh, err, st.stuck)
	if err != nil {
		c.stats.decodeErrors.Add(1)
		return
	}
	if img == nil {
		return
	}
	if st.stuck {
		st.stuck = false
		c.setDecoderState(DecoderOK, "the new decoder decodes")
	}
	c.stats.decoded.Add(1)
	if !q.sample {
		return
	}
	c.stats.sent.Add(1)
	c.deps.OnFrame(media.Frame{Image: *img, PTS: au.PTS, Recv: au.Recv, CameraTime: au.CameraTime})
}

// scale sets the analysis size on a decoder that can scale.
func (c *Camera) scale(d Decoder) {
	if s, ok := d.(Scaler); ok && c.cfg.AnalysisSize > 0 {
		s.SetMaxSize(c.cfg.AnalysisSize, c.cfg.AnalysisSize)
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
